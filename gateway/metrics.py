"""Prometheus metrics, in a registry owned by one app instance (no process-global state)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

# Chat-sized work takes milliseconds; long e-mails and pivots can take seconds.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


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
        self.translations = Counter(
            "tonegate_translations", "Texts translated", ["source", "target", "engine", "band"], registry=self.registry
        )
        self.segments = Counter("tonegate_segments", "Sentences sent to engines", ["engine"], registry=self.registry)

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds.labels(stage).observe(time.perf_counter() - start)

    def render(self) -> bytes:
        return generate_latest(self.registry)
