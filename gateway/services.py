"""Everything stateful the gateway needs, built once at start and closed at shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
from redis.asyncio import Redis

from gateway.admission import Admission
from gateway.audit import AuditLog
from gateway.brands import DEMO_BRAND, BrandStore
from gateway.cache import TranslationCache
from gateway.conversations import ConversationLanguages
from gateway.embedded_redis import EmbeddedRedis
from gateway.errors import SettingsError
from gateway.integrations.config import Integration, IntegrationsFileError, load_file
from gateway.integrations.intake import Intake
from gateway.integrations.jobs import JobQueue
from gateway.integrations.store import IntegrationStore
from gateway.keys import KeyStore
from gateway.llm_review import find_reviewer
from gateway.memory import TranslationMemory
from gateway.metrics import Metrics
from gateway.outbox import Outbox
from gateway.pipeline import Pipeline
from gateway.redis_topology import open_async_redis, ping_or_explain
from gateway.review import ReviewItem, ReviewStore
from gateway.settings import Settings
from gateway.stats import Stats
from gateway.terminology import BrandRulesCache
from glossary.corrections.store import CorrectionStore
from glossary.store import TermbaseStore
from models.config import load_engine_specs
from models.errors import ConfigError, ModelError
from models.langid import LanguageDetector, build_detector
from models.morphology import ApertiumMorphology, installed_morphologies
from models.registry import EngineRegistry

log = logging.getLogger("tonegate")


@dataclass
class Services:
    settings: Settings
    redis: Redis
    registry: EngineRegistry
    detector: LanguageDetector
    pipeline: Pipeline
    keys: KeyStore
    brands: BrandStore
    metrics: Metrics
    termbases: TermbaseStore
    memory: TranslationMemory
    review: ReviewStore
    outbox: Outbox
    stats: Stats
    integrations: IntegrationStore
    jobs: JobQueue
    intake: Intake
    corrections: CorrectionStore | None = None  # the engines' own corrections, admins' changes in Redis
    first_admin_key: str | None = None
    admission: Admission | None = None  # TONEGATE_MAX_INFLIGHT; None: no limit

    @property
    def audit(self) -> AuditLog:
        # Stateless beside Redis, so nothing to build at start.
        return AuditLog(self.redis)

    async def approve_review(self, item_id: str, who: str, admin: bool, text: str) -> ReviewItem:
        """Approve an item with the editor's text (API and web app alike): it is delivered, the
        brand's memory keeps it so the next identical segment reuses it, and the dashboard counts
        the time it took."""
        item = await self.review.approve(item_id, who, admin, text)
        await self.memory.add(
            item.brand, item.source_lang, item.target_lang, item.source, text, who=who, origin="review"
        )
        await self.stats.record_approval(item.created_at, item.decided_at, item.brand)
        return item


def load_registry(settings: Settings) -> EngineRegistry:
    """Blocking: parse the engines file and start every engine (Apertium pipelines start now)."""
    try:
        specs = load_engine_specs(settings.engines_file)
        registry = EngineRegistry.from_specs(specs, pivots=settings.pivots)
        for engine in registry.engines:
            start = getattr(engine, "start", None)
            if callable(start):
                start()
    except ConfigError as exc:
        raise SettingsError(f"TONEGATE_ENGINES: {exc}") from None
    return registry


def load_integrations(path: Path) -> list[Integration]:
    try:
        return load_file(path)
    except IntegrationsFileError as exc:
        raise SettingsError(f"TONEGATE_INTEGRATIONS: {exc}") from None


def load_detector(settings: Settings, preload: bool = True) -> LanguageDetector:
    """The server preloads every model; one-shot CLI commands load only what a text needs."""
    try:
        return build_detector(settings.detector, settings.languages or None, preload=preload)
    except ModelError as exc:
        raise SettingsError(f"TONEGATE_LANGUAGES / TONEGATE_DETECTOR: {exc}") from None


def load_morphologies() -> dict[str, ApertiumMorphology]:
    """Apertium analysers and generators of every installed language: they fix verb forms to a
    brand's register, and find and inflect glossary terms and forbidden words in any form.

    They start lazily, on the first text that needs them."""
    return {lang: ApertiumMorphology(lang) for lang in installed_morphologies()}


@asynccontextmanager
async def open_services(settings: Settings, *, bootstrap: bool = True) -> AsyncIterator[Services]:
    """`bootstrap`: create the demo brand and the first admin key (the API does; workers do not,
    or a worker started first would create the admin key where nobody sees it)."""
    async with AsyncExitStack() as stack:
        url = settings.redis_url
        if settings.embedded_redis:
            embedded = EmbeddedRedis(settings.data_dir, binary=settings.redis_server, fsync=settings.redis_fsync)
            url = await anyio.to_thread.run_sync(embedded.start)
            stack.callback(embedded.stop)
        # Single Redis, Sentinel-followed master or Cluster: TONEGATE_REDIS_MODE decides.
        redis: Redis = open_async_redis(settings, url)
        stack.push_async_callback(redis.aclose)
        await ping_or_explain(redis, settings, url if settings.redis_mode == "single" else None)

        # Engines and detector load side by side, both off the event loop.
        loaded: dict[str, object] = {}

        async def load(name: str, fn) -> None:
            loaded[name] = await anyio.to_thread.run_sync(fn, settings)

        async with anyio.create_task_group() as tg:
            tg.start_soon(load, "registry", load_registry)
            tg.start_soon(load, "detector", load_detector)
        registry: EngineRegistry = loaded["registry"]  # type: ignore[assignment]
        stack.callback(registry.close)
        detector: LanguageDetector = loaded["detector"]  # type: ignore[assignment]

        keys = KeyStore(redis, settings.admin_key.get_secret_value() if settings.admin_key else None)
        brands = BrandStore(redis)
        if bootstrap and settings.demo_brand and await brands.add_if_missing(DEMO_BRAND):
            log.info("created the demo brand %r", DEMO_BRAND.name)
        metrics = Metrics()
        termbases = TermbaseStore(redis)
        morphologies = load_morphologies()
        for morphology in morphologies.values():
            stack.callback(morphology.close)
        memory = TranslationMemory(redis)
        integrations = IntegrationStore(redis)
        if settings.integrations is not None:
            await integrations.sync_file(load_integrations(settings.integrations))
        jobs = JobQueue(redis, settings.max_queued_jobs)
        corrections = CorrectionStore(redis)
        pipeline = Pipeline(
            registry,
            detector,
            ConversationLanguages(redis),
            settings.review_below,
            metrics,
            BrandRulesCache(termbases),
            morphologies,
            round_trip=settings.round_trip,
            memory=memory,
            cache=TranslationCache(redis, settings.cache_ttl_s, metrics),
            corrections=corrections,
            reviewer=find_reviewer(registry.engines, settings.reviewer) if settings.reviewer else None,
        )
        services = Services(
            settings,
            redis,
            registry,
            detector,
            pipeline,
            keys,
            brands,
            metrics,
            termbases,
            memory,
            review=ReviewStore(redis),
            outbox=Outbox(redis),
            stats=Stats(redis),
            integrations=integrations,
            jobs=jobs,
            intake=Intake(integrations, jobs),
        )
        services.corrections = corrections
        services.admission = Admission(settings.max_inflight, metrics)
        if bootstrap:
            services.first_admin_key = await keys.ensure_admin()
        yield services
