"""lingua: n-gram models for 75 languages, high-accuracy mode, restricted per request."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import regex

from models.langcodes import LANGUAGES
from models.langid.base import BoundedCache, ScoringDetector

if TYPE_CHECKING:
    from lingua import LanguageDetector as LinguaModel

# Restricted detectors are cheap (lingua shares loaded models between them) but not free to
# build; brands reuse the same few language sets, so a small LRU holds them.
RESTRICTED_CACHE_SIZE = 64
# lingua calls any text written only in Han characters Chinese. Japanese writes short nouns that
# way ("注文", "返品", "有効"), so up to this length the word-frequency prior decides instead.
_HAN_ONLY = regex.compile(r"[\p{Han}\s\p{P}]+")
MAX_HAN_ONLY_JAPANESE = 8


class LinguaDetector(ScoringDetector):
    name = "lingua"

    def __init__(
        self,
        languages: Collection[str],
        *,
        preload: bool,
        min_confidence_short: float,
        wordfreq_weight: float,
        prefer_weight: float = 0.0,
    ) -> None:
        import lingua

        self._lingua = lingua
        self._by_code = {lang.iso_code_639_1.name.lower(): lang for lang in lingua.Language.all()}
        self._code_of = {lang: code for code, lang in self._by_code.items()}
        self._preload = preload
        super().__init__(
            languages,
            frozenset(self._by_code) & frozenset(LANGUAGES),
            min_confidence_short=min_confidence_short,
            wordfreq_weight=wordfreq_weight,
            preload=preload,
            prefer_weight=prefer_weight,
        )
        self._detectors: BoundedCache[frozenset[str], LinguaModel] = BoundedCache(RESTRICTED_CACHE_SIZE)
        # Build (and, with preload, load every model of) the default set now, not on a request.
        self._detectors.get(self.default_languages, self._build)

    def _build(self, langs: frozenset[str]) -> LinguaModel:
        builder = self._lingua.LanguageDetectorBuilder.from_languages(*(self._by_code[c] for c in sorted(langs)))
        if self._preload:
            builder = builder.with_preloaded_language_models()
        return builder.build()

    def _confidences(self, texts: list[str], langs: frozenset[str]) -> list[dict[str, float]]:
        detector = self._detectors.get(langs, self._build)
        if len(texts) == 1:  # the parallel call's thread pool costs more than it saves on one text
            values = [detector.compute_language_confidence_values(texts[0])]
        else:
            values = detector.compute_language_confidence_values_in_parallel(texts)
        code_of = self._code_of
        rows = [{code_of[v.language]: v.value for v in row} for row in values]
        if self._prior is not None and {"ja", "zh"} <= langs:
            for text, row in zip(texts, rows, strict=True):
                if len(text) <= MAX_HAN_ONLY_JAPANESE and _HAN_ONLY.fullmatch(text):
                    row["ja"] = row["zh"] = (row["ja"] + row["zh"]) / 2
        return rows
