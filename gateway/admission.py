"""Admission control: a bound on texts being translated at once, past which requests get 429.

Without it, a burst queues in worker threads and engine queues, and every request waits longer,
until chat customers give up; with it, the excess is refused at once with a Retry-After hint and
the admitted work keeps its latency. Limits count texts, not requests: one 256-text request is
256 texts' worth of work. All of it runs on the event loop, so no lock is needed.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.errors import Overloaded
from gateway.metrics import Metrics


class Admission:
    def __init__(self, limit: int, metrics: Metrics | None = None) -> None:
        self.limit = limit
        self.metrics = metrics
        self.inflight = 0
        self._mean_s = 0.0  # moving mean of admitted requests' duration: the Retry-After hint

    def retry_after_s(self) -> int:
        return max(1, math.ceil(self._mean_s))

    @asynccontextmanager
    async def admit(self, texts: int) -> AsyncIterator[None]:
        """Hold `texts` slots for the block, or raise Overloaded (429) when they are not free.

        A request larger than the whole limit is admitted when nothing else runs, so it can
        always be served eventually (the per-request text limit bounds it anyway)."""
        if self.inflight and self.inflight + texts > self.limit:
            if self.metrics is not None:
                self.metrics.rejected.labels("inflight").inc()
            raise Overloaded(
                f"the gateway is at its limit of {self.limit} texts in flight; retry shortly",
                self.retry_after_s(),
            )
        self.inflight += texts
        if self.metrics is not None:
            self.metrics.inflight.inc(texts)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.inflight -= texts
            if self.metrics is not None:
                self.metrics.inflight.dec(texts)
            elapsed = time.perf_counter() - started
            self._mean_s = elapsed if not self._mean_s else 0.9 * self._mean_s + 0.1 * elapsed


@asynccontextmanager
async def admitted(admission: Admission | None, texts: int) -> AsyncIterator[None]:
    """`admission.admit(texts)`, or no limit when the services were built without one."""
    if admission is None:
        yield
        return
    async with admission.admit(texts):
        yield
