"""The engine contract: segments in, scored hypotheses out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# Spans the caller wants copied verbatim are written as PLACEHOLDER_OPEN + index + PLACEHOLDER_CLOSE.
# Each engine renders them in whatever form it copies most reliably (Apertium: a superblank) and
# must hand back the same neutral form; the caller restores and audits them.
PLACEHOLDER_OPEN = "\u27e6"  # ⟦
PLACEHOLDER_CLOSE = "\u27e7"  # ⟧


@dataclass(frozen=True, slots=True)
class LanguagePair:
    source: str  # ISO 639-1 where one exists ("en"), else ISO 639-3
    target: str

    @classmethod
    def parse(cls, text: str) -> LanguagePair:
        source, sep, target = text.strip().partition("-")
        if not sep or not source or not target:
            raise ValueError(f"language pair {text!r} must look like 'en-es'")
        return cls(source.lower(), target.lower())

    def __str__(self) -> str:
        return f"{self.source}-{self.target}"


@dataclass(frozen=True, slots=True)
class Hypothesis:
    text: str
    # Mean token log-probability (<= 0, 0 is certain). Rule-based engines map their own evidence
    # (Apertium: the share of unknown words) onto the same scale so confidence can combine them.
    score: float
    # Engine-specific evidence that explains the score, e.g. {"unknown_words": 2, "words": 9}.
    details: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Engine(Protocol):
    name: str
    kind: str
    pairs: frozenset[LanguagePair]

    def translate(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        """Translate a batch; blocking, so async callers run it in a worker thread."""
        ...

    def score(self, sources: Sequence[str], targets: Sequence[str], pair: LanguagePair) -> list[float]:
        """Mean token log-probability of given translations (forced decoding); NaN if unsupported."""
        ...

    def close(self) -> None: ...
