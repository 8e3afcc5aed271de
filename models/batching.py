"""Dynamic batching: concurrent callers of one engine share its model calls.

A neural engine translates 32 sentences in one call in little more time than one (the weights are
read once per decoding step for the whole batch), so requests that arrive together should be
decoded together. `Batcher` wraps one engine with one dispatcher thread: callers in any thread
submit their segments for a pair and block on a future; the dispatcher waits for the oldest
request at most `wait_ms` (or until `budget_tokens` are queued for its pair), hands the pair's
queued requests to a worker as one `engine.translate` call, and gives each caller its own slice.
While the workers are busy, requests pile up and the next batch is bigger, which is where the
throughput comes from under load.

- One Batcher per engine: a slow engine fills only its own queue; the others keep going.
- The queue is bounded (`max_pending` segments): past it `submit` raises `EngineBusy` at once
  (HTTP 429 with Retry-After) instead of letting latency grow without limit.
- An exception from the engine goes to the callers of that batch only.
- `workers` batches run at once (1 for a neural model, which uses every core itself; more for
  Apertium, whose pipelines are separate processes), at most `pair_workers` of them for one pair
  (one per running pipeline of that pair).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from models.base import Engine, Hypothesis, LanguagePair
from models.config import EngineSpec
from models.errors import EngineBusy, EngineFailure, UnsupportedPair

log = logging.getLogger(__name__)


def count_tokens(segment: str) -> int:
    """The same rough count BaseEngine batches by: words + end of sentence."""
    return len(segment.split()) + 1


@dataclass(frozen=True, slots=True)
class BatchSettings:
    wait_ms: float = 5.0  # how long the oldest request may wait for company
    budget_tokens: int = 4096  # a pair's batch is dispatched as soon as this many tokens queue up
    max_pending: int = 4096  # queued segments (not yet dispatched) before callers get EngineBusy
    workers: int = 1  # batches in flight at once
    pair_workers: int = 1  # of those, for one language pair


def settings_for(spec: EngineSpec | None, kind: str = "") -> BatchSettings:
    """The spec's batching settings, unset ones filled with the engine kind's defaults."""
    if spec is None:
        return BatchSettings()
    apertium = (kind or spec.kind) == "apertium"
    return BatchSettings(
        # Apertium's cost grows with every segment (no shared decoding step to amortise), so it
        # never waits for company; batches still form from what queues while a pipeline is busy.
        wait_ms=spec.batch_wait_ms if spec.batch_wait_ms is not None else (0.0 if apertium else 5.0),
        budget_tokens=spec.batch_tokens or spec.max_batch_tokens,
        max_pending=spec.max_pending,
        # A neural model already uses every core for one batch; Apertium pairs are separate
        # processes, so different pairs (and a pair's extra pipelines) run side by side.
        workers=spec.batch_workers or (8 if apertium else spec.inter_threads),
        pair_workers=spec.processes if apertium else (spec.batch_workers or spec.inter_threads),
    )


@dataclass(slots=True)
class _Request:
    segments: list[str]
    pair: LanguagePair
    tokens: int
    arrived: float
    future: Future[list[Hypothesis]] = field(default_factory=Future)


@dataclass(slots=True)
class BatchStats:
    """Counters for /metrics and the benchmarks; read without the lock (a snapshot may be torn)."""

    requests: int = 0
    batches: int = 0
    segments: int = 0
    rejected: int = 0
    busy_seconds: float = 0.0  # summed over workers


class Batcher:
    """Wraps one engine; implements the same `Engine` protocol, so routes hold it in its place."""

    def __init__(self, engine: Engine, settings: BatchSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or BatchSettings()
        self.name = engine.name
        self.kind = engine.kind
        self.pairs = engine.pairs
        self.stats = BatchStats()
        self._queue: deque[_Request] = deque()
        self._pending = 0  # segments queued, not yet dispatched
        self._in_flight: dict[LanguagePair, int] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._pool = ThreadPoolExecutor(max(1, self.settings.workers), thread_name_prefix=f"engine-{self.name}")
        self._dispatcher = threading.Thread(target=self._run, name=f"batcher-{self.name}", daemon=True)
        self._dispatcher.start()

    # --- the Engine protocol -------------------------------------------------------------------

    def translate(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        """Blocking: queue the segments, wait for their batch, return this caller's hypotheses.

        An engine that never waits for company (`wait_ms` 0: Apertium) runs the call in the
        caller's own thread when nothing is queued and a worker slot is free: the batch would be
        this request alone anyway, and the two thread hand-overs (dispatcher, worker) cost more
        than a short Apertium call under load. Slots are counted the same, so limits hold."""
        if self.settings.wait_ms == 0 and segments and pair in self.pairs:
            req = _Request(list(segments), pair, sum(count_tokens(s) for s in segments), time.monotonic())
            with self._cond:
                inline = not self._closed and not self._queue and self._has_slot(pair)
                if inline:
                    self._in_flight[pair] = self._in_flight.get(pair, 0) + 1
                    self.stats.requests += 1
            if inline:
                self._work([req])
                return req.future.result()
        return self.submit(segments, pair).result()

    def score(self, sources: Sequence[str], targets: Sequence[str], pair: LanguagePair) -> list[float]:
        # Forced decoding serves /v1/quality only (rare); it goes straight to the engine.
        return self.engine.score(sources, targets, pair)

    def close(self) -> None:
        """Stop the dispatcher, fail what is still queued, wait for running batches, close the engine."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            left = list(self._queue)
            self._queue.clear()
            self._pending = 0
            self._cond.notify_all()
        for req in left:
            req.future.set_exception(EngineFailure(f"engine {self.name} is shutting down"))
        self._dispatcher.join(timeout=30)
        self._pool.shutdown(wait=True)
        with self._cond:  # batches running in their callers' threads (translate's fast path)
            self._cond.wait_for(lambda: not any(self._in_flight.values()), timeout=30)
        self.engine.close()

    # --- what the gateway adds -----------------------------------------------------------------

    def submit(self, segments: Sequence[str], pair: LanguagePair) -> Future[list[Hypothesis]]:
        """Queue the segments; the future holds their hypotheses, in order. Never blocks."""
        future: Future[list[Hypothesis]] = Future()
        if pair not in self.pairs:
            raise UnsupportedPair(pair.source, pair.target, sorted(str(p) for p in self.pairs))
        if not segments:
            future.set_result([])
            return future
        req = _Request(list(segments), pair, sum(count_tokens(s) for s in segments), time.monotonic(), future)
        with self._cond:
            if self._closed:
                raise EngineFailure(f"engine {self.name} is shut down")
            # A request larger than the whole bound is still served when the queue is empty.
            if self._pending and self._pending + len(req.segments) > self.settings.max_pending:
                self.stats.rejected += 1
                raise EngineBusy(self.name, self._pending, self._retry_after_s())
            self._queue.append(req)
            self._pending += len(req.segments)
            self.stats.requests += 1
            self._cond.notify_all()
        return future

    @property
    def pending(self) -> int:
        """Segments queued and not yet handed to the engine."""
        return self._pending

    @property
    def version(self) -> str:
        return str(getattr(self.engine, "version", ""))

    def start(self) -> None:
        """Start the engine's processes now (Apertium), if it has any."""
        start = getattr(self.engine, "start", None)
        if callable(start):
            start()

    def _retry_after_s(self) -> int:
        """Time to drain the queue at the rate measured so far (at least 1 s)."""
        if not self.stats.segments or not self.stats.busy_seconds:
            return 1
        per_segment = self.stats.busy_seconds / self.stats.segments / max(1, self.settings.workers)
        return max(1, math.ceil(self._pending * per_segment))

    # --- the dispatcher ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    batch = self._next_batch()
                    if batch is None:
                        return
                self._pool.submit(self._work, batch)
        except BaseException as exc:  # never leave callers waiting on a dead dispatcher
            log.exception("batcher %s stopped", self.name)
            with self._cond:
                self._closed = True
                left = list(self._queue)
                self._queue.clear()
                self._pending = 0
            for req in left:
                req.future.set_exception(EngineFailure(f"engine {self.name}: batcher failed: {exc}"))
            raise

    def _has_slot(self, pair: LanguagePair) -> bool:
        """Called with the lock held: may a batch of `pair` start now?"""
        return (
            sum(self._in_flight.values()) < self.settings.workers
            and self._in_flight.get(pair, 0) < self.settings.pair_workers
        )

    def _eligible(self) -> _Request | None:
        """The oldest queued request whose pair may start another batch now."""
        if sum(self._in_flight.values()) >= self.settings.workers:
            return None
        for req in self._queue:
            if self._in_flight.get(req.pair, 0) < self.settings.pair_workers:
                return req
        return None

    def _next_batch(self) -> list[_Request] | None:
        """Called with the lock held: wait for a batch worth dispatching and take it off the queue."""
        wait_s = self.settings.wait_ms / 1000
        while not self._closed:
            oldest = self._eligible()
            if oldest is None:
                self._cond.wait()
                continue
            queued = sum(r.tokens for r in self._queue if r.pair == oldest.pair)
            left = oldest.arrived + wait_s - time.monotonic()
            if left > 0 and queued < self.settings.budget_tokens:
                self._cond.wait(left)  # more may come; re-check on every arrival
                continue
            return self._take(oldest.pair)
        return None

    def _take(self, pair: LanguagePair) -> list[_Request]:
        """The pair's queued requests, oldest first, up to the token budget (always at least one)."""
        taken: list[_Request] = []
        tokens = 0
        for req in list(self._queue):
            if req.pair != pair:
                continue
            if taken and tokens + req.tokens > self.settings.budget_tokens:
                break
            taken.append(req)
            tokens += req.tokens
        for req in taken:
            self._queue.remove(req)
            self._pending -= len(req.segments)
        self._in_flight[pair] = self._in_flight.get(pair, 0) + 1
        return taken

    def _work(self, batch: list[_Request]) -> None:
        """In a worker thread: one engine call for the whole batch, then each caller's slice."""
        pair = batch[0].pair
        flat = [s for req in batch for s in req.segments]
        started = time.perf_counter()
        try:
            hyps = self.engine.translate(flat, pair)
            if len(hyps) != len(flat):
                raise EngineFailure(f"engine {self.name} returned {len(hyps)} hypotheses for {len(flat)} segments")
        except BaseException as exc:
            for req in batch:
                req.future.set_exception(exc)
        else:
            pos = 0
            for req in batch:
                req.future.set_result(hyps[pos : pos + len(req.segments)])
                pos += len(req.segments)
        finally:
            with self._cond:
                self._in_flight[pair] -= 1
                self.stats.batches += 1
                self.stats.segments += len(flat)
                self.stats.busy_seconds += time.perf_counter() - started
                self._cond.notify_all()

    def __repr__(self) -> str:
        return f"<Batcher {self.engine!r}>"
