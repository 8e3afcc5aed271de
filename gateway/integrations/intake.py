"""Webhook intake: verify, parse, decide, deduplicate, queue — and answer at once.

Chatwoot gives up after 5 s and never retries, so nothing slow happens here: the translation and
the post back are a worker's job. Once the job is in the stream (an append-only file behind it)
the 202 goes out, and from then on the message cannot be lost.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from gateway.errors import BadRequest, InvalidInput, Overloaded, SignatureInvalid
from gateway.integrations.adapters import parser_for
from gateway.integrations.base import HelpdeskMessage, Ignored, WebhookRejected
from gateway.integrations.config import Integration
from gateway.integrations.jobs import OWN, Job, JobKind, JobQueue
from gateway.integrations.signatures import verify
from gateway.integrations.store import IntegrationStore, health_key

_LEADING_MARKUP = re.compile(r"^(?:\s|<[^>]*>|&nbsp;)*")


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Literal["queued", "duplicate", "ignored"]
    job_id: str | None = None
    reason: str | None = None


class Intake:
    def __init__(self, integrations: IntegrationStore, queue: JobQueue) -> None:
        self.integrations = integrations
        self.queue = queue

    async def accept(
        self, name: str, raw: bytes, headers: Mapping[str, str], query_token: str | None = None
    ) -> Outcome:
        integration = await self.integrations.require(name, max_age_s=1.0)
        try:
            verify(
                integration.kind,
                headers,
                raw,
                integration.secrets,
                now=time.time(),
                token_ok=integration.allow_token,
                query_token=query_token,
            )
        except WebhookRejected as exc:
            await self.integrations.count(name, "rejected", error=f"webhook rejected: {exc.message}")
            raise SignatureInvalid(exc.message) from None
        if not integration.enabled:
            return await self._ignore(name, "the integration is disabled")
        message = await self._parse(integration, raw, headers)
        if isinstance(message, Ignored):
            return await self._ignore(name, message.reason)
        decided = decide(integration, message)
        if isinstance(decided, Ignored):
            return await self._ignore(name, decided.reason)
        kind, text = decided
        job = Job(
            kind=kind,
            integration=name,
            conversation_id=message.ref.conversation_id,
            account_id=message.ref.account_id or "",
            message_id=message.message_id,
            text=text,
            fmt=message.fmt,
            channel=message.channel or "",
            agent_id=message.agent_id or "",
            locale=message.locale or "",
            received_at=time.time(),
        )
        # A helpdesk may re-send one event under a new delivery id (Zendesk says so), so the
        # message id deduplicates too.
        keys = list(dict.fromkeys([message.delivery_id, f"message:{message.message_id}"]))
        done = await self.queue.enqueue(job, keys, health_key(name))  # counts accepted/duplicates too
        if done.status == "full":
            await self.integrations.count(name, "rejected", error="job queue full; webhook refused with 429")
            raise Overloaded(
                f"the job queue is full ({self.queue.max_queued} waiting); "
                "the workers are behind — add workers or raise TONEGATE_MAX_QUEUED_JOBS",
                retry_after_s=30,
            )
        if done.status == "duplicate":
            if done.job_id == OWN:
                return Outcome("ignored", reason="posted by Tonegate itself")
            return Outcome("duplicate", done.job_id, "already accepted")
        return Outcome("queued", done.job_id)

    async def _parse(self, integration: Integration, raw: bytes, headers: Mapping[str, str]):
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            await self.integrations.count(integration.name, "rejected", error=f"body is not JSON: {exc}")
            raise BadRequest(f"the webhook body is not valid JSON: {exc}") from None
        if not isinstance(payload, dict):
            await self.integrations.count(integration.name, "rejected", error="body is not a JSON object")
            raise InvalidInput(f"the webhook body must be a JSON object, not {type(payload).__name__}")
        try:
            return parser_for(integration.kind)(payload, headers)
        except WebhookRejected as exc:
            await self.integrations.count(integration.name, "rejected", error=f"malformed payload: {exc.message}")
            raise InvalidInput(exc.message) from None

    async def _ignore(self, name: str, reason: str) -> Outcome:
        await self.integrations.count(name, "ignored")
        return Outcome("ignored", reason=reason)


def decide(integration: Integration, message: HelpdeskMessage) -> tuple[JobKind, str] | Ignored:
    """Which work a message asks for, and the text to translate; or why there is none."""
    if message.author == "customer":
        if not integration.inbound:
            return Ignored("inbound translation is off for this integration")
        if message.internal:
            return Ignored("an internal note, not a customer message")
        return "inbound", message.text
    if message.author != "agent":
        return Ignored(f"a {message.author} message")
    if not integration.outbound:
        return Ignored("outbound translation is off for this integration")
    if integration.outbound_tag and integration.outbound_tag in message.tags:
        return "outbound", message.text
    text = strip_prefix(message.text, integration.outbound_prefix, message.fmt)
    if text is None:
        marker = integration.outbound_prefix.strip()
        return Ignored(f"an agent message not marked for translation (start a private note with {marker!r})")
    if not message.internal:
        # The customer has already seen this text untranslated; sending a translation would repeat it.
        return Ignored("a public agent message starting with the prefix: write it as a private note instead")
    if not text.strip():
        return Ignored("nothing after the translation prefix")
    return "outbound", text


def strip_prefix(text: str, prefix: str, fmt: str) -> str | None:
    """The text without the marker prefix, or None if it does not start with it (after markup)."""
    start = _LEADING_MARKUP.match(text).end() if fmt == "html" else len(text) - len(text.lstrip())
    rest = text[start:]
    want = prefix.strip()
    if not rest.lower().startswith(want.lower()):
        return None
    after = rest[len(want) :]
    if after and after[0].isalnum() and want[-1:].isalnum():
        return None  # "/translate" is not the prefix "/tr"
    return text[:start] + after.lstrip() if fmt == "html" else after.lstrip()
