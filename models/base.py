"""The engine contract: segments in, scored hypotheses out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

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
    # What the caller should know about how this text came about, in words: an answer the engine
    # had to clean (an LLM's preamble), a fallback engine that served instead of the first choice.
    notes: tuple[str, ...] = ()


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


# --- optional: engines that take the caller's rules as data (remote LLM, DeepL) ------------------


@dataclass(frozen=True, slots=True)
class TermPair:
    source: str  # as written in the source language
    target: str  # how it must read in the target language


@dataclass(frozen=True, slots=True)
class TranslationRules:
    """What the caller asks of one batch's translations, as plain data (models/ knows no brands).

    `terms`, `keep` and `forbidden` list what occurs in this batch; an engine shows each segment
    only the entries that occur in it. `glossary` is the whole term list of the pair with an opaque
    `glossary_key`/`glossary_version`, for engines that keep a server-side glossary (DeepL)."""

    keep: tuple[str, ...] = ()  # names copied exactly as written
    terms: tuple[TermPair, ...] = ()
    forbidden: tuple[str, ...] = ()  # target-language words never to use
    register: Literal["formal", "informal"] | None = None
    fmt: Literal["text", "html", "markdown"] = "text"
    context: tuple[str, ...] = ()  # earlier messages of the conversation, oldest first
    glossary: tuple[TermPair, ...] = ()
    glossary_key: str = ""
    glossary_version: str = ""

    def empty(self) -> bool:
        return not (self.keep or self.terms or self.forbidden or self.register or self.context or self.glossary)


@runtime_checkable
class RuleAwareEngine(Engine, Protocol):
    """An engine that can follow `TranslationRules`; rule-based and neural engines need not."""

    def translate_with_rules(
        self, segments: Sequence[str], pair: LanguagePair, rules: TranslationRules
    ) -> list[Hypothesis]: ...


@dataclass(frozen=True, slots=True)
class EngineHealth:
    """What /readyz and /metrics show of an engine that can fail on its own (a remote server)."""

    state: Literal["ok", "degraded", "open"]  # open: the circuit is open, calls fail at once
    requests: int = 0
    failures: int = 0
    retries: int = 0
    circuit_opens: int = 0
    retry_wait_s: float = 0.0  # time spent waiting before retries (Retry-After or backoff)
    last_error: str = ""
