"""Whole-text translation results cached in Redis, so a repeated message costs one GET.

Support traffic repeats itself (greetings, "where is my order?", canned replies), and a cached
result skips protection, the engine, the brand's checks and the scoring with its round trip. The
key holds everything that could change the result, so no invalidation pass is ever needed: the
route and each engine's model version, the language pair, the format, the brand, its glossary
version and its register for the target language, the pipeline settings that shape the score, and
the text. A glossary change bumps the version, so the next request misses and translates anew;
the old entries simply expire (TTL, `TONEGATE_CACHE_TTL_S`; 0 turns the cache off).

What is cached is the translation before anything request-specific: the conversation's detected
language, the review threshold and review items are decided again for every request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.confidence import Confidence, Signal
from gateway.metrics import Metrics

log = logging.getLogger(__name__)

_PREFIX = "tonegate:tcache:"
# Bump when the stored form or the meaning of a cached result changes (e.g. a refitted confidence
# model), so entries written by older code are never read back.
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class CachedResult:
    text: str
    confidence: Confidence
    terms: tuple[dict, ...]
    engine: str

    def dumps(self) -> str:
        c = self.confidence
        return json.dumps(
            {
                "text": self.text,
                "value": c.value,
                "band": c.band,
                "signals": [[s.name, s.detail, s.factor] for s in c.signals],
                "terms": list(self.terms),
                "engine": self.engine,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> CachedResult:
        d = json.loads(raw)
        signals = tuple(Signal(name, detail, factor) for name, detail, factor in d["signals"])
        return cls(d["text"], Confidence(d["value"], d["band"], signals), tuple(d["terms"]), d["engine"])


@dataclass(frozen=True, slots=True)
class CacheContext:
    """Everything but the text that decides a translation; `fingerprint` is its stable digest."""

    route: str  # e.g. "apertium:fr-es>apertium:es-en"
    versions: tuple[str, ...]  # each hop's engine model version, in order
    source: str
    target: str
    fmt: str
    brand: str | None
    glossary_version: int
    glossary_entries: int
    register: str | None  # the brand's tone for the target language
    settings: str  # pipeline settings that shape text or score (term strategy, round trip)

    @property
    def fingerprint(self) -> str:
        parts = [
            str(SCHEMA),
            self.route,
            *self.versions,
            self.source,
            self.target,
            self.fmt,
            self.brand or "",
            str(self.glossary_version),
            str(self.glossary_entries),
            self.register or "",
            self.settings,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def key(self, text: str) -> str:
        return _PREFIX + hashlib.sha256(f"{self.fingerprint}\x1e{text}".encode()).hexdigest()


class TranslationCache:
    """Redis GET/SET of `CachedResult`s; a Redis failure is a miss, never a failed translation."""

    def __init__(self, redis: Redis, ttl_s: int, metrics: Metrics | None = None) -> None:
        self.redis = redis
        self.ttl_s = ttl_s
        self.metrics = metrics

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    async def get_many(self, context: CacheContext, texts: Sequence[str]) -> list[CachedResult | None]:
        if not self.enabled or not texts:
            return [None] * len(texts)
        try:
            raws = await self.redis.mget([context.key(t) for t in texts])
        except RedisError as exc:
            log.warning("translation cache unavailable: %s", exc)
            raws = [None] * len(texts)
        found: list[CachedResult | None] = []
        for raw in raws:
            try:
                found.append(CachedResult.loads(raw) if raw is not None else None)
            except (ValueError, KeyError, TypeError):  # written by other code: treat as absent
                found.append(None)
        if self.metrics is not None:
            hits = sum(r is not None for r in found)
            self.metrics.cache_hits.inc(hits)
            self.metrics.cache_misses.inc(len(found) - hits)
        return found

    async def put_many(self, context: CacheContext, items: Sequence[tuple[str, CachedResult]]) -> None:
        if not self.enabled or not items:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for text, result in items:
                    pipe.set(context.key(text), result.dumps(), ex=self.ttl_s)
                await pipe.execute()
        except RedisError as exc:
            log.warning("translation cache unavailable: %s", exc)
