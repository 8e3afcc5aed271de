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
from glossary.inflect import agree_determiners, analyse, forms_of, replace_form
from glossary.matcher import CompiledTermbase, TermMatch
from glossary.protect import TermFinder
from glossary.store import TermbaseStore
from glossary.target_form import fit_target
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
    llm_review: bool = False  # the brand asks the operator's LLM reviewer too (gateway/llm_review.py)

    def finder(
        self,
        source: str,
        target: str,
        found: list[TermMatch],
        mask_terms: bool = True,
        source_morphology: Morphology | None = None,
        target_morphology: Morphology | None = None,
    ) -> TermFinder | None:
        """A term finder for protect(): masks dnt entries, and term entries too when `mask_terms`.

        With both languages' morphologies, terms are found in any form ("orders") and a masked
        term comes back in the form its source has ("pedidos"; "you will get" → "recibirás").
        Every match is appended to `found`, for the post-edit and the report."""
        if self.compiled is None:
            return None
        compiled = self.compiled

        def output(text: str, m: TermMatch) -> str | None:
            if m.term.kind == "dnt":
                return None
            if mask_terms and source_morphology is not None and target_morphology is not None:
                fitted = fit_target(text, m.start, m.end, m.term, source_morphology, target_morphology, source)
                if fitted:
                    return fitted
            return m.term.target

        def find(text: str):
            matches = compiled.source_matches(text, source, target, source_morphology, target_morphology)
            found.extend(matches)
            return [(m.start, m.end, output(text, m)) for m in matches if mask_terms or m.term.kind == "dnt"]

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
        out.text, fixed = _replace_forbidden(out.text, rules.compiled, target, morphology)
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
            out.text, _ = _replace_forbidden(out.text, rules.compiled, target, morphology)
    if morphology is not None:
        # A term put in by a mask or a post-edit may not agree with the determiner the engine wrote.
        for noun in dict.fromkeys(_first_word(m.term.target) for m in found if m.term.kind == "term"):
            if noun:
                out.text = agree_determiners(out.text, noun, morphology)
    seen: set[str] = set()
    for m in found:
        if m.term.id in seen:
            continue
        seen.add(m.term.id)
        applied = _applied(out.text, m.term, rules.compiled, morphology)
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


def missing_terms(
    text: str, found: list[TermMatch], compiled: CompiledTermbase, morphology: Morphology | None = None
) -> list[TermMatch]:
    """The `term` entries of the source whose target is not (yet) in the translation (in any form,
    given the target language's morphology)."""
    return [m for m in found if m.term.kind == "term" and not compiled.target_present(text, m.term, morphology)]


def post_edit(text: str, term: Term, rendering: str | None, morphology: Morphology | None = None) -> str:
    """Replace the engine's own rendering of a term (found in the output) with the brand's target.

    With the target language's morphology the rendering is found in any form ("órdenes" for
    "orden", "cogerás" for "coge") and the target takes that form ("pedidos", "recibirás")."""
    if not rendering or not rendering.strip() or not term.target:
        return text
    pattern = regex.compile(rf"(?<![\p{{L}}\p{{N}}]){regex.escape(rendering.strip())}(?![\p{{L}}\p{{N}}])", regex.I)
    m = pattern.search(text)
    if m is None:
        return _post_edit_form(text, term, rendering, morphology) if morphology is not None else text
    value = term.target
    if m.group(0)[:1].isupper() and not value[:1].isupper():
        value = value[:1].upper() + value[1:]
    return text[: m.start()] + value + text[m.end() :]


def _first_word(text: str | None) -> str | None:
    """The head of a Romance noun phrase ("número de seguimiento" → "número")."""
    return text.split()[0] if text and text.split() else None


def _other(register: str) -> str:
    return "informal" if register == "formal" else "formal"


def _post_edit_form(text: str, term: Term, rendering: str, morphology: Morphology) -> str:
    """The first word of the output that is a form of the (one-word) rendering's lemma, replaced by
    the target in that form; the text unchanged when there is none or the form cannot be made."""
    words = analyse(rendering.strip(), morphology)
    if len(words) != 1 or not term.target:
        return text
    target_words = analyse(term.target, morphology)
    wanted = {
        r.head.tags[0]
        for w in target_words[:1]
        for r in w.readings
        if r.head.tags and r.head.lemma.casefold() == w.text.casefold()
    }
    for lemma in dict.fromkeys(r.head.lemma for r in words[0].readings if r.head.tags and r.head.tags[0] in wanted):
        for word, reading in forms_of(text, lemma, morphology, frozenset(wanted)):
            replaced = replace_form(text, word, reading, term.target, morphology)
            if replaced is not None:
                return replaced[0]
    return text


def _applied(text: str, term: Term, compiled: CompiledTermbase | None, morphology: Morphology | None = None) -> bool:
    if term.kind == "dnt":
        return term.source in text
    return compiled is not None and compiled.target_present(text, term, morphology)


def _replace_forbidden(
    text: str, compiled: CompiledTermbase, target: str, morphology: Morphology | None = None
) -> tuple[str, list[tuple[str, str]]]:
    """Forbidden words replaced, in any inflected form when the language's morphology is given."""
    matches = compiled.forbidden_matches(text, target, morphology)
    fixed = []
    for m in reversed(matches):
        replacement = m.term.target or ""
        inflected = _inflected_replacement(text, m, morphology) if morphology is not None else None
        if inflected is not None:
            text, replacement = inflected
        else:
            if m.text[:1].isupper():
                replacement = replacement[:1].upper() + replacement[1:]
            text = text[: m.start] + replacement + text[m.end :]
        fixed.append((m.text, replacement))
    return text, fixed[::-1]


def _inflected_replacement(text: str, m: TermMatch, morphology: Morphology) -> tuple[str, str] | None:
    """The text with `m` replaced by its entry's replacement in the same form, and that form."""
    if m.reading is None or not m.term.target:
        return None
    word = next((w for w in analyse(text, morphology) if w.start == m.start and w.end == m.end), None)
    reading = (
        next((r for r in word.readings if "+".join(p.render() for p in r.parts) == m.reading), None) if word else None
    )
    if word is None or reading is None:
        return None
    replaced = replace_form(text, word, reading, m.term.target, morphology)
    if replaced is None:
        return None
    new, start, end = replaced
    return new, new[start:end]


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
