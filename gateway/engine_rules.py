"""A brand's rules for one batch, as the plain data remote engines take (models.base.TranslationRules).

models/ knows no brands or termbases: the pipeline hands an LLM or DeepL the names to keep, the
term pairs and forbidden words that apply, the register and the format, built here from what the
glossary found in the batch. Rule-based and neural engines never see them (they get masked terms
and post-edits instead), so this runs only for routes with an engine that takes rules.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from gateway.terminology import BrandRules
from glossary.matcher import CompiledTermbase, TermMatch
from glossary.segment import Segmented
from models.base import TermPair, TranslationRules

MAX_FORBIDDEN = 40  # in one prompt; a longer list drowns the text
MAX_GLOSSARY = 5000  # entries of a server-side glossary (DeepL takes up to 10 MiB)


class EngineRules:
    """Builds TranslationRules; the brand-wide lists (a pair's terms, forbidden words) are cached
    per glossary version, since listing a 10,000-entry glossary costs ~30 ms and they change only
    with the version."""

    def __init__(self, maxsize: int = 256) -> None:
        self._lists: OrderedDict[tuple, tuple[tuple[str, ...], tuple[TermPair, ...]]] = OrderedDict()
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def build(
        self, rules: BrandRules, source: str, target: str, fmt: str, found: Sequence[Sequence[TermMatch]]
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
        forbidden, glossary = self._brand_lists(compiled, source, target) if compiled else ((), ())
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

    def _brand_lists(
        self, compiled: CompiledTermbase, source: str, target: str
    ) -> tuple[tuple[str, ...], tuple[TermPair, ...]]:
        key = (compiled.brand, compiled.version, source, target)
        with self._lock:
            hit = self._lists.get(key)
            if hit is not None:
                self._lists.move_to_end(key)
                return hit
        forbidden = tuple(t.source for t in compiled.forbidden_terms(target)[:MAX_FORBIDDEN])
        pairs = [t for t in compiled.pair_terms(source, target) if t.target][:MAX_GLOSSARY]
        made = (forbidden, tuple(TermPair(t.source, t.target or "") for t in pairs))
        with self._lock:
            self._lists[key] = made
            while len(self._lists) > self.maxsize:
                self._lists.popitem(last=False)
        return made


def whole_text(text: str) -> Segmented:
    """A protected text as one segment (its outer whitespace kept aside), for engines that read whole messages."""
    core = text.strip()
    if not core:
        return Segmented((), (text,))
    start = text.index(core)
    return Segmented((core,), (text[:start], text[start + len(core) :]))
