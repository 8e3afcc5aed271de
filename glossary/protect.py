"""Mask what must come back unchanged before translation, and put it back afterwards.

`protect` replaces URLs, e-mails, numbers, amounts, slots, placeholders, mentions, hashtags,
emoji, brand terms and (for HTML and markdown) markup with PLACEHOLDER_OPEN + n + PLACEHOLDER_CLOSE;
`restore` swaps them back, repairing what the engine lost, duplicated or respaced.
Pure functions: no engines, no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import regex

from glossary.markup import Decoded, Piece, decode_html, encode_html, entity_spellings, html_pieces, markdown_pieces
from glossary.spans import find_spans, keep_pattern
from models.base import PLACEHOLDER_CLOSE as CLOSE
from models.base import PLACEHOLDER_OPEN as OPEN

Format = Literal["text", "html", "markdown"]


@dataclass(frozen=True, slots=True)
class Span:
    index: int
    text: str  # exact source text
    # "url" | "email" | "number" | "amount" | "slot" | "placeholder" | "mention" | "hashtag" |
    # "emoji" | "markup" | "term" | "literal" (a ⟦ or ⟧ in the source); neighbours merged into one
    # span join their kinds with "+" ("slot+number").
    kind: str
    # What goes back in place of the span: None = the source text itself. A glossary term sets
    # its target form here, so the engine never sees (or mistranslates) the term.
    output: str | None = None

    @property
    def restored(self) -> str:
        return self.text if self.output is None else self.output

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.kind.split("+"))


@dataclass(frozen=True, slots=True)
class Masked:
    text: str  # the source with ⟦0⟧, ⟦1⟧ … in place of spans; HTML entities decoded
    spans: tuple[Span, ...]
    fmt: Format = "text"
    # Spans that are block boundaries (block tags, <br>, list markers): never inside a sentence.
    breaks: frozenset[int] = frozenset()
    # HTML only: the source's spelling of characters it wrote as entities, to re-encode on restore.
    escapes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Restored:
    text: str
    lost: tuple[Span, ...]  # the engine dropped them; they were put back
    duplicated: tuple[Span, ...]  # the engine repeated them; extra copies were removed
    repaired: bool  # True when anything was put back, removed or a stray bracket dropped


@dataclass(frozen=True, slots=True)
class _Unit:
    source: str
    shown: str  # what the engine sees (differs from source for decoded HTML text)
    kind: str | None  # None: text to translate
    brk: bool = False
    output: str | None = None


_HSPACE = regex.compile(r"[^\S\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]*")


# Finds glossary terms in a piece of plain text: (start, end, output); output None keeps the source.
TermFinder = Callable[[str], Iterable[tuple[int, int, str | None]]]


def protect(text: str, fmt: Format = "text", keep: Sequence[str] = (), terms: TermFinder | None = None) -> Masked:
    """Mask protected spans; `keep` lists extra literal terms never to translate (whole words, exact case);
    `terms` finds glossary terms, masked first and restored as their output."""
    if fmt == "text":
        pieces = [Piece(text, markup=False)]
    elif fmt == "html":
        pieces = html_pieces(text)
    elif fmt == "markdown":
        pieces = markdown_pieces(text)
    else:
        raise ValueError(f"unknown format {fmt!r}; valid formats: html, markdown, text")
    spellings = entity_spellings([p.text for p in pieces if not p.markup]) if fmt == "html" else {}
    pattern = keep_pattern(keep)
    units: list[_Unit] = []
    for piece in pieces:
        if piece.markup:
            units.append(_Unit(piece.text, "", "markup", piece.brk))
        else:
            decoded = decode_html(piece.text, spellings) if fmt == "html" else None
            units.extend(_text_units(piece.text, decoded, pattern, terms))
    return _assemble(_merge(units), fmt, spellings)


def _text_units(
    source: str, decoded: Decoded | None, pattern: regex.Pattern[str] | None, terms: TermFinder | None
) -> list[_Unit]:
    shown = decoded.text if decoded else source
    forced = decoded.forced if decoded else ()

    def src(a: int, b: int) -> str:
        return source[decoded.origin[a] : decoded.origin[b]] if decoded else source[a:b]

    # Glossary terms first: the brand's own entries win over the generic detectors.
    found: list[tuple[int, int, str, str | None]] = []
    taken = 0
    for start, end, output in sorted(terms(shown) if terms else ()):
        if start >= taken and end > start:
            found.append((start, end, "term", output))
            taken = end
    gaps, pos = [], 0
    for start, end, _, _ in found:
        gaps.append((pos, start))
        pos = end
    gaps.append((pos, len(shown)))
    for a, b in gaps:
        for start, end, kind in find_spans(
            shown[a:b], pattern, [(f - a, t - a) for f, t in forced if a <= f and t <= b]
        ):
            found.append((start + a, end + a, kind, None))
    units: list[_Unit] = []
    pos = 0
    for start, end, kind, output in sorted(found):
        if start > pos:
            units.append(_Unit(src(pos, start), shown[pos:start], None))
        units.append(_Unit(src(start, end), "", kind, output=output))
        pos = end
    if pos < len(shown):
        units.append(_Unit(src(pos, len(shown)), shown[pos:], None))
    return units


def _merge(units: list[_Unit]) -> list[_Unit]:
    """Join spans separated only by spaces: fewer placeholders translate better."""
    out: list[_Unit] = []
    for unit in units:
        if (
            unit.kind is not None
            and len(out) >= 1
            and out[-1].kind is not None
            and out[-1].brk == unit.brk
            and _same_restore(out[-1], unit)
        ):
            out[-1] = _join(out[-1], "", unit)
        elif (
            unit.kind is not None
            and len(out) >= 2
            and out[-1].kind is None
            and out[-2].kind is not None
            and out[-2].brk == unit.brk
            and _same_restore(out[-2], unit)
            # Blocks may swallow line breaks (they are never translated); inline spans may not,
            # or two lines would become one sentence.
            and (out[-1].shown.isspace() if unit.brk else _HSPACE.fullmatch(out[-1].shown) is not None)
        ):
            gap = out.pop()
            out[-1] = _join(out[-1], gap.source, unit)
        else:
            out.append(unit)
    return out


def _same_restore(a: _Unit, b: _Unit) -> bool:
    """Whether two spans come back the same way: a term's target is text (HTML-encoded on restore),
    everything else the source exactly (markup, URLs), so the two never share one placeholder."""
    return (a.output is None) == (b.output is None)


def _join(a: _Unit, gap: str, b: _Unit) -> _Unit:
    kinds = list(dict.fromkeys([*str(a.kind).split("+"), *str(b.kind).split("+")]))
    output = None
    if a.output is not None or b.output is not None:
        output = (a.source if a.output is None else a.output) + gap + (b.source if b.output is None else b.output)
    return _Unit(a.source + gap + b.source, "", "+".join(kinds), a.brk, output)


def _assemble(units: list[_Unit], fmt: Format, spellings: dict[str, str]) -> Masked:
    shown: list[str] = []
    spans: list[Span] = []
    breaks: set[int] = set()
    for unit in units:
        if unit.kind is None:
            shown.append(unit.shown)
            continue
        if unit.brk:
            breaks.add(len(spans))
        shown.append(f"{OPEN}{len(spans)}{CLOSE}")
        spans.append(Span(len(spans), unit.source, unit.kind, unit.output))
    return Masked("".join(shown), tuple(spans), fmt, frozenset(breaks), tuple(sorted(spellings.items())))


# ---------------------------------------------------------------------------------------------
# restore

_STRICT = regex.compile(rf"{OPEN}(\d+){CLOSE}")
# Engines respace the brackets ("⟦ 3 ⟧") or lose one of them; digits never stand next to a bracket
# otherwise, because protect masks every digit of the source.
_LOOSE = regex.compile(rf"{OPEN}[^\S\n]*(\d+)[^\S\n]*{CLOSE}|{OPEN}[^\S\n]*(\d+)|(\d+)[^\S\n]*{CLOSE}")
_STRAY = regex.compile(rf"[{OPEN}{CLOSE}]")
_LETTER = regex.compile(r"\p{L}")
_TRAIL_PUNCT = regex.compile(r"[\s\p{P}\p{S}]*\Z")
_LEAD_PUNCT = regex.compile(r"\A[\s\p{P}\p{S}]*")
_SENTENCE_END = regex.compile(r"(?<=[.!?…。！？])[^\S\n]+|\n")
_LINE_END = regex.compile(r"\n")
_TRAIL_SPACE = regex.compile(r"\s*\Z")
_LEAD_SPACE = regex.compile(r"\A\s*")


@dataclass(slots=True)
class _Layout:
    """Text between placeholders: texts[k] precedes idxs[k]; texts has one item more than idxs."""

    texts: list[str]
    idxs: list[int]


# Languages that write common nouns with a capital: a capital after a span may be right there.
_NOUN_CAPITALS = frozenset({"de", "lb"})


def restore(translated: str, masked: Masked, target_lang: str | None = None) -> Restored:
    """Put the masked spans back into a translation of `masked.text`, exactly, repairing what it can.

    With `target_lang` (outside languages that capitalise nouns), a word an engine capitalised
    right after a span is lowered when the source word there was lower-case: engines such as
    Apertium take a placeholder for a sentence break ("SwiftShip Entregará" → "SwiftShip entregará")."""
    n = len(masked.spans)
    out, stray = _parse(translated, _LOOSE, n)
    duplicated = _dedupe(out)
    src, _ = _parse(masked.text, _STRICT, n)
    present = set(out.idxs)
    lost = [i for i in range(n) if i not in present]
    for i in lost:
        _reinsert(out, src, i)
    _respace(out, src, masked)
    if target_lang is not None and target_lang.replace("_", "-").split("-")[0].lower() not in _NOUN_CAPITALS:
        _uncapitalise_after_spans(out, src)
    spellings = dict(masked.escapes)
    parts: list[str] = []
    for k, text in enumerate(out.texts):
        parts.append(encode_html(text, spellings) if masked.fmt == "html" else text)
        if k < len(out.idxs):
            span = masked.spans[out.idxs[k]]
            if span.output is None:
                parts.append(span.text)
            else:
                value = _capitalise(span.output) if _sentence_start("".join(parts)) else span.output
                parts.append(encode_html(value, spellings) if masked.fmt == "html" else value)
    return Restored(
        text="".join(parts),
        lost=tuple(masked.spans[i] for i in lost),
        duplicated=tuple(masked.spans[i] for i in duplicated),
        repaired=bool(lost or duplicated or stray),
    )


_OPENING = regex.compile(r"(?:\A|[.!?…。！？]\s+|\n)[\s\p{Ps}\p{Pi}¿¡\-–—*•]*\Z")


_FIRST_WORD = regex.compile(r"\A([^\S\n]*)(\p{Lu})(\p{Ll}+)(?=[^\p{L}]|\Z)")
_LOWER_START = regex.compile(r"\A[^\S\n]*\p{Ll}")


def _uncapitalise_after_spans(out: _Layout, src: _Layout) -> None:
    source = "".join(src.texts)
    for k, index in enumerate(out.idxs):
        if not _LOWER_START.match(src.texts[index + 1]):
            continue  # the source has a capital (or no word) there: keep the engine's
        m = _FIRST_WORD.match(out.texts[k + 1])
        # A word the source itself writes with a capital is a name the engine moved here ("Madrid").
        if m and not regex.search(rf"(?<!\p{{L}}){regex.escape(m.group(2) + m.group(3))}(?!\p{{L}})", source):
            text = out.texts[k + 1]
            out.texts[k + 1] = m.group(1) + m.group(2).lower() + text[m.end(2) :]


def _sentence_start(before: str) -> bool:
    """Is a span placed here the first word of a sentence (so a glossary target is capitalised)?"""
    return _OPENING.search(before[-200:] if len(before) > 200 else before) is not None if before else True


def _capitalise(word: str) -> str:
    return word[:1].upper() + word[1:]


def _parse(text: str, pattern: regex.Pattern[str], n: int) -> tuple[_Layout, bool]:
    """Split at placeholders with a valid index; drop invalid ones and stray brackets."""
    layout = _Layout([""], [])
    stray = False
    pos = 0
    for m in pattern.finditer(text):
        index = int(next(g for g in m.groups() if g is not None))
        layout.texts[-1] += text[pos : m.start()]
        if index < n:
            layout.idxs.append(index)
            layout.texts.append("")
        else:
            stray = True
        pos = m.end()
    layout.texts[-1] += text[pos:]
    for k, t in enumerate(layout.texts):
        cleaned = _STRAY.sub("", t)
        stray = stray or cleaned != t
        layout.texts[k] = cleaned
    return layout, stray


def _dedupe(out: _Layout) -> list[int]:
    """Keep the first copy of each placeholder; return the indices that had extra copies."""
    seen: set[int] = set()
    dupes: list[int] = []
    k = 0
    while k < len(out.idxs):
        index = out.idxs[k]
        if index not in seen:
            seen.add(index)
            k += 1
            continue
        if index not in dupes:
            dupes.append(index)
        left, right = out.texts[k], out.texts.pop(k + 1)
        # Drop the space the copy stood after when a space or a full stop follows it.
        if left[-1:] in (" ", "\t") and (not right or right[0] in " \t" or _may_glue(right[0], False, False)):
            left = left.rstrip(" \t")
        out.texts[k] = left + right
        del out.idxs[k]
    return sorted(dupes)


def _reinsert(out: _Layout, src: _Layout, i: int) -> None:
    """Put a lost placeholder back near where the source had it, relative to its neighbours."""
    # src.idxs is 0..n-1 in order; lost ones are handled in increasing order, so i-1 is present.
    position = {index: k for k, index in enumerate(out.idxs)}
    later = [j for j in range(i + 1, len(src.idxs)) if j in position]
    before = src.texts[i]
    after = "".join(src.texts[i + 1 : later[0] + 1]) if later else "".join(src.texts[i + 1 :])
    # The text slot to insert into: right after the previous placeholder, or before the next one.
    if i > 0:
        slot = position[i - 1] + 1
    else:
        slot = position[later[0]] if later else 0
    region = out.texts[slot]
    at = _insertion_point(region, before, after)
    out.texts[slot : slot + 1] = [region[:at], region[at:]]
    out.idxs.insert(slot, i)


def _insertion_point(region: str, before: str, after: str) -> int:
    lo, hi = 0, len(region)
    # Separators between sentences and lines come back unchanged, and engines rarely merge or
    # split sentences: when the counts agree, the placeholder's own sentence (or line) is known.
    for boundary in (_SENTENCE_END, _LINE_END):
        cuts = list(boundary.finditer(region))
        nb, na = len(boundary.findall(before)), len(boundary.findall(after))
        if len(cuts) == nb + na:
            lo = cuts[nb - 1].end() if nb else 0
            hi = cuts[nb].start() if nb < len(cuts) else len(region)
            before = boundary.split(before)[-1]
            after = boundary.split(after)[0]
            break
    text = region[lo:hi]
    if not _LETTER.search(after):
        tail = (_TRAIL_PUNCT if after.strip() else _TRAIL_SPACE).search(text)
        return hi - len(tail.group(0)) if tail else hi
    if not _LETTER.search(before):
        head = (_LEAD_PUNCT if before.strip() else _LEAD_SPACE).match(text)
        return lo + len(head.group(0)) if head else lo
    # In mid-sentence: the same share of the way through, moved to the nearest word start.
    target = lo + round(len(before) / (len(before) + len(after)) * len(text))
    starts = [lo + m.start() for m in regex.finditer(r"(?<!\S)\S", text)] or [lo]
    return min(starts, key=lambda s: abs(s - target))


def _respace(out: _Layout, src: _Layout, masked: Masked) -> None:
    """Undo spaces the engine added or removed next to a placeholder, where the source shows intent."""
    for k, index in enumerate(out.idxs):
        if index in masked.breaks:
            continue  # block boundaries sit in the separators, which come back unchanged
        markup = "markup" in masked.spans[index].kinds
        left_src, right_src = src.texts[index], src.texts[index + 1]
        glued_left = not left_src[-1:].isspace() and (bool(left_src) or index > 0)
        glued_right = not right_src[:1].isspace() and (bool(right_src) or index + 1 < len(src.idxs))
        left, right = out.texts[k], out.texts[k + 1]
        stripped = left.rstrip(" \t")
        if glued_left and stripped != left and _may_glue(stripped[-1:], markup, opening=True):
            left = stripped
        elif not glued_left and left_src[-1:] in (" ", "\t") and left[-1:].isalnum():
            left += " "
        stripped = right.lstrip(" \t")
        if glued_right and stripped != right and _may_glue(stripped[:1], markup, opening=False):
            right = stripped
        elif not glued_right and right_src[:1] in (" ", "\t") and right[:1].isalnum():
            right = " " + right
        # An engine may glue a word to the placeholder ("⟦0⟧wi"); words never glue in the source.
        value = masked.spans[index].restored
        if _words_collide(value[-1:], right[:1]) and not right_src[:1].isalnum():
            right = " " + right
        if _words_collide(left[-1:], value[:1]) and not left_src[-1:].isalnum():
            left += " "
        out.texts[k], out.texts[k + 1] = left, right


_UNSPACED_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")


def _words_collide(a: str, b: str) -> bool:
    """Two word characters touching, in scripts that separate words with spaces."""
    return bool(
        a and b and a.isalnum() and b.isalnum() and not _UNSPACED_SCRIPT.match(a) and not _UNSPACED_SCRIPT.match(b)
    )


def _may_glue(neighbour: str, markup: bool, opening: bool) -> bool:
    """Whether a space the engine put between a placeholder and `neighbour` can go."""
    if not neighbour:
        return True  # next to another placeholder or the edge of the text
    if neighbour.isspace():
        return False  # a line break: layout, not engine noise
    if markup:
        return True  # "** Nota**" is not emphasis; tags don't care either way
    category = unicodedata.category(neighbour)
    if not category.startswith(("P", "S")) or neighbour in "¿¡":
        return False
    # Text before the placeholder may be an opening bracket, text after a closing one.
    return category not in (("Pe", "Pf") if opening else ("Ps", "Pi"))
