"""langdetect: the Java port of Google's language-detection, kept as a baseline and a fallback.

langdetect keeps a module-global factory and a class-wide `DetectorFactory.seed`. This backend
touches neither: it loads its own factory and sets `seed` on that instance, which each Detector
copies, so results are deterministic without changing anyone else's langdetect.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from models.errors import UnknownLanguage
from models.langcodes import normalize
from models.langid.base import ScoringDetector

SEED = 0


class LangdetectDetector(ScoringDetector):
    name = "langdetect"

    def __init__(
        self,
        languages: Collection[str],
        *,
        preload: bool,
        min_confidence_short: float,
        wordfreq_weight: float,
        prefer_weight: float = 0.0,
    ) -> None:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
        from langdetect.lang_detect_exception import LangDetectException

        self._no_features = LangDetectException
        # langdetect loads every profile at once (about 0.5 s); `preload` has nothing to defer.
        self._factory = DetectorFactory()
        self._factory.load_profile(PROFILES_DIRECTORY)
        self._factory.seed = SEED
        self._code_of: dict[str, str] = {}  # "zh-cn" -> "zh"
        self._profiles: dict[str, list[str]] = defaultdict(list)  # "zh" -> ["zh-cn", "zh-tw"]
        for profile in self._factory.get_lang_list():
            try:
                self._code_of[profile] = normalize(profile)
            except UnknownLanguage:
                continue  # a profile for a language the gateway has no code for (e.g. Welsh)
            self._profiles[self._code_of[profile]].append(profile)
        super().__init__(
            languages,
            frozenset(self._profiles),
            min_confidence_short=min_confidence_short,
            wordfreq_weight=wordfreq_weight,
            preload=preload,
            prefer_weight=prefer_weight,
        )

    def _confidences(self, texts: list[str], langs: frozenset[str]) -> list[dict[str, float]]:
        # Restrict by prior: a zero prior keeps a language at zero through langdetect's updates.
        prior = {profile: 1.0 for lang in langs for profile in self._profiles[lang]}
        return [self._one(text, prior, langs) for text in texts]

    def _one(self, text: str, prior: dict[str, float], langs: frozenset[str]) -> dict[str, float]:
        detector = self._factory.create()
        detector.set_prior_map(prior)
        detector.append(text)
        try:
            detector.get_probabilities()
        except self._no_features:
            return dict.fromkeys(langs, 0.0)  # nothing langdetect can read, e.g. a lone "ok"
        out = dict.fromkeys(langs, 0.0)
        # langprob holds every profile's probability; get_probabilities() drops those under 0.1.
        for profile, p in zip(detector.langlist, detector.langprob, strict=True):
            if p > 0 and profile in prior:
                out[self._code_of[profile]] += p
        return out
