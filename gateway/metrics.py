"""Prometheus metrics, in a registry owned by one app instance (no process-global state)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)

# Chat-sized work takes milliseconds; long e-mails and pivots can take seconds.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Every stage shows on /metrics from the first scrape (a histogram label appears only once observed
# otherwise). "deliver" is observed by the code that posts results to helpdesks.
STAGES = ("detect", "memory", "cache", "protect", "translate", "restore", "check", "score", "deliver")


class BatchQueue(Protocol):
    """What /metrics reads of an engine's batcher (models/batching.py)."""

    @property
    def pending(self) -> int: ...


class EngineState(Protocol):
    """What /metrics reads of a remote engine's health (models.base.EngineHealth)."""

    @property
    def state(self) -> str: ...
    @property
    def requests(self) -> int: ...
    @property
    def failures(self) -> int: ...
    @property
    def retries(self) -> int: ...
    @property
    def circuit_opens(self) -> int: ...


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.stage_seconds = Histogram(
            "tonegate_stage_seconds",
            "Time spent per pipeline stage",
            ["stage"],
            registry=self.registry,
            buckets=_BUCKETS,
        )
        for stage in STAGES:
            self.stage_seconds.labels(stage)
        self.translations = Counter(
            "tonegate_translations", "Texts translated", ["source", "target", "engine", "band"], registry=self.registry
        )
        self.segments = Counter("tonegate_segments", "Sentences sent to engines", ["engine"], registry=self.registry)
        self.cache_hits = Counter(
            "tonegate_cache_hits", "Texts answered from the translation cache", registry=self.registry
        )
        self.cache_misses = Counter(
            "tonegate_cache_misses", "Texts looked up in the translation cache and not found", registry=self.registry
        )
        self.rejected = Counter(
            "tonegate_rejected", "Requests refused with 429 (in-flight limit)", ["reason"], registry=self.registry
        )
        self.inflight = Gauge("tonegate_inflight_texts", "Texts being translated now", registry=self.registry)
        # Read at scrape time (collect_queues): the Redis streams and each engine's batch queue.
        self.queue_depth = Gauge(
            "tonegate_queue_depth", "Entries in the stream (XLEN)", ["queue"], registry=self.registry
        )
        self.queue_pending = Gauge(
            "tonegate_queue_pending",
            "Entries delivered to a consumer and not yet acknowledged (XPENDING)",
            ["queue"],
            registry=self.registry,
        )
        self.queue_lag = Gauge(
            "tonegate_queue_lag", "Entries not yet delivered to the consumer group", ["queue"], registry=self.registry
        )
        self.engine_queue = Gauge(
            "tonegate_engine_queue_segments",
            "Segments waiting for an engine's next batch",
            ["engine"],
            registry=self.registry,
        )

        # Remote engines (models/remote): read at scrape time from their health counters.
        self.engine_state = Gauge(
            "tonegate_engine_state",
            "Remote engine health: 1 ok, 0.5 degraded (recent failures), 0 circuit open",
            ["engine"],
            registry=self.registry,
        )
        self.engine_requests = Gauge(
            "tonegate_engine_requests", "HTTP attempts sent to a remote engine", ["engine"], registry=self.registry
        )
        self.engine_failures = Gauge(
            "tonegate_engine_failures",
            "Remote engine calls that failed after retries",
            ["engine"],
            registry=self.registry,
        )
        self.engine_retries = Gauge(
            "tonegate_engine_retries",
            "Remote engine attempts retried (429, 5xx, timeouts)",
            ["engine"],
            registry=self.registry,
        )
        self.engine_circuit_opens = Gauge(
            "tonegate_engine_circuit_opens",
            "Times a remote engine's circuit opened",
            ["engine"],
            registry=self.registry,
        )
        self.engine_fallbacks = Gauge(
            "tonegate_engine_fallbacks",
            "Segments a fallback chain's later engine translated because an earlier one failed",
            ["chain"],
            registry=self.registry,
        )

    def collect_engines(self, health: Mapping[str, EngineState], fallbacks: Mapping[str, int]) -> None:
        """Set the remote engines' gauges from their health snapshots (models.base.EngineHealth)."""
        for name, h in health.items():
            self.engine_state.labels(name).set({"ok": 1.0, "degraded": 0.5}.get(h.state, 0.0))
            self.engine_requests.labels(name).set(h.requests)
            self.engine_failures.labels(name).set(h.failures)
            self.engine_retries.labels(name).set(h.retries)
            self.engine_circuit_opens.labels(name).set(h.circuit_opens)
        for name, count in fallbacks.items():
            self.engine_fallbacks.labels(name).set(count)

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds.labels(stage).observe(time.perf_counter() - start)

    async def collect_queues(
        self,
        redis: Redis,
        watched: tuple[tuple[str, str | None], ...] | None = None,
        batchers: Mapping[str, BatchQueue] | None = None,
    ) -> None:
        """Set the queue gauges from Redis (XLEN, XPENDING, XINFO GROUPS) and the engines' batchers.

        Called by /metrics before rendering; a stream or group that does not exist yet reads 0."""
        if watched is None:
            from gateway.queues import WATCHED

            watched = WATCHED
        for stream, group in watched:
            depth = pending = lag = 0
            try:
                depth = int(await redis.xlen(stream))
                if group is not None:
                    pending, lag = await _group_state(redis, stream, group)
            except RedisError as exc:  # a scrape reports what it can
                log.warning("metrics: cannot read stream %s: %s", stream, exc)
            self.queue_depth.labels(stream).set(depth)
            self.queue_pending.labels(stream).set(pending)
            self.queue_lag.labels(stream).set(lag)
        for name, batcher in (batchers or {}).items():
            self.engine_queue.labels(name).set(batcher.pending)

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def _group_state(redis: Redis, stream: str, group: str) -> tuple[int, int]:
    """(XPENDING count, lag) of one consumer group; (0, 0) while the stream or group does not exist."""
    try:
        summary = await redis.xpending(stream, group)
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # NOGROUP, or no such stream
        return 0, 0
    pending = int(summary.get("pending") or 0)
    for info in groups:
        if _decode(info.get("name", b"")) == group:
            lag = info.get("lag")
            # Redis reports lag as nil when it cannot tell (entries deleted mid-stream): count the
            # entries after the group's last delivered id instead.
            if lag is None:
                last = _decode(info.get("last-delivered-id") or "0-0")
                lag = len(await redis.xrange(stream, min=f"({last}", count=100_000))
            return pending, int(lag)
    return pending, 0


def _decode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
