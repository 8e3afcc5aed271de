"""A brand's glossary and tone applied to one translation: terms in, checks and fixes out.

Glossary terms are found in the source and masked (see glossary/protect.py: a `dnt` entry comes
back exactly as written, a `term` entry as its target form), so every engine kind obeys them.
After translation: forbidden words are replaced, the register is checked against the brand's
tone profile (and fixed where that is safe), and each applicable entry is reported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import regex

from gateway.confidence import Signal
from glossary.matcher import CompiledTermbase, TermMatch
from glossary.protect import TermFinder
from glossary.store import TermbaseStore
from glossary.terms import Term
from glossary.tone import Morphology, check_tone
from models.errors import ModelError

# How much an unmet rule lowers confidence.
TERM_MISSING = 0.6
TONE_UNFIXED = 0.75


@dataclass(frozen=True, slots=True)
class BrandRules:
    """What a brand asks of one language pair's translations."""

    compiled: CompiledTermbase | None
    register: str | None  # "formal" | "informal" for the target language, or None

    def finder(self, source: str, target: str, found: list[TermMatch], mask_terms: bool = True) -> TermFinder | None:
        """A term finder for protect(): masks dnt entries, and term entries too when `mask_terms`.

        Every match is appended to `found`, for the post-edit and the report."""
        if self.compiled is None:
            return None
        compiled = self.compiled

        def find(text: str):
            matches = compiled.source_matches(text, source, target)
            found.extend(matches)
            return [
                (m.start, m.end, None if m.term.kind == "dnt" else m.term.target)
                for m in matches
                if mask_terms or m.term.kind == "dnt"
            ]

        return find


NO_RULES = BrandRules(None, None)


@dataclass(slots=True)
class Checked:
    text: str
    terms: list[dict] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)


def check(text: str, target: str, rules: BrandRules, found: list[TermMatch], morphology: Morphology | None) -> Checked:
    """Fix forbidden words and register where safe; report every applicable entry and what is left."""
    out = Checked(text)
    if rules.compiled is not None:
        out.text, fixed = _replace_forbidden(out.text, rules.compiled, target)
        for before, after in fixed:
            out.signals.append(Signal("forbidden_word", f"replaced {before!r} with {after!r}"))
    if rules.register:
        try:
            result = check_tone(out.text, target, rules.register, morphology)  # type: ignore[arg-type]
        except ModelError as exc:
            # The morphology process failed twice: still fix what needs no morphology.
            out.signals.append(Signal("morphology_unavailable", f"verb forms not checked: {exc}"))
            result = check_tone(out.text, target, rules.register, None)  # type: ignore[arg-type]
        out.text = result.text
        fixed_issues = [i for i in result.issues if i.fixed]
        left = [i for i in result.issues if not i.fixed]
        if fixed_issues:
            shown = ", ".join(f"{i.text!r}→{i.replacement!r}" for i in fixed_issues[:5])
            out.signals.append(Signal("tone_fixed", f"changed to the {rules.register} register: {shown}"))
        if left:
            shown = ", ".join(repr(i.text) for i in left[:5])
            out.signals.append(
                Signal(
                    "tone",
                    f"{len(left)} {_other(rules.register)} form(s) left for a {rules.register} brand: {shown}",
                    TONE_UNFIXED,
                )
            )
        if rules.compiled is not None and (fixed_issues or fixed):
            # A fix may have touched a forbidden word again; a second pass is cheap and settles it.
            out.text, _ = _replace_forbidden(out.text, rules.compiled, target)
    seen: set[str] = set()
    for m in found:
        if m.term.id in seen:
            continue
        seen.add(m.term.id)
        applied = _applied(out.text, m.term, rules.compiled)
        out.terms.append(
            {"source": m.term.source, "target": m.term.target or m.term.source, "kind": m.term.kind, "applied": applied}
        )
        if not applied:
            out.signals.append(
                Signal(
                    "term_missing", f"{m.term.source!r} should read {m.term.target or m.term.source!r}", TERM_MISSING
                )
            )
    return out


def missing_terms(text: str, found: list[TermMatch], compiled: CompiledTermbase) -> list[TermMatch]:
    """The `term` entries of the source whose target is not (yet) in the translation."""
    return [m for m in found if m.term.kind == "term" and not compiled.target_present(text, m.term)]


def post_edit(text: str, term: Term, rendering: str | None) -> str:
    """Replace the engine's own rendering of a term (found in the output) with the brand's target."""
    if not rendering or not rendering.strip() or not term.target:
        return text
    pattern = regex.compile(rf"(?<![\p{{L}}\p{{N}}]){regex.escape(rendering.strip())}(?![\p{{L}}\p{{N}}])", regex.I)
    m = pattern.search(text)
    if m is None:
        return text
    value = term.target
    if m.group(0)[:1].isupper() and not value[:1].isupper():
        value = value[:1].upper() + value[1:]
    return text[: m.start()] + value + text[m.end() :]


def _other(register: str) -> str:
    return "informal" if register == "formal" else "formal"


def _applied(text: str, term: Term, compiled: CompiledTermbase | None) -> bool:
    if term.kind == "dnt":
        return term.source in text
    return compiled is not None and compiled.target_present(text, term)


def _replace_forbidden(text: str, compiled: CompiledTermbase, target: str) -> tuple[str, list[tuple[str, str]]]:
    matches = compiled.forbidden_matches(text, target)
    fixed = []
    for m in reversed(matches):
        replacement = m.term.target or ""
        if m.text[:1].isupper():
            replacement = replacement[:1].upper() + replacement[1:]
        fixed.append((m.text, replacement))
        text = text[: m.start] + replacement + text[m.end :]
    return text, fixed[::-1]


class BrandRulesCache:
    """Compiled termbases per brand, rebuilt only when the glossary version changes."""

    def __init__(self, store: TermbaseStore, compile_: Callable = CompiledTermbase.compile) -> None:
        self.store = store
        self._compile = compile_
        self._lock = threading.Lock()
        self._by_brand: dict[str, CompiledTermbase] = {}

    async def compiled(self, brand: str) -> CompiledTermbase | None:
        import anyio

        version = await self.store.version(brand)
        if version == 0:
            return None
        with self._lock:
            cached = self._by_brand.get(brand)
        if cached is not None and cached.version == version:
            return cached
        termbase = await self.store.get(brand)
        compiled = await anyio.to_thread.run_sync(self._compile, termbase)
        with self._lock:
            self._by_brand[brand] = compiled
        return compiled
