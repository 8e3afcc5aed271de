"""Workers: take jobs from the stream, translate, post back into the helpdesk, acknowledge.

Reliability, step by step:
- Jobs are read in a consumer group and acknowledged (and deleted) only after the post succeeded
  or the job was moved to the dead letters, in one MULTI.
- A worker that dies leaves its jobs pending; any other worker claims them (XAUTOCLAIM) once they
  have been idle `reclaim_idle_s`. A short lock per job keeps a slow-but-alive worker and the one
  that claimed its job from working on it at the same time.
- A failed post is retried with exponential backoff and jitter; the attempt count and the next
  time live in Redis, so they survive restarts. After `max_attempts`, or at once for failures a
  retry cannot fix (a wrong token, a deleted ticket), the job goes to the dead-letter stream.
- Before any second attempt the worker asks the helpdesk whether the post is already there (the
  note carries the job id), so a crash between posting and acknowledging never posts twice.
- Right before posting, the worker checks it still holds the job's lock and stretches it over the
  post's timeout (`fence`): a worker that stalled past its lease leaves the job to the one that
  took it over, instead of posting beside it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import socket
import time
from dataclasses import dataclass
from hashlib import sha1
from typing import TYPE_CHECKING

import anyio
import httpx
from redis.exceptions import ResponseError

from gateway.errors import GatewayError
from gateway.integrations.adapters import client_for
from gateway.integrations.base import DeliveryFailed, HelpdeskClient
from gateway.integrations.config import Integration
from gateway.integrations.intake import OWN
from gateway.integrations.jobs import DEDUPE_TTL_S, SEEN, Job, dead_fields
from gateway.outbox import INTEGRATION_SCHEME
from gateway.pipeline import TranslateJob, Translation, wrong_language
from gateway.queues import DEAD, JOBS, JOBS_GROUP
from gateway.review import NewItem
from models.errors import EngineBusy, EngineFailure, ModelError, UnsupportedPair

if TYPE_CHECKING:
    from gateway.brands import Brand
    from gateway.services import Services
    from gateway.settings import Settings

log = logging.getLogger("tonegate.worker")

STATE = "tonegate:{jobs}:state"  # entry id -> {"attempts", "next_ms", "error"}
LOCK = "tonegate:{jobs}:lock:"  # + entry id -> the consumer working on it


# Compare-and-act on a job's lock, so a worker never extends or frees a lock another one holds.
# Renewing only ever lengthens the lock (the fence before a post sets a longer one than the
# heartbeat's); it answers 1 while we hold it, 0 once another worker does.
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""
_UNLOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


@dataclass(frozen=True, slots=True)
class JobTiming:
    block_ms: int = 500
    backoff_first_s: float = 1.0
    backoff_max_s: float = 300.0
    max_attempts: int = 8
    reclaim_idle_s: float = 30.0
    request_timeout_s: float = 10.0
    concurrency: int = 8  # jobs in flight per worker, so the engines' batchers see company


def timing_from(settings: Settings) -> JobTiming:
    return JobTiming(
        backoff_first_s=settings.job_backoff_first_s,
        backoff_max_s=settings.job_backoff_max_s,
        max_attempts=settings.job_max_attempts,
        reclaim_idle_s=settings.job_reclaim_idle_s,
        concurrency=settings.worker_concurrency,
    )


# How a job that did not die ended: each posts something the agent or customer sees, and each is
# counted in the integration's health ("delivered" counts them all).
TRANSLATED = "translated"  # an internal note with the customer's message translated
REPLIED = "replied"  # a reply to the customer (translated, or already in their language)
# A note saying why there is no translation: already in the agent's language, nothing to
# translate, no engine for the language, or the customer's language not known yet.
EXPLAINED = "explained"
HELD = "held"  # a review item, and a note telling the agent the reply waits for an editor
OUTCOMES = (TRANSLATED, REPLIED, EXPLAINED, HELD)


class Permanent(Exception):
    """A failure no retry can fix; the job goes straight to the dead letters."""


class LeaseLost(Exception):
    """This worker was too slow: its lock lapsed and another worker took the job over."""


def consumer_name() -> str:
    # Unique per process and worker, so the group can tell a dead worker's jobs from a live one's.
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class JobWorker:
    def __init__(self, services: Services, timing: JobTiming | None = None, name: str | None = None) -> None:
        self.services = services
        self.redis = services.redis
        self.timing = timing or JobTiming()
        self.consumer = name or consumer_name()
        self._inflight: set[str] = set()
        self._lock_ms = int(self.timing.reclaim_idle_s * 1000)
        self._renew = self.redis.register_script(_RENEW)
        self._unlock = self.redis.register_script(_UNLOCK)
        self._clients: dict[str, tuple[str, HelpdeskClient]] = {}

    async def run(self) -> None:
        await ensure_group(self.services)
        slots = anyio.Semaphore(self.timing.concurrency)
        async with httpx.AsyncClient(timeout=self.timing.request_timeout_s) as http:
            self._http = http
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._heartbeat)
                    last_reclaim = 0.0
                    while True:
                        try:
                            now = time.monotonic()
                            claimed: list[tuple[str, dict]] = []
                            if now - last_reclaim > self.timing.reclaim_idle_s / 4:
                                last_reclaim = now
                                claimed = await self._reclaim()
                            again = claimed + await self._read("0", block=None)
                            for entry_id, fields in await self._due(again):
                                await self._start(tg, slots, entry_id, fields, redelivered=True)
                            free = slots.value
                            if free == 0:
                                await anyio.sleep(0.01)
                                continue
                            for entry_id, fields in await self._read(">", block=self.timing.block_ms, count=free):
                                await self._start(tg, slots, entry_id, fields, redelivered=False)
                        except Exception as exc:  # the worker outlives Redis restarts; jobs wait in the stream
                            if "NOGROUP" in str(exc):
                                await ensure_group(self.services)
                                continue
                            log.warning("job worker: %s; retrying in 1 s", exc)
                            await anyio.sleep(1)
            finally:
                for _, client in self._clients.values():
                    await client.aclose()

    async def fence(self, entry_id: str) -> None:
        """Right before a post: make sure the job is still ours and stays ours until the post has
        answered or timed out, so no worker that takes it over can post beside us."""
        hold_ms = int((self.timing.request_timeout_s + self.timing.reclaim_idle_s) * 1000)
        if not await self._renew(keys=[LOCK + entry_id], args=[self.consumer, hold_ms]):
            raise LeaseLost(entry_id)

    async def _heartbeat(self) -> None:
        """Keep our in-flight jobs ours while they run, however long: refresh each job's lock and
        reset its idle time in the group, so no other worker claims a job that is only slow."""
        while True:
            await anyio.sleep(self.timing.reclaim_idle_s / 3)
            ids = list(self._inflight)
            if not ids:
                continue
            try:
                await self.redis.xclaim(JOBS, JOBS_GROUP, self.consumer, 0, ids, justid=True)
                for entry_id in ids:
                    await self._renew(keys=[LOCK + entry_id], args=[self.consumer, self._lock_ms])
            except Exception as exc:  # Redis away: the main loop reports it; try again next beat
                log.debug("heartbeat failed: %s", exc)

    async def _start(self, tg, slots: anyio.Semaphore, entry_id: str, fields: dict, redelivered: bool) -> None:
        if entry_id in self._inflight:
            return
        # A semaphore, not a CapacityLimiter: the slot is taken here and given back by the job's task.
        await slots.acquire()
        self._inflight.add(entry_id)

        async def work() -> None:
            try:
                await self.process(entry_id, fields, redelivered=redelivered)
            except Exception as exc:
                # Redis failed under the job's bookkeeping (a restart, a timeout). The job is still
                # pending in the group, so this worker reads it again; one job must not end the worker.
                log.warning("job %s interrupted, will be taken again: %s", entry_id, exc)
            finally:
                self._inflight.discard(entry_id)
                slots.release()

        tg.start_soon(work)

    async def _read(self, start: str, block: int | None, count: int = 100) -> list[tuple[str, dict]]:
        out = await self.redis.xreadgroup(JOBS_GROUP, self.consumer, {JOBS: start}, count=count, block=block)
        # An entry deleted while pending comes back with no fields: it is finished, forget it.
        entries = [(_s(i), f) for _, es in out or [] for i, f in es]
        gone = [i for i, f in entries if not f]
        if gone:
            await self.redis.xack(JOBS, JOBS_GROUP, *gone)
        return [(i, f) for i, f in entries if f and i not in self._inflight]

    async def _reclaim(self) -> list[tuple[str, dict]]:
        """Jobs a dead worker left pending, now ours."""
        idle_ms = int(self.timing.reclaim_idle_s * 1000)
        result = await self.redis.xautoclaim(JOBS, JOBS_GROUP, self.consumer, idle_ms, "0-0", count=100)
        entries = result[1] if len(result) > 1 else []
        if entries:
            log.info("claimed %d job(s) left by another worker", len(entries))
        return [(_s(i), f) for i, f in entries if f]

    async def _due(self, entries: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        """Those whose backoff has passed."""
        entries = [(i, f) for i, f in entries if i not in self._inflight]
        if not entries:
            return []
        states = await self.redis.hmget(STATE, [i for i, _ in entries])
        now_ms = time.time() * 1000
        return [
            (i, f)
            for (i, f), raw in zip(entries, states, strict=True)
            if not raw or json.loads(raw)["next_ms"] <= now_ms
        ]

    # -- one job -------------------------------------------------------------------------------

    async def process(self, entry_id: str, fields: dict, *, redelivered: bool) -> None:
        if not await self.redis.set(LOCK + entry_id, self.consumer, nx=True, px=self._lock_ms):
            return  # another worker is on it (it claimed the job, or we did and it is still busy)
        try:
            if not await self.redis.xrange(JOBS, entry_id, entry_id):
                return  # finished (acknowledged and deleted) since it was read
            job = Job.from_fields(fields)
            raw = await self.redis.hget(STATE, entry_id)
            state = json.loads(raw) if raw else {"attempts": 0, "next_ms": 0}
            try:
                outcome = await self._run(job, entry_id, check_posted=redelivered or state["attempts"] > 0)
            except DeliveryFailed as exc:
                await self._failed(job, entry_id, state, exc.message, exc.retryable, exc.retry_after_s)
            except EngineBusy as exc:  # peak load: the job waits in the stream, not in memory
                await self._failed(job, entry_id, state, str(exc), retryable=True, retry_after_s=exc.retry_after_s)
            except EngineFailure as exc:  # the engine is restarted; the next attempt may pass
                await self._failed(job, entry_id, state, str(exc), retryable=True)
            except LeaseLost:
                # The new holder checks the helpdesk before posting; acting here could post twice.
                log.warning("job %s: taken over by another worker while this one was slow; leaving it", entry_id)
                return
            except (Permanent, ModelError) as exc:
                await self._failed(job, entry_id, state, str(exc), retryable=False)
            except GatewayError as exc:
                await self._failed(job, entry_id, state, exc.message, retryable=exc.status >= 500)
            except Exception as exc:  # unexpected: keep the job and try again later
                log.exception("job %s failed", entry_id)
                await self._failed(job, entry_id, state, f"{type(exc).__name__}: {exc}", retryable=True)
            else:
                await self._finished(job, entry_id, outcome)
        finally:
            await self._unlock(keys=[LOCK + entry_id], args=[self.consumer])

    async def _run(self, job: Job, entry_id: str, *, check_posted: bool) -> str:
        """Post what the job calls for; answer which visible outcome it had (OUTCOMES)."""
        integration = await self.services.integrations.get(job.integration)
        if integration is None:
            raise Permanent(f"the integration {job.integration!r} was deleted")
        client = self._client(integration)
        post = Poster(self, client, job, entry_id, check_posted)
        if job.kind == "reply":
            await post.reply(job.text)
            return REPLIED
        brand = await self.services.brands.get(integration.brand)
        if brand is None:
            raise Permanent(f"integration {integration.name!r} names brand {integration.brand!r}, which does not exist")
        if job.kind == "inbound":
            return await self._inbound(job, integration, brand, post)
        return await self._outbound(job, entry_id, integration, brand, post)

    async def _inbound(self, job: Job, integration: Integration, brand: Brand, post: Poster) -> str:
        target = integration.agent_language(None, brand.agent_lang)
        try:
            [t] = await self.services.pipeline.translate(
                TranslateJob(
                    texts=(job.text,),
                    target=target,
                    brand=brand,
                    fmt=job.fmt,  # type: ignore[arg-type]
                    conversation_id=job.conversation_key,  # remembers the customer's language
                    locale=job.locale or None,
                )
            )
        except UnsupportedPair as exc:
            # No retry can help, but the agent should know why no translation came.
            await post.note(
                f"Tonegate: this message reads as {exc.source}, and no installed engine translates "
                f"{exc.source}→{exc.target} (directly or through a pivot language), so it was not "
                f"translated. · ref {post.entry_id}"
            )
            return EXPLAINED
        if t.engine == "none":
            # Already in the agent's language, or nothing to translate: one line says so, so no
            # message ever passes without a visible trace (and a wrong "same language" shows).
            await post.note(untranslated_note(t, post.entry_id))
            return EXPLAINED
        await post.note(inbound_note(t, job, post.entry_id))
        return TRANSLATED

    async def _outbound(self, job: Job, entry_id: str, integration: Integration, brand: Brand, post: Poster) -> str:
        source = integration.agent_language(job.agent_id or None, brand.agent_lang)
        target = await self._customer_language(job, integration)
        if target is None:
            await post.note(
                "Tonegate: the customer's language is not known yet (no message from them to detect it "
                "from, no locale), so this reply was not sent. Send it yourself, or set customer_lang "
                f"on the integration. · ref {entry_id}"
            )
            return EXPLAINED
        if target == source:
            await post.reply(job.text)
            return REPLIED
        # No conversation id here: the agent's language must not become the conversation's.
        [t] = await self.services.pipeline.translate(
            TranslateJob(texts=(job.text,), target=target, source=source, brand=brand, fmt=job.fmt)  # type: ignore[arg-type]
        )
        rule = brand.review_rule("outbound", job.channel or None)
        doubtful = t.confidence.value < rule.below if rule.below is not None else t.needs_review
        doubtful = doubtful or wrong_language(t.confidence)
        if not doubtful:
            await post.reply(t.text)
            return REPLIED
        review_id = await self.services.review.create(
            NewItem(
                brand=brand.name,
                source_lang=source,
                target_lang=target,
                conversation_id=job.conversation_key,
                channel=job.channel or None,
                direction="outbound",
                source=job.text,
                mt=t.text,
                confidence=t.confidence.value,
                band=t.confidence.band,
                engine=t.engine,
                signals=[{"name": s.name, "detail": s.detail} for s in t.confidence.signals],
                deadline_s=rule.deadline_s,
                on_deadline=rule.on_deadline,
                callback_url=integration_callback(integration.name),
            ),
            who=f"integration:{integration.name}",
            item_id="rv_" + sha1(f"{integration.name}/{entry_id}".encode()).hexdigest()[:16],
        )
        await post.note(
            f"Tonegate: the {target} translation of this reply is held for review (confidence "
            f"{t.confidence.value:.2f}, {t.confidence.band}); it is sent to the customer once an editor "
            f"approves it. Review item {review_id} · ref {entry_id}"
        )
        return HELD

    async def _customer_language(self, job: Job, integration: Integration) -> str | None:
        from models.langcodes import normalize

        known = (
            await self.services.pipeline.conversations.get(job.conversation_key)
            if self.services.pipeline.conversations
            else None
        )
        if known:
            return known
        if job.locale:
            try:
                return normalize(job.locale)
            except ModelError:
                pass
        return integration.customer_lang

    def _client(self, integration: Integration) -> HelpdeskClient:
        # One client per integration, rebuilt when its settings change.
        fingerprint = json.dumps(integration.stored(), sort_keys=True)
        cached = self._clients.get(integration.name)
        if cached and cached[0] == fingerprint:
            return cached[1]
        client = client_for(
            integration.kind,
            integration.base_url or "",
            integration.api_token.get_secret_value() if integration.api_token else "",
            self._http,
        )
        self._clients[integration.name] = (fingerprint, client)
        return client

    # -- outcomes --------------------------------------------------------------------------------

    async def _finished(self, job: Job, entry_id: str, outcome: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(JOBS, JOBS_GROUP, entry_id)
            pipe.xdel(JOBS, entry_id)
            pipe.hdel(STATE, entry_id)
            await pipe.execute()
        await self.services.integrations.finished(job.integration, outcome)

    async def _failed(
        self,
        job: Job,
        entry_id: str,
        state: dict,
        error: str,
        retryable: bool,
        retry_after_s: float | None = None,
    ) -> None:
        attempts = state["attempts"] + 1
        if not retryable or attempts >= self.timing.max_attempts:
            why = error if not retryable else f"gave up after {attempts} attempts: {error}"
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.xadd(DEAD, dead_fields(job, entry_id, why, attempts))
                pipe.xack(JOBS, JOBS_GROUP, entry_id)
                pipe.xdel(JOBS, entry_id)
                pipe.hdel(STATE, entry_id)
                await pipe.execute()
            log.error("job %s (%s, %s) moved to the dead letters: %s", entry_id, job.kind, job.integration, why)
            await self.services.integrations.count(job.integration, "dead", error=why)
            return
        delay = min(self.timing.backoff_max_s, self.timing.backoff_first_s * 2 ** (attempts - 1))
        # Jitter spreads the retries of many jobs that failed together (the helpdesk came back).
        delay *= random.uniform(0.5, 1.5)
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        state = {"attempts": attempts, "next_ms": int((time.time() + delay) * 1000), "error": error[:500]}
        await self.redis.hset(STATE, entry_id, json.dumps(state))
        log.warning("job %s: %s; attempt %d, next in %.1f s", entry_id, error, attempts, delay)
        await self.services.integrations.count(job.integration, "retried", error=error)


class Poster:
    """Posts one job's note or reply, at most once."""

    def __init__(self, worker: JobWorker, client: HelpdeskClient, job: Job, entry_id: str, check_posted: bool) -> None:
        self.worker = worker
        self.client = client
        self.job = job
        self.entry_id = entry_id
        self.check_posted = check_posted

    async def note(self, text: str) -> None:
        await self._post(text, internal=True)

    async def reply(self, text: str) -> None:
        await self._post(text, internal=False)

    async def _post(self, text: str, *, internal: bool) -> None:
        ref = self.job.ref
        with self.worker.services.metrics.time("deliver"):
            if self.check_posted:
                # Notes carry "ref <job id>"; a reply is matched on its exact text since the job came in.
                probe = f"ref {self.entry_id}" if internal else text
                since = self.job.received_at - 5 if self.job.received_at else 0.0
                found = await self.client.find_posted(ref, probe, since=since)
                if found is not None:
                    log.info("job %s was posted before a crash (%s); not posting again", self.entry_id, found)
                    await self._mark_own(found)
                    return
            await self.worker.fence(self.entry_id)
            if internal:
                posted = await self.client.post_note(ref, text, idempotency_key=self.entry_id)
            else:
                posted = await self.client.post_reply(ref, text, idempotency_key=self.entry_id)
        await self._mark_own(posted)

    async def _mark_own(self, message_id: str) -> None:
        # The helpdesk will send our own post back as a webhook: the intake drops it as ours.
        if message_id:
            key = f"{SEEN}{self.job.integration}:message:{message_id}"
            await self.worker.redis.set(key, OWN, ex=DEDUPE_TTL_S)


def inbound_note(t: Translation, job: Job, entry_id: str) -> str:
    text = plain(t.text) if job.fmt == "html" else t.text
    lines = [text, ""]
    footer = f"— Tonegate · {t.source_lang}→{t.target_lang} · confidence {t.confidence.value:.2f} ({t.confidence.band})"
    if t.needs_review:
        worst = next((s.detail for s in t.confidence.signals if s.detail), None)
        lines.append("⚠ doubtful translation" + (f": {worst}" if worst else ""))
    lines.append(f"{footer} · ref {entry_id}")
    return "\n".join(lines)


def untranslated_note(t: Translation, entry_id: str) -> str:
    """One line for a message the gateway left as it was, saying why."""
    if t.source_lang is None:
        why = "nothing to translate (no letters)"
    elif t.decided_by == "detector" and t.detection is not None:
        why = f"already in {t.target_lang} (detected, confidence {t.detection.confidence:.2f})"
    else:
        fallback = next((s.detail for s in t.confidence.signals if s.name == "language_fallback"), "")
        why = f"read as {t.target_lang}, the agent's language" + (f": {fallback}" if fallback else "")
    return f"Tonegate: not translated, {why} · ref {entry_id}"


def plain(html: str) -> str:
    """Text of an HTML translation, for a plain-text note."""
    import lxml.html

    try:
        return lxml.html.fromstring(html).text_content().strip()
    except Exception:  # lxml refuses empty or odd fragments; the markup is better than nothing
        return html


def integration_callback(name: str) -> str:
    """The review item's delivery target: approved text goes back through this integration."""
    return INTEGRATION_SCHEME + name


async def ensure_group(services: Services) -> None:
    try:
        # id 0: a fresh group also takes jobs queued before any worker ran.
        await services.redis.xgroup_create(JOBS, JOBS_GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _s(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)
