"""Delivery of reviewed text: the outbox stream, and the background task that works it.

The review scripts XADD each delivery (approved text, or the machine translation sent on a
deadline) to one Redis Stream in the same atomic step as the status change. Readers then see it
two ways:
- `GET /v1/outbox?after=<cursor>`: the stream id is the cursor, so a reader that stores it gets
  every message once, in order;
- `callback_url`: a consumer group hands each entry to one worker, which POSTs it and XACKs only
  after a 2xx. An entry a crashed worker left unacknowledged is claimed by another after
  `reclaim_idle_s`. The `Idempotency-Key` header (the review id) lets a receiver drop the one
  duplicate a crash between POST and XACK can cause.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass

import anyio
import httpx
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from gateway.contract import STREAM_CURSOR
from gateway.errors import InvalidInput
from gateway.queues import JOBS, OUTBOX_GROUP
from gateway.review import OUTBOX, P, ReviewStore

log = logging.getLogger("tonegate.outbox")

GROUP = OUTBOX_GROUP
INTEGRATION_SCHEME = "integration://"  # callback_url of items held by a helpdesk integration
RETRIES = P + "callback-retries"  # entry id -> {"attempts", "next_ms"}: backoff survives restarts
_CURSOR = re.compile(STREAM_CURSOR)


def _s(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def message(entry_id: str, fields: dict) -> dict:
    f = {_s(k): _s(v) for k, v in fields.items()}
    return {
        "id": entry_id,
        "review_id": f["review_id"],
        "kind": f["kind"],
        "text": f["text"],
        "brand": f["brand"],
        "conversation_id": f["conversation_id"],
        "channel": f["channel"] or None,
        "source_lang": f["source_lang"],
        "target_lang": f["target_lang"],
        "at": float(f["at"]),
    }


class Outbox:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def read(
        self, after: str | None, limit: int, brands: tuple[str, ...] | None = None
    ) -> tuple[list[dict], str | None]:
        """Messages strictly after the cursor, oldest first, and the cursor to pass next time.

        `brands` (the reading key's tenants; None: every brand) hides other brands' messages. The
        cursor then moves past what was skipped too, so a reader never scans them twice; it is a
        position in the one stream and tells nothing about what lies there."""
        if after is not None and not _CURSOR.fullmatch(after):
            raise InvalidInput(
                f"after must be a cursor returned by this endpoint (like '1764000000000-0'), not {after!r}"
            )
        start = "-" if after in (None, "0") else "(" + after
        messages: list[dict] = []
        cursor = after
        batch = max(limit, 200)
        # Bounded: a scoped reader behind a long run of other brands' entries gets an empty page
        # with an advanced cursor rather than a request that scans the whole stream.
        for _ in range(20):
            entries = await self.redis.xrange(OUTBOX, min=start, max="+", count=batch if brands is not None else limit)
            for i, f in entries:
                m = message(_s(i), f)
                cursor = m["id"]
                if brands is None or m["brand"] in brands:
                    messages.append(m)
                    if len(messages) == limit:
                        return messages, cursor
            if brands is None or len(entries) < batch:
                break
            start = "(" + cursor
        return messages, cursor


@dataclass(frozen=True, slots=True)
class WorkerTiming:
    sweep_every_s: float = 0.25
    block_ms: int = 250
    backoff_first_s: float = 0.5
    backoff_max_s: float = 300.0
    reclaim_idle_s: float = 60.0
    request_timeout_s: float = 10.0


class ReviewWorker:
    """Applies deadlines and lease expiry, and calls callbacks; one per API process."""

    def __init__(self, redis: Redis, store: ReviewStore, timing: WorkerTiming | None = None) -> None:
        self.redis = redis
        self.store = store
        self.timing = timing or WorkerTiming()
        # Unique per process, so the group can tell a dead worker's entries from a live one's.
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"

    async def run(self) -> None:
        await self._ensure_group()
        async with httpx.AsyncClient(timeout=self.timing.request_timeout_s) as http:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._sweep_forever)
                tg.start_soon(self._deliver_forever, http)

    async def _ensure_group(self) -> None:
        try:
            # id 0: a fresh group also delivers entries written before any worker ran.
            await self.redis.xgroup_create(OUTBOX, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.store.sweep()
            except Exception:  # a Redis hiccup must not end the sweeper; it runs again next tick
                log.exception("review sweep failed")
            await anyio.sleep(self.timing.sweep_every_s)

    async def _deliver_forever(self, http: httpx.AsyncClient) -> None:
        last_reclaim = 0.0
        while True:
            try:
                if time.monotonic() - last_reclaim > self.timing.reclaim_idle_s / 2:
                    last_reclaim = time.monotonic()
                    await self.redis.xautoclaim(
                        OUTBOX, GROUP, self.consumer, int(self.timing.reclaim_idle_s * 1000), "0-0", count=100
                    )
                # Our own unacknowledged entries first (retries), then new ones.
                await self._deliver(http, await self._read("0", block=None))
                await self._deliver(http, await self._read(">", block=self.timing.block_ms))
            except Exception as exc:  # the worker outlives Redis hiccups; entries wait in the stream
                if "NOGROUP" in str(exc) or "UNBLOCKED" in str(exc):
                    # The stream or group was deleted (a flushed Redis): recreate them and go on.
                    await self._ensure_group()
                    continue
                log.exception("outbox delivery failed; retrying")
                await anyio.sleep(1)

    async def _to_integration(self, entry_id: str, fields: dict, integration: str) -> None:
        """Hand an approved reply to the helpdesk workers, whose retries and dead letters then apply."""
        from gateway.integrations.jobs import Job, ref_from_conversation_key

        body = message(entry_id, fields)
        _, ref = ref_from_conversation_key(body["conversation_id"])
        job = Job(
            kind="reply",
            integration=integration,
            conversation_id=ref.conversation_id,
            account_id=ref.account_id or "",
            text=body["text"],
            review_id=body["review_id"],
            source_lang=body["source_lang"],
            target_lang=body["target_lang"],
            channel=body["channel"] or "",
            received_at=time.time(),
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(JOBS, job.fields())
            pipe.xack(OUTBOX, GROUP, entry_id)
            pipe.hdel(RETRIES, entry_id)
            await pipe.execute()

    async def _read(self, start: str, block: int | None) -> list[tuple[str, dict]]:
        out = await self.redis.xreadgroup(GROUP, self.consumer, {OUTBOX: start}, count=100, block=block)
        return [(_s(i), f) for _, entries in out or [] for i, f in entries if f]

    async def _deliver(self, http: httpx.AsyncClient, entries: list[tuple[str, dict]]) -> None:
        for entry_id, fields in entries:
            url = _s(fields.get(b"callback_url", b""))
            if not url:
                await self.redis.xack(OUTBOX, GROUP, entry_id)
                continue
            if url.startswith(INTEGRATION_SCHEME):
                await self._to_integration(entry_id, fields, url.removeprefix(INTEGRATION_SCHEME))
                continue
            raw = await self.redis.hget(RETRIES, entry_id)
            state = json.loads(raw) if raw else {"attempts": 0, "next_ms": 0}
            if state["next_ms"] > time.time() * 1000:
                continue
            body = message(entry_id, fields)
            try:
                r = await http.post(url, json=body, headers={"Idempotency-Key": body["review_id"]})
                ok, why = r.is_success, f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                ok, why = False, f"{type(exc).__name__}: {exc}"
            if ok:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.xack(OUTBOX, GROUP, entry_id)
                    pipe.hdel(RETRIES, entry_id)
                    await pipe.execute()
                continue
            state["attempts"] += 1
            delay = min(self.timing.backoff_max_s, self.timing.backoff_first_s * 2 ** (state["attempts"] - 1))
            state["next_ms"] = int((time.time() + delay) * 1000)
            await self.redis.hset(RETRIES, entry_id, json.dumps(state))
            log.warning(
                "callback for %s failed (%s); attempt %d, next in %.1f s",
                body["review_id"],
                why,
                state["attempts"],
                delay,
            )
