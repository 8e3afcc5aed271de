"""Integrations and their health, in Redis, so every API process and worker sees the same set."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence

from redis.asyncio import Redis

from gateway.errors import Conflict, NotFound
from gateway.integrations.config import Integration, IntegrationFields

log = logging.getLogger("tonegate.integrations")

_ALL = "tonegate:integrations"  # name -> stored JSON


def health_key(name: str) -> str:
    # In the {jobs} hash slot, so the enqueue script can count beside the stream (Redis Cluster).
    return f"tonegate:{{jobs}}:health:{name}"


# Counters kept per integration (HINCRBY) and shown by GET /v1/integrations/{name}. Every
# accepted job ends in exactly one of: delivered (split into translated, replied, explained and
# held — what was posted) or dead; retried counts attempts, not jobs.
COUNTERS = (
    "accepted",
    "duplicates",
    "ignored",
    "rejected",
    "delivered",
    "translated",
    "replied",
    "explained",
    "held",
    "retried",
    "dead",
)
POSTED = ("translated", "replied", "explained", "held")


def _s(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class IntegrationStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        # The last read of each record (raw, parsed, when): validated again only when it changed,
        # and reused for `max_age_s` by callers that allow it.
        self._read: dict[str, tuple[bytes, Integration, float]] = {}

    async def get(self, name: str, *, max_age_s: float = 0.0) -> Integration | None:
        """The integration as stored; one read up to `max_age_s` old will do where given.

        Webhook intake passes a second: with the append-only file fsynced on every write, Redis
        answers a read only after the fsync of the writes beside it, so skipping the read halves
        the time of a webhook. A change made through another API process reaches it within that
        second; one made through this process at once."""
        now = time.monotonic()
        cached = self._read.get(name)
        if cached is not None and now - cached[2] < max_age_s:
            return cached[1]
        raw = await self.redis.hget(_ALL, name)
        if not raw:
            self._read.pop(name, None)
            return None
        integration = cached[1] if cached is not None and cached[0] == raw else Integration.model_validate_json(raw)
        self._read[name] = (raw, integration, now)
        return integration

    async def require(self, name: str, *, max_age_s: float = 0.0) -> Integration:
        found = await self.get(name, max_age_s=max_age_s)
        if found is None:
            raise NotFound(f"no integration named {name!r}; GET /v1/integrations lists them")
        return found

    async def all(self) -> list[Integration]:
        raw = await self.redis.hgetall(_ALL)
        return sorted((Integration.model_validate_json(v) for v in raw.values()), key=lambda i: i.name)

    async def create(self, integration: Integration) -> None:
        self._read.pop(integration.name, None)
        if not await self.redis.hsetnx(_ALL, integration.name, json.dumps(integration.stored())):
            raise Conflict(f"an integration named {integration.name!r} exists; PATCH it or pick another name")

    async def update(self, name: str, patch: IntegrationFields) -> Integration:
        current = await self.require(name)
        _editable(current)
        updated = current.patched(patch)
        await self.redis.hset(_ALL, name, json.dumps(updated.stored()))
        self._read.pop(name, None)
        return updated

    async def delete(self, name: str) -> None:
        _editable(await self.require(name))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(_ALL, name)
            pipe.delete(health_key(name))
            await pipe.execute()
        self._read.pop(name, None)

    async def sync_file(self, declared: Sequence[Integration]) -> None:
        """Make the file's integrations the stored ones: add or replace them, drop file entries
        that left the file; integrations created through the API are left alone."""
        stored = await self.all()
        async with self.redis.pipeline(transaction=True) as pipe:
            for old in stored:
                if old.source == "file" and old.name not in {i.name for i in declared}:
                    pipe.hdel(_ALL, old.name)
            for new in declared:
                pipe.hset(_ALL, new.name, json.dumps(new.stored()))
            await pipe.execute()
        self._read.clear()
        clashes = [i.name for i in stored if i.source == "api" and i.name in {d.name for d in declared}]
        for name in clashes:
            log.warning("integration %r from the file replaced the one created through the API", name)

    # -- health ------------------------------------------------------------------------------

    async def count(self, name: str, counter: str, *, error: str | None = None) -> None:
        now = repr(time.time())
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(health_key(name), counter, 1)
            pipe.hset(health_key(name), f"last_{counter}_at", now)
            if error is not None:
                pipe.hset(health_key(name), mapping={"last_error": error[:500], "last_error_at": now})
            await pipe.execute()

    async def finished(self, name: str, outcome: str) -> None:
        """A job's one outcome (gateway/integrations/worker.py OUTCOMES), and "delivered" when it posted."""
        if outcome not in COUNTERS:
            raise ValueError(f"unknown job outcome {outcome!r}")
        now = repr(time.time())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(health_key(name), outcome, 1)
            pipe.hset(health_key(name), f"last_{outcome}_at", now)
            if outcome in POSTED:
                pipe.hincrby(health_key(name), "delivered", 1)
                pipe.hset(health_key(name), "last_delivered_at", now)
            await pipe.execute()

    async def health(self, name: str) -> dict[str, object]:
        raw = {_s(k): _s(v) for k, v in (await self.redis.hgetall(health_key(name))).items()}
        out: dict[str, object] = {c: int(raw.get(c, 0)) for c in COUNTERS}
        out["last_webhook_at"] = float(raw["last_accepted_at"]) if "last_accepted_at" in raw else None
        out["last_delivery_at"] = float(raw["last_delivered_at"]) if "last_delivered_at" in raw else None
        out["last_error"] = raw.get("last_error")
        out["last_error_at"] = float(raw["last_error_at"]) if "last_error_at" in raw else None
        return out


def _editable(integration: Integration) -> None:
    if integration.source == "file":
        raise Conflict(
            f"integration {integration.name!r} comes from the TONEGATE_INTEGRATIONS file; change it there and restart"
        )
