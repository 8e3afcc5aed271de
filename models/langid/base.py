"""The detector contract and the steps every backend shares: clean, score, add the prior, decide."""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

from models.errors import ConfigError, UnknownLanguage
from models.langcodes import normalize
from models.langid.prior import WordFrequencyPrior
from models.langid.text import has_letters, strip_non_language, word_count, words

NO_LETTERS, TOO_SHORT, AMBIGUOUS = "no_letters", "too_short", "ambiguous"
# A message of this many words or fewer is "short": a weak score on it decides nothing.
SHORT_WORDS = 2
MAX_ALTERNATIVES = 3


@dataclass(frozen=True, slots=True)
class Detection:
    """The best guess, always, and whether it is good enough to act on without context.

    lang is None only when there is nothing to guess from: no letters, or no candidate plausible
    (a script none of them writes). An unreliable guess ("too_short": one or two words, weak
    score) is still the detector's best one; the caller decides with context (gateway/language.py).
    """

    lang: str | None  # ISO 639-1 code (models.langcodes) of the best guess
    confidence: float  # 0..1 for lang (0.0 when None)
    alternatives: tuple[tuple[str, float], ...]  # next best (lang, confidence), at most 3
    reason: str | None = None  # why not reliable: "no_letters" | "too_short" | "ambiguous"

    @property
    def reliable(self) -> bool:
        return self.lang is not None and self.reason is None


@runtime_checkable
class LanguageDetector(Protocol):
    name: str
    default_languages: frozenset[str]

    def detect(
        self, texts: Sequence[str], candidates: Collection[str] | None = None, prefer: Collection[str] | None = None
    ) -> list[Detection]:
        """One Detection per text, in order; blocking, so async callers run it in a worker thread.

        candidates: the languages to choose between (None: the detector's defaults).
        prefer: languages to weigh up without ruling the others out (a brand's languages)."""
        ...


K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A thread-safe LRU of things that are cheap to keep and slow to build (restricted detectors)."""

    def __init__(self, maxsize: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[K], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            value = build(key)  # under the lock: two requests never build the same detector twice
            self._items[key] = value
            if len(self._items) > self._maxsize:
                self._items.popitem(last=False)
            return value


class ScoringDetector(ABC):
    """Template: subclasses implement `_confidences` (the model call); this class does the rest."""

    name: str
    default_languages: frozenset[str]

    def __init__(
        self,
        languages: Collection[str],
        supported: frozenset[str],
        *,
        min_confidence_short: float,
        wordfreq_weight: float,
        preload: bool,
        prefer_weight: float = 0.0,
    ) -> None:
        self.supported = supported
        self.default_languages = self._check(languages)
        self.min_confidence_short = min_confidence_short
        self.prefer_weight = prefer_weight
        self._prior = WordFrequencyPrior(supported, wordfreq_weight) if wordfreq_weight else None
        if self._prior is not None and preload:
            self._prior.preload(self.default_languages)

    def detect(
        self, texts: Sequence[str], candidates: Collection[str] | None = None, prefer: Collection[str] | None = None
    ) -> list[Detection]:
        langs = self.default_languages if candidates is None else self._check(candidates)
        # A hint, not a demand: a brand language this backend cannot identify is simply not weighed.
        preferred = frozenset(normalize(code) for code in ([prefer] if isinstance(prefer, str) else prefer or ()))
        preferred &= self.supported
        if candidates is None:
            langs = langs | preferred  # a brand language outside the defaults still counts
        else:
            preferred &= langs
        cleaned = [strip_non_language(t) for t in texts]
        todo = [i for i, text in enumerate(cleaned) if has_letters(text)]
        if len(langs) == 1:  # nothing to choose between (and lingua answers 0 for a lone language)
            scored = [dict.fromkeys(langs, 1.0)] * len(todo)
        else:
            scored = self._confidences([cleaned[i] for i in todo], langs) if todo else []
        out = [Detection(None, 0.0, (), NO_LETTERS)] * len(texts)
        for i, confidences in zip(todo, scored, strict=True):
            weighed = self._with_prior(cleaned[i], confidences, langs)
            out[i] = self._decide(cleaned[i], _prefer(weighed, preferred, self.prefer_weight))
        return out

    @abstractmethod
    def _confidences(self, texts: list[str], langs: frozenset[str]) -> list[dict[str, float]]:
        """Per text, a confidence for each language in langs (summing to 1, or all 0 when none fits)."""

    def _check(self, codes: Collection[str]) -> frozenset[str]:
        if isinstance(codes, str):
            codes = [codes]  # a lone "es" would otherwise be read as the languages "e" and "s"
        langs = frozenset(normalize(code) for code in codes)
        if not langs:
            raise ConfigError("candidates: name at least one language, or pass None for the defaults")
        unsupported = sorted(langs - self.supported)
        if unsupported:
            raise UnknownLanguage(
                unsupported[0],
                f"the {self.name} detector cannot identify it; it knows {', '.join(sorted(self.supported))}",
            )
        return langs

    def _with_prior(self, text: str, confidences: dict[str, float], langs: frozenset[str]) -> dict[str, float]:
        """Bayes-style: add the word-frequency log-prior to each log-confidence and renormalise."""
        if self._prior is None:
            return confidences
        prior = self._prior.scores(words(text), langs)
        logs = {lang: math.log(c) + prior[lang] for lang, c in confidences.items() if c > 0}
        if not logs:
            return confidences
        top = max(logs.values())
        exp = {lang: math.exp(v - top) for lang, v in logs.items()}
        total = sum(exp.values())
        return {lang: exp.get(lang, 0.0) / total for lang in confidences}

    def _decide(self, text: str, confidences: dict[str, float]) -> Detection:
        ranked = sorted(((lang, c) for lang, c in confidences.items() if c > 0), key=lambda lc: (-lc[1], lc[0]))
        if not ranked:
            return Detection(None, 0.0, (), AMBIGUOUS)  # no candidate is plausible (e.g. wrong script)
        lang, confidence = ranked[0]
        alternatives = tuple(ranked[1 : MAX_ALTERNATIVES + 1])
        if confidence < self.min_confidence_short and word_count(text) <= SHORT_WORDS:
            # The best guess stays; the caller weighs it against the conversation's language.
            return Detection(lang, confidence, alternatives, TOO_SHORT)
        return Detection(lang, confidence, alternatives)


def _prefer(confidences: dict[str, float], preferred: frozenset[str], weight: float) -> dict[str, float]:
    """Multiply the preferred languages' confidences by e**weight and renormalise.

    A brand's languages are likelier than the rest, not the only ones: a French message under an
    en/es brand keeps its French score and wins when the text is clearly French."""
    if not preferred or not weight or len(preferred) == len(confidences):
        return confidences
    factor = math.exp(weight)
    raised = {lang: c * factor if lang in preferred else c for lang, c in confidences.items()}
    total = sum(raised.values())
    return {lang: c / total for lang, c in raised.items()} if total > 0 else confidences
