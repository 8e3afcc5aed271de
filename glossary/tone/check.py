"""The dispatcher: `check_tone` tokenizes the text and runs the rules for its language."""

from __future__ import annotations

from collections.abc import Callable

from glossary.tone.core import (
    REGISTERS,
    Morphology,
    Register,
    ToneIssue,
    ToneResult,
    _Find,
    _Lex,
    _Tok,
    _tokens,
    tone_language,
)
from glossary.tone.germanic import _check_de, _check_nl
from glossary.tone.romance import _check_fr, _check_it, _check_pt
from glossary.tone.spanish import _check_es


def check_tone(text: str, lang: str, register: Register, morphology: Morphology | None = None) -> ToneResult:
    """Flag forms of the wrong register in `text`, fixing the unambiguous ones."""
    code = tone_language(lang)
    if register not in REGISTERS:
        raise ValueError(f"unknown register {register!r}; valid registers: {', '.join(REGISTERS)}")
    if morphology is not None and tone_language(morphology.lang) != code:
        raise ValueError(f"morphology is for {morphology.lang!r}, text is {lang!r}")
    toks = _tokens(text, elision=code in ("fr", "it"))
    lex = _Lex(morphology if code in _MORPH_LANGS else None, [t.low for t in toks])
    finds = sorted(_CHECKERS[code](toks, register, lex), key=lambda f: f.start)
    issues: list[ToneIssue] = []
    out: list[str] = []
    pos = 0
    for f in finds:
        fixed = f.replacement is not None and f.start >= pos
        if fixed:
            out += [text[pos : f.start], f.replacement or ""]
            pos = f.end
        replacement = f.replacement if fixed else None
        issues.append(ToneIssue(f.start, f.end, text[f.start : f.end], register, fixed, replacement, f.detail))
    out.append(text[pos:])
    return ToneResult("".join(out), tuple(issues))


_CHECKERS: dict[str, Callable[[list[_Tok], Register, _Lex], list[_Find]]] = {
    "es": _check_es,
    "it": _check_it,
    "fr": _check_fr,
    "pt": _check_pt,
    "de": _check_de,
    "nl": _check_nl,
}
# Languages whose rules use a Morphology when one is given.
_MORPH_LANGS = frozenset({"es", "it", "fr", "pt"})
