"""`kind = "fallback"`: engines tried in order for a pair (e.g. an LLM server first, Apertium second).

When the first choice fails (a server down, an open circuit, a full queue) the next one serves and
every hypothesis says so (`notes`, and `details["fallback"]`), so the translation carries a signal
and the pipeline does not cache it as if the first choice had made it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from models.base import Engine, Hypothesis, LanguagePair, TranslationRules
from models.errors import EngineFailure, ModelError, UnsupportedPair

log = logging.getLogger(__name__)


def call(
    engine: Engine, segments: Sequence[str], pair: LanguagePair, rules: TranslationRules | None
) -> list[Hypothesis]:
    """`translate_with_rules` where the engine has it and there are rules, plain `translate` otherwise."""
    with_rules = getattr(engine, "translate_with_rules", None)
    if rules is not None and with_rules is not None:
        return with_rules(segments, pair, rules)
    return engine.translate(segments, pair)


class FallbackEngine:
    kind = "fallback"

    def __init__(self, name: str, members: Sequence[Engine], pairs: frozenset[LanguagePair] | None = None) -> None:
        self.name = name
        self.members = list(members)
        served = frozenset().union(*(m.pairs for m in self.members))
        self.pairs = served if pairs is None else pairs & served
        self.fallbacks = 0  # hypotheses served by a later choice
        # Whole messages when the first choice reads them best, unless a later one is a neural model,
        # which must get sentences (its length limit); Apertium copes with either.
        self.whole_texts = getattr(self.members[0], "whole_texts", False) and not any(
            m.kind in ("transformers", "ctranslate2") for m in self.members
        )

    @property
    def version(self) -> str:
        joined = "|".join(f"{m.name}={getattr(m, 'version', '')}" for m in self.members)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    def translate(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        return self._first_that_works(segments, pair, None)

    def translate_with_rules(
        self, segments: Sequence[str], pair: LanguagePair, rules: TranslationRules
    ) -> list[Hypothesis]:
        return self._first_that_works(segments, pair, rules)

    def _first_that_works(
        self, segments: Sequence[str], pair: LanguagePair, rules: TranslationRules | None
    ) -> list[Hypothesis]:
        candidates = [m for m in self.members if pair in m.pairs]
        if not candidates:
            raise UnsupportedPair(pair.source, pair.target, sorted(str(p) for p in self.pairs))
        failed: list[str] = []
        for engine in candidates:
            try:
                hyps = call(engine, segments, pair, rules)
            except UnsupportedPair:
                raise
            except ModelError as exc:  # EngineFailure, CircuitOpen, EngineBusy: the next one serves
                log.warning("fallback %s: engine %s failed for %s: %s", self.name, engine.name, pair, exc)
                failed.append(f"{engine.name}: {exc}")
                continue
            if not failed:
                return hyps
            self.fallbacks += len(hyps)
            note = f"{engine.name} served because {'; '.join(failed)}"
            # Which kind of engine really made it: the confidence's prior and the review threshold follow it.
            served = {"fallback": 1.0, f"served_by.{engine.kind}": 1.0}
            return [Hypothesis(h.text, h.score, {**h.details, **served}, (*h.notes, note)) for h in hyps]
        raise EngineFailure(f"every engine of {self.name} failed for {pair}: " + "; ".join(failed))

    def score(self, sources: Sequence[str], targets: Sequence[str], pair: LanguagePair) -> list[float]:
        for engine in self.members:
            if pair in engine.pairs:
                try:
                    scores = engine.score(sources, targets, pair)
                except ModelError:
                    continue
                if all(s == s for s in scores):  # NaN: this one cannot score
                    return scores
        return [float("nan")] * len(sources)

    def close(self) -> None:  # the members are closed by the registry that owns them
        pass

    def __repr__(self) -> str:
        return f"<FallbackEngine {self.name} {[m.name for m in self.members]}>"
