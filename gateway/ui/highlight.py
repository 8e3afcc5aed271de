"""Glossary terms and tone problems in a review item's source and translation, as marked pieces.

Untrusted text is never turned into markup here: it is cut into pieces (plain or marked, with a
label we wrote) and the template escapes every piece.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import regex

from glossary.inflect import forms_of
from glossary.matcher import CompiledTermbase
from glossary.terms import Term
from glossary.tone import TONE_LANGUAGES, Morphology, check_tone
from models.errors import ModelError


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: str  # css class: term | dnt | forbidden | tone
    title: str


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    kind: str | None = None
    title: str = ""


def pieces(text: str, spans: Iterable[Span]) -> list[Piece]:
    """The text cut at the spans (earliest first; a span overlapping an earlier one is dropped)."""
    out: list[Piece] = []
    pos = 0
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if s.start < pos or s.end <= s.start:
            continue
        if s.start > pos:
            out.append(Piece(text[pos : s.start]))
        out.append(Piece(text[s.start : s.end], s.kind, s.title))
        pos = s.end
    if pos < len(text):
        out.append(Piece(text[pos:]))
    return out


def _describe(term: Term) -> str:
    if term.kind == "dnt":
        return f"glossary: keep “{term.source}” exactly as written"
    return f"glossary: “{term.source}” must be translated as “{term.target}”"


def _occurrences(text: str, wanted: str, case_sensitive: bool) -> list[tuple[int, int]]:
    pattern = regex.compile(r"(?<![\w])" + regex.escape(wanted) + r"(?![\w])", 0 if case_sensitive else regex.I)
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _tone(text: str, lang: str, register: str | None) -> list[Span]:
    if register not in ("formal", "informal") or lang not in TONE_LANGUAGES:
        return []
    result = check_tone(text, lang, register)  # type: ignore[arg-type]
    return [
        Span(i.start, i.end, "tone", f"tone: {i.detail} (the brand writes {register} {lang})") for i in result.issues
    ]


@dataclass(frozen=True, slots=True)
class Highlighted:
    source: list[Piece]
    mt: list[Piece]
    notes: list[str]  # each rule that applies, in plain words


def highlight(
    source: str,
    mt: str,
    source_lang: str,
    target_lang: str,
    compiled: CompiledTermbase | None,
    tone: dict[str, str],
    morphologies: Mapping[str, Morphology] | None = None,
) -> Highlighted:
    """Blocking with `morphologies` (terms and forbidden words in any inflected form): call it in a thread."""
    try:
        return _highlight(source, mt, source_lang, target_lang, compiled, tone, morphologies or {})
    except ModelError:
        # An analyser that failed twice: the page still shows what plain matching finds.
        return _highlight(source, mt, source_lang, target_lang, compiled, tone, {})


def _highlight(
    source: str,
    mt: str,
    source_lang: str,
    target_lang: str,
    compiled: CompiledTermbase | None,
    tone: dict[str, str],
    morphologies: Mapping[str, Morphology],
) -> Highlighted:
    src_spans: list[Span] = []
    mt_spans: list[Span] = []
    notes: list[str] = []
    src_morph, mt_morph = morphologies.get(source_lang), morphologies.get(target_lang)
    if compiled is not None and source_lang != "und":
        for m in compiled.source_matches(source, source_lang, target_lang, src_morph, mt_morph):
            title = _describe(m.term)
            src_spans.append(Span(m.start, m.end, m.term.kind, title))
            wanted = (
                (m.term.source,) if m.term.kind == "dnt" or not m.term.target else (m.term.target, *m.term.variants)
            )
            found = [o for w in wanted for o in _occurrences(mt, w, m.term.case_sensitive)]
            if not found and mt_morph is not None and m.term.kind == "term" and not m.term.case_sensitive:
                found = [(w.start, w.end) for w, _ in forms_of(mt, m.term.target or "", mt_morph)]
            mt_spans += [Span(a, b, m.term.kind, title) for a, b in found]
            notes.append(title + ("" if found else " — not found in the translation"))
        for m in compiled.forbidden_matches(mt, target_lang, mt_morph):
            title = f"glossary: the brand never writes “{m.text}”; use “{m.term.target}”"
            mt_spans.append(Span(m.start, m.end, "forbidden", title))
            notes.append(title)
    src_spans += _tone(source, source_lang, tone.get(source_lang))
    tone_spans = _tone(mt, target_lang, tone.get(target_lang))
    mt_spans += tone_spans
    notes += [s.title for s in tone_spans]
    return Highlighted(pieces(source, src_spans), pieces(mt, mt_spans), list(dict.fromkeys(notes)))
