"""One message through the gateway: detect, protect, translate, restore, score.

Routers and workers call `Pipeline.translate`; it composes models/ and glossary/ and holds no
state of its own beyond the services it was given.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import anyio

from gateway.brands import Brand
from gateway.cache import CacheContext, CachedResult, TranslationCache
from gateway.confidence import (
    LENGTH_LOG_RATIO,
    PENALTY,
    Confidence,
    Signal,
    assess,
    combine,
    engine_kind,
    review_below,
)
from gateway.conversations import ConversationLanguages
from gateway.engine_rules import EngineRules, whole_text
from gateway.language import DETECTOR, GIVEN, Context, decide
from gateway.llm_review import Reviewer, review_signal
from gateway.memory import TranslationMemory
from gateway.metrics import Metrics
from gateway.quality import Finding, engine_doubt, measure
from gateway.terminology import (
    NO_RULES,
    TERM_MISSING,
    TONE_UNFIXED,
    BrandRules,
    BrandRulesCache,
    check,
    missing_terms,
    post_edit,
)
from glossary.corrections import CorrectionSet, Found, both, correct
from glossary.corrections.store import CorrectionSource
from glossary.matcher import TermMatch
from glossary.protect import Masked, Restored, protect, restore
from glossary.segment import join, split_masked
from glossary.tone import Morphology
from models.base import Hypothesis
from models.errors import ModelError
from models.langcodes import normalize
from models.langid import Detection, LanguageDetector
from models.langid.base import SHORT_WORDS
from models.langid.text import strip_non_language, word_count
from models.registry import EngineRegistry, Route

Format = Literal["text", "html", "markdown"]


@dataclass(frozen=True, slots=True)
class TranslateJob:
    texts: tuple[str, ...]
    target: str
    source: str | None = None
    brand: Brand | None = None
    fmt: Format = "text"
    conversation_id: str | None = None
    locale: str | None = None  # the customer's locale, the last resort for short texts


@dataclass(frozen=True, slots=True)
class Translation:
    text: str
    source_lang: str | None
    target_lang: str
    engine: str
    confidence: Confidence
    needs_review: bool
    detection: Detection | None = None
    terms: tuple[dict, ...] = field(default_factory=tuple)
    decided_by: str | None = None  # who chose source_lang (gateway/language.py); None when given


@dataclass(frozen=True, slots=True)
class _Source:
    lang: str | None  # None: nothing to translate (no letters)
    detection: Detection | None
    signals: tuple[Signal, ...] = ()
    decided_by: str = GIVEN  # gateway/language.py: who chose lang


class Pipeline:
    def __init__(
        self,
        registry: EngineRegistry,
        detector: LanguageDetector,
        conversations: ConversationLanguages | None,
        review_below: float | None,
        metrics: Metrics | None = None,
        rules: BrandRulesCache | None = None,
        morphologies: Mapping[str, Morphology] | None = None,
        term_strategy: Literal["post_edit", "mask"] = "post_edit",
        *,
        round_trip: bool = True,
        round_trip_slots: int = 4,
        memory: TranslationMemory | None = None,
        cache: TranslationCache | None = None,
        corrections: CorrectionSource | None = None,
        reviewer: Reviewer | None = None,
    ) -> None:
        self.registry = registry
        self.detector = detector
        self.conversations = conversations
        self.review_below = review_below
        self.metrics = metrics or Metrics()
        self.rules = rules
        self.term_strategy = term_strategy
        self._rendering_cache: dict[tuple[str, str], str] = {}
        self._engine_rules = EngineRules()  # what remote engines are told (gateway/engine_rules.py)
        self._renderings_lock = threading.Lock()
        self.morphologies = dict(morphologies or {})
        self.round_trip = round_trip
        self.memory = memory
        self.cache = cache
        # The engine's own corrections (glossary/corrections/), for every brand.
        self.corrections = corrections
        self.reviewer = reviewer
        # Under load the round trip (a second translation) is skipped: at most this many groups
        # translate back at once, and a group that finds every slot taken does without.
        self._round_trip_slots = threading.BoundedSemaphore(max(1, round_trip_slots))

    def threshold(self, kinds: Sequence[str] = (), override: float | None = None) -> float:
        """Below this a translation needs review: the brand's or operator's setting, else the
        default for the kind of engine that made it (gateway/confidence.py, fitted on labelled data)."""
        if override is not None:
            return override
        if self.review_below is not None:
            return self.review_below
        return review_below(engine_kind(kinds))

    async def detect(
        self, texts: Sequence[str], candidates: Sequence[str] | None = None, prefer: Sequence[str] | None = None
    ) -> list[Detection]:
        with self.metrics.time("detect"):
            return await anyio.to_thread.run_sync(self.detector.detect, list(texts), candidates, prefer)

    async def translate(self, job: TranslateJob) -> list[Translation]:
        target = normalize(job.target)
        sources = await self._sources(job)
        override = job.brand.review_below if job.brand and job.brand.review_below is not None else self.review_below
        out: list[Translation | None] = [None] * len(job.texts)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, src in enumerate(sources):
            if src.lang is None or src.lang == target:
                out[i] = self._unchanged(job.texts[i], src, target)
            elif remembered := await self._remembered(job, i, src, target):
                out[i] = remembered
            else:
                groups[src.lang].append(i)
        # Check every route before any work, so a bad pair fails the request cleanly.
        routes = {lang: self.registry.route(lang, target) for lang in groups}
        rules = await self._brand_rules(job.brand, target)
        fixes = {lang: await self._fixes(routes[lang], lang, target) for lang in groups}
        contexts = {lang: self._cache_context(job, lang, target, routes[lang], rules, fixes[lang]) for lang in groups}

        def deliver(i: int, lang: str, result: CachedResult) -> None:
            # Request-specific parts are decided here, cached or not: detection signals, threshold.
            conf = combine_with_source(result.confidence, sources[i].signals)
            out[i] = Translation(
                text=result.text,
                source_lang=lang,
                target_lang=target,
                engine=result.engine,
                confidence=conf,
                needs_review=conf.value < self.threshold(_maker_kinds(routes[lang], conf), override)
                or wrong_language(conf),
                detection=sources[i].detection,
                decided_by=sources[i].decided_by,
                terms=result.terms,
            )

        if self.cache is not None and self.cache.enabled:
            for lang in list(groups):
                with self.metrics.time("cache"):
                    hits = await self.cache.get_many(contexts[lang], [job.texts[i] for i in groups[lang]])
                for i, hit in zip(groups[lang], hits, strict=True):
                    if hit is not None:
                        deliver(i, lang, hit)
                groups[lang] = [i for i, hit in zip(groups[lang], hits, strict=True) if hit is None]
                if not groups[lang]:
                    del groups[lang]

        async def run_group(lang: str, idxs: list[int]) -> None:
            texts = [job.texts[i] for i in idxs]
            done, cacheable = await anyio.to_thread.run_sync(
                self._translate_group, texts, lang, target, job.fmt, routes[lang], rules, fixes[lang]
            )
            results = [CachedResult(text, conf, tuple(terms), routes[lang].label) for text, conf, terms in done]
            for i, result in zip(idxs, results, strict=True):
                deliver(i, lang, result)
            if self.cache is not None and cacheable:
                await self.cache.put_many(contexts[lang], list(zip(texts, results, strict=True)))

        # Different source languages usually mean different engines: let them work side by side.
        try:
            async with anyio.create_task_group() as tg:
                for lang, idxs in groups.items():
                    tg.start_soon(run_group, lang, idxs)
        except BaseExceptionGroup as group:
            # The task group wraps what a group raised; the error handlers need the error itself
            # (EngineBusy → 429, EngineFailure → 503), not a 500 for an ExceptionGroup.
            raise _first_leaf(group) from None
        done = [t for t in out if t is not None]
        for t in done:
            self.metrics.translations.labels(t.source_lang or "none", t.target_lang, t.engine, t.confidence.band).inc()
        return done

    def _cache_context(
        self,
        job: TranslateJob,
        lang: str,
        target: str,
        route: Route,
        rules: BrandRules,
        fixes: CorrectionSet | None = None,
    ) -> CacheContext:
        """What decides a translation besides its text (gateway/cache.py)."""
        return CacheContext(
            route=route.label,
            versions=tuple(str(getattr(engine, "version", "")) for engine, _ in route.hops),
            source=lang,
            target=target,
            fmt=job.fmt,
            brand=job.brand.name if job.brand else None,
            glossary_version=rules.compiled.version if rules.compiled else 0,
            glossary_entries=rules.compiled.entries if rules.compiled else 0,
            register=rules.register,
            settings=f"terms={self.term_strategy};round_trip={self.round_trip}"
            + (f";corrections={fixes.version}" if fixes else "")
            + (f";llm_review={self.reviewer.name}" if rules.llm_review and self.reviewer else ""),
        )

    async def _fixes(self, route: Route, source: str, target: str) -> CorrectionSet | None:
        """The corrections for a direct route's engine kind and pair (none through a pivot)."""
        if self.corrections is None or len(route.hops) != 1:
            return None
        engine, _ = route.hops[0]
        return await self.corrections.compiled(str(getattr(engine, "kind", "")), source, target)

    async def _remembered(self, job: TranslateJob, i: int, src: _Source, target: str) -> Translation | None:
        """An editor-approved translation of this very segment, reused as is (no engine, no review)."""
        if self.memory is None or job.brand is None or job.fmt != "text" or src.lang is None:
            return None
        with self.metrics.time("memory"):
            hit = await self.memory.exact(job.brand.name, src.lang, target, job.texts[i])
        if hit is None:
            return None
        conf = combine(1.0, (), (Signal("memory", "an approved translation of this text was reused"),))
        return Translation(
            text=hit,
            source_lang=src.lang,
            target_lang=target,
            engine="memory",
            confidence=conf,
            needs_review=False,
            detection=src.detection,
            decided_by=src.decided_by,
        )

    async def brand_rules(self, brand: Brand | None, target: str) -> BrandRules:
        """What a brand asks of translations into `target` (for scoring given translations)."""
        return await self._brand_rules(brand, target)

    async def _brand_rules(self, brand: Brand | None, target: str) -> BrandRules:
        if brand is None:
            return NO_RULES
        compiled = await self.rules.compiled(brand.name) if self.rules else None
        return BrandRules(compiled, brand.tone.get(target), brand.llm_review and self.reviewer is not None)

    def _unchanged(self, text: str, src: _Source, target: str) -> Translation:
        if src.lang is None:
            signal = Signal("no_letters", "nothing to translate: the text has no letters")
        else:
            signal = Signal("same_language", f"the text is already in {target}")
        return Translation(
            text=text,
            source_lang=src.lang,
            target_lang=target,
            engine="none",
            confidence=combine(1.0, (), (signal, *src.signals)),
            needs_review=False,
            detection=src.detection,
            decided_by=src.decided_by,
        )

    async def _sources(self, job: TranslateJob) -> list[_Source]:
        if job.source:
            lang = normalize(job.source)
            if job.conversation_id and self.conversations:
                await self.conversations.remember(job.conversation_id, lang)
            return [_Source(lang, None, decided_by=GIVEN) for _ in job.texts]
        # Every language the detector knows stays a candidate; the brand's languages weigh more.
        prefer = job.brand.languages if job.brand and job.brand.languages else None
        detections = await self.detect(job.texts, None, prefer)
        target = normalize(job.target)
        context = Context(
            conversation=await self.conversations.get(job.conversation_id)
            if job.conversation_id and self.conversations
            else None,
            locale=_locale(job.locale),
            brand_languages=tuple(prefer or ()),
            agent=target,
        )
        sources = []
        for text, d in zip(job.texts, detections, strict=True):
            short = word_count(strip_non_language(text)) <= SHORT_WORDS
            decision = decide(d, context, lambda lang: lang == target or self._has_route(lang, target), short=short)
            signals = (Signal("language_fallback", decision.detail),) if decision.detail else ()
            sources.append(_Source(decision.lang, d, signals, decision.decided_by))
        reliable = [s.lang for s in sources if s.decided_by == DETECTOR]
        if job.conversation_id and self.conversations and reliable:
            await self.conversations.remember(job.conversation_id, reliable[-1])
        return sources

    def _translate_group(
        self,
        texts: list[str],
        source: str,
        target: str,
        fmt: Format,
        route: Route,
        rules: BrandRules,
        fixes: CorrectionSet | None = None,
    ) -> tuple[list[tuple[str, Confidence, list[dict]]], bool]:
        """Blocking: translate all texts of one language pair as one batch, then apply the brand's rules.

        Also says whether the results may be cached: not when the round trip was skipped under
        load, or the cache would keep a less informed score for the whole TTL.

        Glossary terms, measured on TICO-19 (bench/README.md): masking every term gets the target
        in but costs fluency (the engine loses the noun it agrees with), so the first pass masks
        only do-not-translate entries, then replaces the engine's own rendering of each term with
        the brand's; only texts where that fails are translated again with their terms masked.
        """
        passes = self._run(texts, source, target, fmt, rules, mask_terms=self.term_strategy == "mask", fixes=fixes)
        if rules.compiled is not None and self.term_strategy == "post_edit":
            self._post_edit_terms(passes, source, target, rules)
            morph = self.morphologies.get(target)
            redo = [i for i, p in enumerate(passes) if missing_terms(p.text, p.found, rules.compiled, morph)]
            if redo:
                again = self._run([texts[i] for i in redo], source, target, fmt, rules, mask_terms=True, fixes=fixes)
                for i, p in zip(redo, again, strict=True):
                    passes[i] = p
        checked = []
        for p in passes:
            with self.metrics.time("check"):
                checked.append(check(p.text, target, rules, p.found, self.morphologies.get(target)))
            if p.corrected:  # informational: editors see which engine corrections shaped the text
                applied = "engine corrections applied: " + ", ".join(p.corrected)
                checked[-1].signals.append(Signal("corrections", applied))
        outputs = [c.text for c in checked]
        with self.metrics.time("score"):
            backs = self._back_translate(outputs, source, target) if fmt == "text" else None
            detected = self._output_languages(outputs, source, target, route.pivots)
            results = []
            for i, (text, p, c) in enumerate(zip(texts, passes, checked, strict=True)):
                if rules.llm_review and self.reviewer is not None and c.text.strip():
                    c.signals.append(review_signal(self.reviewer, text, c.text, source, target))
                evidence = Evidence(backs[i] if backs else None, detected[i] if detected else None)
                conf = _score(text, c.text, p.restored, p.masked, p.hyps, route, source, target, evidence, c.signals)
                results.append((c.text, conf, c.terms))
        skipped = backs is None and fmt == "text" and self.round_trip and self._has_route(target, source)
        # A fallback engine's work is not cached: the first choice should serve once it is back.
        fell_back = any(k.endswith("fallback") for p in passes for h in p.hyps for k in h.details)
        return results, not skipped and not fell_back

    def _has_route(self, source: str, target: str) -> bool:
        try:
            self.registry.route(source, target)
        except ModelError:
            return False
        return True

    def _back_translate(self, outputs: list[str], source: str, target: str) -> list[str] | None:
        """Blocking: the outputs translated back with the reverse route, or None (off, busy, no route)."""
        if not self.round_trip or not self._round_trip_slots.acquire(blocking=False):
            return None
        try:
            try:
                self.registry.route(target, source)
            except ModelError:
                return None
            # Protected text (brand names, URLs, numbers) goes back untouched, as it came.
            todo = [protect(o) for o in outputs if o.strip()]
            hyps, _ = self.registry.translate([m.text for m in todo], target, source) if todo else ([], None)
            backs = iter(restore(h.text, m).text for h, m in zip(hyps, todo, strict=True))
            return [next(backs) if o.strip() else "" for o in outputs]
        finally:
            self._round_trip_slots.release()

    def _output_languages(
        self, outputs: list[str], source: str, target: str, pivots: Sequence[str] = ()
    ) -> list[tuple[str | None, float]] | None:
        """Blocking: language identification on the outputs, between the languages the text went
        through only: source and target, and for outputs of three words or more the pivots too (a
        reply stuck in the pivot's Spanish is a wrong language; "No." may be Spanish or English)."""
        if self.detector is None:
            return None
        try:
            found = self.detector.detect(outputs, [source, target])
            longer = [i for i, o in enumerate(outputs) if word_count(strip_non_language(o)) > SHORT_WORDS]
            if pivots and longer:
                again = self.detector.detect([outputs[i] for i in longer], [source, *pivots, target])
                for i, d in zip(longer, again, strict=True):
                    found[i] = d
        except ModelError:  # the detector does not know one of the languages: no evidence either way
            return None
        # An unreliable guess on a short output ("Vale.") is no evidence of a wrong language.
        return [(d.lang, d.confidence) if d.reliable else (None, 0.0) for d in found]

    def quality(
        self, source: str, translation: str, source_lang: str, target_lang: str, rules: BrandRules = NO_RULES
    ) -> Confidence:
        """Blocking: score a given translation (made anywhere) with every signal available here.

        The engine's forced-decoding score when the pair has a direct engine that can score, the
        round trip when a reverse route exists, the detector on the output, the brand's rules."""
        engine: Finding | None = None
        try:
            route = self.registry.route(source_lang, target_lang)
        except ModelError:
            route = None
        if route is not None and len(route.hops) == 1:
            eng, pair = route.hops[0]
            [score] = eng.score([source], [translation], pair)
            if score == score:  # NaN: the engine cannot score given text (Apertium)
                engine = engine_doubt(score)
        backs = self._back_translate([translation], source_lang, target_lang)
        detected = self._output_languages([translation], source_lang, target_lang)
        problems: list[Signal] = []
        if rules.compiled is not None or rules.register:
            found = (
                rules.compiled.source_matches(
                    source,
                    source_lang,
                    target_lang,
                    self.morphologies.get(source_lang),
                    self.morphologies.get(target_lang),
                )
                if rules.compiled
                else []
            )
            checked = check(translation, target_lang, rules, found, self.morphologies.get(target_lang))
            for sig in checked.signals:
                if sig.name == "forbidden_word":  # given text: a forbidden word is a violation, not a fix
                    problems.append(Signal(sig.name, sig.detail.replace("replaced", "uses"), TERM_MISSING))
                elif sig.name == "tone_fixed":
                    problems.append(Signal("tone", sig.detail.replace("changed to", "not in"), TONE_UNFIXED))
                else:
                    problems.append(sig)
        findings = measure(
            source,
            translation,
            source_lang,
            target_lang,
            engine=engine,
            back=backs[0] if backs else None,
            detected=detected[0] if detected else None,
            expected_log_ratio=LENGTH_LOG_RATIO.get((source_lang, target_lang), 0.0),
        )
        if rules.llm_review and self.reviewer is not None:
            problems.append(review_signal(self.reviewer, source, translation, source_lang, target_lang))
        return assess(findings, problems, kind="other")  # made elsewhere: by whom is unknown

    def _run(
        self,
        texts: list[str],
        source: str,
        target: str,
        fmt: Format,
        rules: BrandRules,
        mask_terms: bool,
        fixes: CorrectionSet | None = None,
    ) -> list[_Pass]:
        found: list[list[TermMatch]] = [[] for _ in texts]
        fixed: list[list[Found]] = [[] for _ in texts]
        # Terms in any inflected form, and masked terms put in the form their source has.
        morphologies = (self.morphologies.get(source), self.morphologies.get(target))
        with self.metrics.time("protect"):
            masked = [
                protect(
                    t,
                    fmt,
                    terms=both(
                        rules.finder(source, target, f, mask_terms, *morphologies), fixes.finder(x) if fixes else None
                    ),
                )
                for t, f, x in zip(texts, found, fixed, strict=True)
            ]
            # An LLM or DeepL translates a whole message best (and in one request); the others by sentence.
            whole = self.registry.route(source, target).whole_texts
            pieces = [whole_text(m.text) if whole else split_masked(m, source) for m in masked]
        flat = [s for p in pieces for s in p.sentences]
        # Engines that follow rules (an LLM, DeepL) get the brand's as plain data; the others never see them.
        given = None
        if flat and self.registry.route(source, target).takes_rules:
            given = self._engine_rules.build(rules, source, target, fmt, found)
        with self.metrics.time("translate"):
            hyps, route = self.registry.translate(flat, source, target, given) if flat else ([], None)
        if route is not None:
            self.metrics.segments.labels(route.label).inc(len(flat))
        out, pos = [], 0
        for m, p, f, x in zip(masked, pieces, found, fixed, strict=True):
            mine = hyps[pos : pos + len(p.sentences)]
            pos += len(p.sentences)
            with self.metrics.time("restore"):
                restored = restore(join(p, [h.text for h in mine]), m, target)
            with self.metrics.time("corrections"):
                done = correct(fixes, x, restored.text, morphologies[1])
            out.append(_Pass(done.text, restored, m, mine, f, done.ids))
        return out

    def _post_edit_terms(self, passes: list[_Pass], source: str, target: str, rules: BrandRules) -> None:
        assert rules.compiled is not None
        morph = self.morphologies.get(target)
        todo = {m.term.source: m.term for p in passes for m in missing_terms(p.text, p.found, rules.compiled, morph)}
        renderings = self._renderings(list(todo), source, target)
        for p in passes:
            for m in missing_terms(p.text, p.found, rules.compiled, morph):
                p.text = post_edit(p.text, m.term, renderings.get(m.term.source), morph)

    def _renderings(self, sources: list[str], source: str, target: str) -> dict[str, str]:
        """How the engine translates each term on its own (cached: terms repeat across messages)."""
        route = self.registry.route(source, target).label
        with self._renderings_lock:
            known = {s: self._rendering_cache[(route, s)] for s in sources if (route, s) in self._rendering_cache}
        todo = [s for s in sources if s not in known]
        if todo:
            hyps, _ = self.registry.translate(todo, source, target)
            with self._renderings_lock:
                if len(self._rendering_cache) > 50_000:
                    self._rendering_cache.clear()
                for s, h in zip(todo, hyps, strict=True):
                    self._rendering_cache[(route, s)] = known[s] = h.text
        return known


def _locale(locale: str | None) -> str | None:
    """The language of a helpdesk locale ("es-ES", "pt_BR"); None when it names none we know."""
    if not locale:
        return None
    try:
        return normalize(locale)
    except ModelError:  # a locale the gateway has no code for is no context, not an error
        return None


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


# An answer cut off at the engine's length limit is missing the end of the message.
TRUNCATED = 0.4


@dataclass(slots=True)
class _Pass:
    """One text after translation and restore, before the brand's checks."""

    text: str
    restored: Restored
    masked: Masked
    hyps: list[Hypothesis]
    found: list[TermMatch]
    corrected: tuple[str, ...] = ()  # ids of the engine corrections that applied


def wrong_language(conf: Confidence) -> bool:
    """The output reads as another language than the target: never delivered as if fine, whatever
    the score (a brand with a low review threshold would otherwise pass it)."""
    return any(s.name == "wrong_language" for s in conf.signals)


def _maker_kinds(route: Route, conf: Confidence) -> tuple[str, ...]:
    """The route's engine kinds; after a fallback, every member's (the strictest default applies)."""
    if not any(s.name == "engine_fallback" for s in conf.signals):
        return route.kinds
    return tuple(m.kind for engine, _ in route.hops for m in getattr(engine, "members", [engine]))


def combine_with_source(conf: Confidence, extra: Sequence[Signal]) -> Confidence:
    """Add what language detection found (a guessed or borrowed source language)."""
    return combine(conf.value, conf.signals, extra) if extra else conf


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the scoring learnt beyond the engine: the round trip and the output's language."""

    back: str | None = None
    detected: tuple[str | None, float] | None = None


def _score(
    source: str,
    output: str,
    restored: Restored,
    masked: Masked,
    hyps: Sequence[Hypothesis],
    route: Route,
    source_lang: str,
    target_lang: str,
    evidence: Evidence = Evidence(),
    checked: Sequence[Signal] = (),
) -> Confidence:
    """The calibrated model over every signal (gateway/confidence.py), then the problems as factors."""
    # Weight each sentence's score by its length: one doubtful word in a long reply matters less.
    weights = [max(1, len(h.text.split())) for h in hyps]
    score = sum(w * h.score for w, h in zip(weights, hyps, strict=True)) / sum(weights) if hyps else 0.0
    details: dict[str, float] = defaultdict(float)
    for h in hyps:
        for k, v in h.details.items():
            details[k] += v
    unknown = sum(
        v for k, v in details.items() if k.endswith(("unknown_words", "untranslated_words", "generation_errors"))
    )
    words = max((v for k, v in details.items() if k.endswith("words") and "_" not in k.rsplit(".", 1)[-1]), default=0)
    problems: list[Signal] = []
    if restored.lost:
        shown = ", ".join(repr(s.text) for s in restored.lost[:5])
        problems.append(
            Signal(
                "mask_lost",
                f"the engine dropped protected text {shown}" + ("; it was put back" if restored.repaired else ""),
                PENALTY["mask_lost"],
            )
        )
    if restored.duplicated:
        shown = ", ".join(repr(s.text) for s in restored.duplicated[:5])
        problems.append(
            Signal(
                "mask_duplicated",
                f"the engine repeated protected text {shown}; extra copies removed",
                PENALTY["mask_duplicated"],
            )
        )
    # What the engine said about its own answer (a removed preamble, a fallback that served).
    for note in dict.fromkeys(n for h in hyps for n in h.notes):
        problems.append(Signal("engine_fallback" if " served because " in note else "engine_note", note))
    if details.get("truncated"):
        problems.append(Signal("truncated", "the engine's answer was cut off at its length limit", TRUNCATED))
    if route.pivots:
        problems.append(
            Signal("pivot", f"translated through {', '.join(route.pivots)}", PENALTY["pivot"] ** len(route.pivots))
        )
    out = output.strip()
    if source.strip() and not out:
        return combine(0.0, (), [Signal("empty_output", "the engine returned nothing", PENALTY["empty_output"])])
    findings = measure(
        source,
        output,
        source_lang,
        target_lang,
        engine=engine_doubt(score, int(unknown), int(words)),
        engine_details=details,
        back=evidence.back,
        detected=evidence.detected,
        expected_log_ratio=LENGTH_LOG_RATIO.get((source_lang, target_lang), 0.0),
        protected=[span.restored for span in masked.spans] + [span.text for span in masked.spans],
    )
    if out == source.strip() and any(ch.isalpha() for ch in masked.text):
        findings["untranslated"] = Finding(1.0, "the output is identical to the source")
    # A fallback chain's later choice made it: score it as that kind of engine's output.
    served = tuple(k.split(".", 1)[1] for h in hyps for k in h.details if k.startswith("served_by."))
    return assess(findings, [*problems, *checked], kind=engine_kind(served or route.kinds))
