"""A word-frequency prior: how common a text's words are in each candidate language (wordfreq)."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import NamedTuple

import regex

# The gateway's code -> wordfreq's, where they differ.
_WORDFREQ_CODES = {"hr": "sh", "sr": "sh", "tl": "fil"}
# wordfreq's "small" lists keep words seen at least once per million (zipf >= 3): 180 MB and 1 s
# to load for 31 languages, against 1 GB and 9 s for "best", at the same accuracy (bench/README.md).
WORDLIST = "small"
# An unseen word scores as if it were ten times rarer than the rarest listed word.
_UNSEEN_FACTOR = 0.1
# Chinese and Japanese come without spaces; a run of these is segmented against each word list.
_CJK_RUN = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}ー]+")
_LONGEST_CJK_WORD = 4
# An unseen word made of two listed words (Germanic and Nordic compounds: "tjener|navn",
# "rotation|s|vinkel") scores the mean of its parts' log-frequencies less this many nats, but
# never below an unseen word: a split is evidence for the language whose list has both parts.
# Chosen on bench/data/langid/dev.tsv (bench/README.md): single words and pairs gain most.
_COMPOUND_PENALTY = 4.0
_COMPOUND_MIN_PART = 3
_COMPOUND_LINKERS = "s"  # a linking letter between the parts (Danish, Norwegian, Swedish, German, Dutch)


class _Table(NamedTuple):
    freqs: dict[str, float]  # normalised word -> frequency
    unseen: float  # log-frequency of a word the list lacks
    normalizer: str  # the code whose wordfreq normalisation this list uses (shared by many)


class WordFrequencyPrior:
    """weight × mean natural-log word frequency per language, to add to a detector's log-confidence."""

    def __init__(self, languages: Collection[str], weight: float, *, cache_size: int = 50_000) -> None:
        import wordfreq  # here, not at module level: a detector may run without the prior

        self.weight = weight
        available = wordfreq.available_languages(WORDLIST)
        self._codes = {lang: code for lang in languages if (code := _WORDFREQ_CODES.get(lang, lang)) in available}
        self._tables: dict[str, _Table] = {}
        self._normalizers: dict[tuple[tuple[str, str], ...], str] = {}
        # Per instance, so two detectors never share (or evict) each other's entries. Support
        # chat repeats its words, so most lookups hit; an entry is one float per candidate.
        self._vector = lru_cache(maxsize=cache_size)(self._vector_uncached)

    @property
    def languages(self) -> frozenset[str]:
        """The languages that have a word list; the others get a neutral prior."""
        return frozenset(self._codes)

    def preload(self, langs: Collection[str]) -> None:
        """Load these languages' word lists now, so the first request does not pay for them."""
        for code in sorted({self._codes[lang] for lang in langs if lang in self._codes}):
            self._table(code)

    def scores(self, tokens: Sequence[str], langs: Collection[str]) -> dict[str, float]:
        """Prior per language; languages without a word list get the mean of the others (no push)."""
        if not tokens or not self.weight:
            return dict.fromkeys(langs, 0.0)
        listed = tuple(sorted(lang for lang in langs if lang in self._codes))
        scale = self.weight / len(tokens)
        columns = zip(*(self._vector(token, listed) for token in tokens), strict=True)
        known = {lang: scale * sum(column) for lang, column in zip(listed, columns, strict=True)}
        neutral = sum(known.values()) / len(known) if known else 0.0
        return {lang: known.get(lang, neutral) for lang in langs}

    def _vector_uncached(self, token: str, listed: tuple[str, ...]) -> tuple[float, ...]:
        """The token's log-frequency in each listed language (a brand's candidates, so few keys)."""
        normal: dict[str, str] = {}
        out = []
        for lang in listed:
            table = self._table(self._codes[lang])
            if table.normalizer not in normal:
                normal[table.normalizer] = _normalize(token, table.normalizer)
            out.append(_log_probability(normal[table.normalizer], table))
        return tuple(out)

    def _table(self, code: str) -> _Table:
        table = self._tables.get(code)
        if table is None:
            import wordfreq
            from wordfreq.language_info import get_language_info

            freqs = wordfreq.get_frequency_dict(code, wordlist=WORDLIST)
            # Languages that normalise alike share one normal form per token: most Latin and
            # Cyrillic lists are plain NFC + case folding, so one call serves 25 of them.
            info = tuple(
                sorted((k, str(v)) for k, v in get_language_info(code).items() if k not in ("script", "tokenizer"))
            )
            normalizer = self._normalizers.setdefault(info, code)
            table = _Table(freqs, math.log(min(freqs.values()) * _UNSEEN_FACTOR), normalizer)
            # A benign race: two threads may both build it; wordfreq caches the list, one table stays.
            self._tables[code] = table
        return table


def _log_probability(word: str, table: _Table) -> float:
    """log f(word); for a word the list lacks, the sum over pieces it has (a unigram model).

    Pieces: split at apostrophes ("l'audio" is l + audio), and Chinese or Japanese runs by
    greedy longest match ("再接続" is 再 + 接続 in Japanese, 再 + 接 + an unseen 続 in Chinese).
    Only ja and zh compete on such runs (lingua rules the rest out by script), so a sum on a
    scale unlike a single word's does no harm there. Any other unseen word may be a compound of
    two listed words (`_compound`).
    """
    freq = table.freqs.get(word)
    if freq:
        return math.log(freq)
    if "'" in word:  # "l'audio": French lists hold "l" and "audio", English ones "don't"
        return sum(_log_probability(part, table) for part in word.split("'") if part)
    if len(word) < 2 or not _CJK_RUN.fullmatch(word):
        return _compound(word, table)
    total, start = 0.0, 0
    while start < len(word):
        for end in range(min(len(word), start + _LONGEST_CJK_WORD), start, -1):
            freq = table.freqs.get(word[start:end])
            if freq or end == start + 1:
                total += math.log(freq) if freq else table.unseen
                start = end
                break
    return total


def _compound(word: str, table: _Table) -> float:
    """The best split of an unseen word into two listed words, or the unseen score."""
    best = None
    freqs = table.freqs
    for i in range(_COMPOUND_MIN_PART, len(word) - _COMPOUND_MIN_PART + 1):
        tail = freqs.get(word[i:])
        if not tail:
            continue
        head = freqs.get(word[:i])
        if not head and word[i - 1] in _COMPOUND_LINKERS and i > _COMPOUND_MIN_PART:
            head = freqs.get(word[: i - 1])
        if head:
            mean = (math.log(head) + math.log(tail)) / 2
            best = mean if best is None else max(best, mean)
    return table.unseen if best is None else max(table.unseen, best - _COMPOUND_PENALTY)


def _normalize(token: str, normalizer: str) -> str:
    """wordfreq's normalisation for a language: case folding, NFKC, Arabic marks, Turkish dotted i."""
    from wordfreq.preprocess import preprocess_text

    return preprocess_text(token, normalizer)  # type: ignore[arg-type]  # it accepts a code too
