"""Split a message into sentences to translate, keeping the exact text between them.

`join(split(t, lang), split(t, lang).sentences) == t` for every text: sentences are substrings of
the input, and everything else (line breaks, blank lines, double spaces, block markup, lines with
no letters at all) is kept in the separators and never reaches an engine.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import regex
import sentencex

from glossary.protect import Masked
from models.base import PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN


@dataclass(frozen=True, slots=True)
class Segmented:
    sentences: tuple[str, ...]
    # separators[k] comes before sentences[k]; the last one ends the text.
    separators: tuple[str, ...]


_PLACEHOLDER = regex.compile(rf"{PLACEHOLDER_OPEN}(\d+){PLACEHOLDER_CLOSE}")
_LINE_BREAK = regex.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_BLANK_LINE = regex.compile(r"(?:\r\n|\n|\r)[^\S\r\n]*(?:\r\n|\n|\r)\s*")
_LETTER = regex.compile(r"\p{L}")


def split(text: str, lang: str, *, breaks: Collection[int] = (), soft_newlines: bool = False) -> Segmented:
    """Split at line breaks and at placeholders listed in `breaks`, then into sentences.

    With `soft_newlines` (HTML, where a line break inside a paragraph is just a space) only blank
    lines split.
    """
    ranges = [r for lo, hi in _chunks(text, breaks, soft_newlines) for r in _sentences(text, lo, hi, lang)]
    sentences = tuple(text[lo:hi] for lo, hi in ranges)
    edges = [0, *(x for r in ranges for x in r), len(text)]
    separators = tuple(text[edges[k] : edges[k + 1]] for k in range(0, len(edges), 2))
    return Segmented(sentences, separators)


def split_masked(masked: Masked, lang: str) -> Segmented:
    """Split a protected text, treating its block markup as boundaries."""
    return split(masked.text, lang, breaks=masked.breaks, soft_newlines=masked.fmt == "html")


def join(segmented: Segmented, translated: Sequence[str]) -> str:
    """Rebuild the text from translated sentences and the original separators."""
    if len(translated) != len(segmented.sentences):
        raise ValueError(f"expected {len(segmented.sentences)} translated sentences, got {len(translated)}")
    parts = [segmented.separators[0]]
    for sentence, separator in zip(translated, segmented.separators[1:], strict=True):
        parts += [sentence, separator]
    return "".join(parts)


def _chunks(text: str, breaks: Collection[int], soft_newlines: bool) -> Iterator[tuple[int, int]]:
    """Ranges between hard boundaries."""
    cuts = [m.span() for m in (_BLANK_LINE if soft_newlines else _LINE_BREAK).finditer(text)]
    if breaks:
        cuts += [m.span() for m in _PLACEHOLDER.finditer(text) if int(m.group(1)) in breaks]
        cuts.sort()
    pos = 0
    for lo, hi in cuts:
        if lo > pos:
            yield pos, lo
        pos = max(pos, hi)
    if pos < len(text):
        yield pos, len(text)


def _sentences(text: str, lo: int, hi: int, lang: str) -> Iterator[tuple[int, int]]:
    """Sentence ranges in text[lo:hi], trimmed of whitespace; those without letters are left out."""
    chunk = text[lo:hi]
    if not _LETTER.search(chunk):
        return
    starts = [b["start_index"] for b in sentencex.get_sentence_boundaries(_base_lang(lang), chunk)]
    # A boundary inside a placeholder would break it: never cut there.
    inside = {k for m in _PLACEHOLDER.finditer(chunk) for k in range(m.start() + 1, m.end())}
    cuts = sorted({0, *(s for s in starts if 0 < s < len(chunk) and s not in inside), len(chunk)})
    for a, b in pairwise(cuts):
        piece = chunk[a:b]
        if not _LETTER.search(piece):
            continue
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        yield lo + a, lo + b


def _base_lang(lang: str) -> str:
    """sentencex knows "pt", not "pt-BR"."""
    return regex.split(r"[-_]", lang.strip(), maxsplit=1)[0].lower() or "en"
