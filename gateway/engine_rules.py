"""A brand's rules for one batch, as the plain data remote engines take (models.base.TranslationRules).

models/ knows no brands or termbases: the pipeline hands an LLM or DeepL the names to keep, the
term pairs and forbidden words that apply, the register and the format, built here from what the
glossary found in the batch. Rule-based and neural engines never see them (they get masked terms
and post-edits instead), so this runs only for routes with an engine that takes rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.terminology import BrandRules
from glossary.matcher import CompiledTermbase, TermMatch
from glossary.terms import Term
from models.base import TermPair, TranslationRules

MAX_FORBIDDEN = 40  # in one prompt; a longer list drowns the text
MAX_GLOSSARY = 5000  # entries of a server-side glossary (DeepL takes up to 10 MiB)


def engine_rules(
    rules: BrandRules, source: str, target: str, fmt: str, found: Sequence[Sequence[TermMatch]]
) -> TranslationRules:
    keep: dict[str, None] = {}
    terms: dict[tuple[str, str], None] = {}
    for matches in found:
        for m in matches:
            if m.term.kind == "dnt":
                keep[m.term.source] = None
            elif m.term.kind == "term" and m.term.target:
                # The surface as written in this text, so the engine can find it ("Orders" for "order").
                terms[(m.text, m.term.target)] = None
    compiled = rules.compiled
    forbidden: tuple[str, ...] = ()
    glossary: tuple[TermPair, ...] = ()
    if compiled is not None:
        forbidden = tuple(t.source for t in _forbidden(compiled, target)[:MAX_FORBIDDEN])
        glossary = tuple(TermPair(t.source, t.target) for t in _pair_terms(compiled, source, target)[:MAX_GLOSSARY])
    return TranslationRules(
        keep=tuple(keep),
        terms=tuple(TermPair(s, t) for s, t in terms),
        forbidden=forbidden,
        register=rules.register if rules.register in ("formal", "informal") else None,  # type: ignore[arg-type]
        fmt=fmt if fmt in ("text", "html", "markdown") else "text",  # type: ignore[arg-type]
        glossary=glossary,
        glossary_key=compiled.brand if compiled else "",
        glossary_version=str(compiled.version) if compiled else "",
    )


def _pair_terms(compiled: CompiledTermbase, source: str, target: str) -> list[Term]:
    return [t for t in compiled.pair_terms(source, target) if t.target]


def _forbidden(compiled: CompiledTermbase, target: str) -> list[Term]:
    return compiled.forbidden_terms(target)
