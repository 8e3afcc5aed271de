"""What a detector should look at: the words of a message, without links, addresses and numbers."""

from __future__ import annotations

import math

import regex

# Order matters: e-mail addresses before mentions, links before bare domains.
_NOT_LANGUAGE = regex.compile(
    r"""
      (?:https?|ftp)://\S+ | www\.\S+                    # links (and bare domains, below)
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                        # e-mail addresses
    | (?<![\w@])@\w+                                      # @mentions
    | \b(?:[\w-]+\.)+(?:com|net|org|io|app|shop|info|eu|de|fr|es|nl|pl|ru|uk|us|jp|cn|br)\b(?:/\S*)?
    | \S*\d\S*                                            # numbers, order ids, "12kg", "COVID-19"
    """,
    regex.VERBOSE,
)
_LETTER = regex.compile(r"\p{L}")
# Apostrophes stay inside a word: the lists hold "don't" and "aujourd'hui" (and the prior splits
# "l'audio" itself when a list lacks the whole).
_WORDS = regex.compile(r"\p{L}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)*")
# Scripts written without spaces between words, and roughly how many characters make one word.
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]+|(\p{Thai}+)")
_CHARS_PER_WORD_CJK = 2
_CHARS_PER_WORD_THAI = 5


def strip_non_language(text: str) -> str:
    """Remove links, e-mail addresses, @mentions and anything with a digit; collapse spaces."""
    return " ".join(_NOT_LANGUAGE.sub(" ", text).split())


def has_letters(text: str) -> bool:
    return _LETTER.search(text) is not None


def words(text: str) -> list[str]:
    """Runs of letters (with their combining marks); the unit the word-frequency prior scores."""
    return [w.replace("’", "'") for w in _WORDS.findall(text)]


def word_count(text: str) -> int:
    """Words in a cleaned text; unspaced scripts (Chinese, Japanese, Thai) are estimated by length."""
    count = 0
    for token in words(text):
        unspaced = list(_UNSPACED.finditer(token))
        if not unspaced:
            count += 1
            continue
        rest = len(token) - sum(len(m.group()) for m in unspaced)
        count += 1 if rest else 0
        for m in unspaced:
            per_word = _CHARS_PER_WORD_THAI if m.group(1) else _CHARS_PER_WORD_CJK
            count += math.ceil(len(m.group()) / per_word)
    return count
