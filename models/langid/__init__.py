"""Language identification for short support messages: the best guess, and whether it is reliable.

    detector = build_detector("lingua")            # at startup: loads models (seconds, ~1 GB)
    detector.detect(["Hola, mi pedido no llegó"], prefer=["es", "en"])

Every language the detector knows stays a candidate; `prefer` weighs up the languages a brand
serves (`candidates` restricts, for callers that really know the set). A one- or two-word message
with a weak score comes back with its best guess and `reliable` False (reason "too_short"), so the
caller decides with context (the conversation's language, the customer's locale, ...).
Measurements behind the defaults: bench/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import MappingProxyType

from models.errors import ConfigError
from models.langid.base import AMBIGUOUS, NO_LETTERS, TOO_SHORT, Detection, LanguageDetector

__all__ = [
    "AMBIGUOUS",
    "DEFAULT_LANGUAGES",
    "DETECTOR_KINDS",
    "NO_LETTERS",
    "PREFER_WEIGHT",
    "TOO_SHORT",
    "Detection",
    "LanguageDetector",
    "build_detector",
]

# Thirty-two languages common in e-commerce support; all in models.langcodes and in both backends.
DEFAULT_LANGUAGES: tuple[str, ...] = (
    "en",
    "es",
    "fr",
    "de",
    "it",
    "pt",
    "nl",
    "ca",
    "pl",
    "sv",
    "da",
    "nb",
    "fi",
    "cs",
    "sk",
    "hu",
    "ro",
    "bg",
    "el",
    "ru",
    "uk",
    "tr",
    "ar",
    "he",
    "fa",
    "hi",
    "ja",
    "ko",
    "zh",
    "vi",
    "id",
    "th",
)
# Calibrated on bench/data/langid/dev.tsv (bench/README.md); the test split reports the figures.
MIN_CONFIDENCE_SHORT = 0.6
WORDFREQ_WEIGHT = 1.2
PREFER_WEIGHT = 1.5


def _lingua(languages: Collection[str], **options) -> LanguageDetector:
    from models.langid.lingua_backend import LinguaDetector

    return LinguaDetector(languages, **options)


def _langdetect(languages: Collection[str], **options) -> LanguageDetector:
    from models.langid.langdetect_backend import LangdetectDetector

    return LangdetectDetector(languages, **options)


DETECTOR_KINDS: MappingProxyType[str, Callable[..., LanguageDetector]] = MappingProxyType(
    {"lingua": _lingua, "langdetect": _langdetect}
)


def build_detector(
    kind: str = "lingua",
    languages: Collection[str] | None = None,
    *,
    preload: bool = True,
    min_confidence_short: float = MIN_CONFIDENCE_SHORT,
    wordfreq_weight: float = WORDFREQ_WEIGHT,
    prefer_weight: float = PREFER_WEIGHT,
) -> LanguageDetector:
    """A detector of `kind` whose default candidates are `languages` (DEFAULT_LANGUAGES if None).

    min_confidence_short: below this, a text of one or two words is not reliable ("too_short").
    wordfreq_weight: weight of the word-frequency log-prior; 0 turns it off.
    prefer_weight: log-odds added to the `prefer`red languages of a call (a brand's); 0 ignores them.
    """
    build = DETECTOR_KINDS.get(kind)
    if build is None:
        raise ConfigError(f"language detector kind {kind!r} is unknown; choose one of: {', '.join(DETECTOR_KINDS)}")
    if not 0.0 <= min_confidence_short <= 1.0:
        raise ConfigError(f"min_confidence_short must lie in [0, 1], not {min_confidence_short}")
    if wordfreq_weight < 0:
        raise ConfigError(f"wordfreq_weight must be >= 0, not {wordfreq_weight}")
    if prefer_weight < 0:
        raise ConfigError(f"prefer_weight must be >= 0, not {prefer_weight}")
    return build(
        DEFAULT_LANGUAGES if languages is None else languages,
        preload=preload,
        min_confidence_short=min_confidence_short,
        wordfreq_weight=wordfreq_weight,
        prefer_weight=prefer_weight,
    )
