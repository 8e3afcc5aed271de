"""Generic: for any source that can send our own documented JSON and sign it.

Webhook body (`GenericWebhook`, JSON schema: `GenericWebhook.model_json_schema()`):

    {"event_id": "evt-1",            unique per event; the deduplication key (send it again on retries)
     "conversation_id": "C-42",      where replies and notes go back
     "message_id": "m-7",
     "author": "customer",           or "agent"
     "text": "Hola, necesito ayuda",
     "format": "text",               or "html"; optional, default "text"
     "internal": false,              optional, default false
     "locale": "es-ES",              optional: the customer's locale where known
     "agent_id": "u-3",              optional: who wrote it, when an agent did
     "channel": "chat",              optional
     "tags": ["vip"]}                optional

Ids may be strings or numbers. Sign it as `gateway.integrations.signatures` documents for
"generic" (X-Tonegate-Signature + X-Tonegate-Timestamp).

Posting back: POST `base_url` with JSON {"type": "note"|"reply", "conversation_id", "text",
"idempotency_key"}, headers `Idempotency-Key` and `Authorization: Bearer <api_token>` (when one is
configured). Answer 2xx, ideally with {"id": "..."}; the same Idempotency-Key twice must post once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from gateway.errors import problems
from gateway.integrations.adapters._http import HttpClient
from gateway.integrations.base import HelpdeskMessage, Ignored, Ref, WebhookRejected


def _number_to_str(value: Any) -> Any:
    # Ids may be numbers; other fields stay strict (a number is not a text).
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, BeforeValidator(_number_to_str), Field(min_length=1, max_length=256)]


class GenericWebhook(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    event_id: Id
    conversation_id: Id
    message_id: Id
    author: Literal["customer", "agent"]
    text: str
    format: Literal["text", "html"] = "text"
    internal: bool = False
    locale: str | None = Field(default=None, max_length=35)
    agent_id: Annotated[str | None, BeforeValidator(_number_to_str), Field(max_length=256)] = None
    channel: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=50)


def parse(payload: Mapping[str, Any], headers: Mapping[str, str]) -> HelpdeskMessage | Ignored:
    try:
        body = GenericWebhook.model_validate(payload)
    except ValidationError as exc:
        raise WebhookRejected(f"malformed webhook: {problems(exc.errors(include_url=False))}", 422) from None
    if not body.text:
        return Ignored("empty text")
    return HelpdeskMessage(
        delivery_id=body.event_id,
        message_id=body.message_id,
        ref=Ref(body.conversation_id),
        author=body.author,
        internal=body.internal,
        text=body.text,
        fmt=body.format,
        channel=body.channel or None,
        agent_id=(body.agent_id or None) if body.author == "agent" else None,
        locale=body.locale or None,
        tags=tuple(body.tags),
    )


class GenericClient(HttpClient):
    helpdesk = "the generic endpoint"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_token}"} if self.api_token else {}

    async def _post(self, kind: str, ref: Ref, text: str, idempotency_key: str) -> str:
        body = {"type": kind, "conversation_id": ref.conversation_id, "text": text, "idempotency_key": idempotency_key}
        answer = await self.request("POST", "", json=body, idempotency_key=idempotency_key)
        if isinstance(answer, Mapping) and answer.get("id") is not None:
            return str(answer["id"])
        return idempotency_key  # the receiver keeps no ids of its own: the key names the post

    async def post_note(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        return await self._post("note", ref, text, idempotency_key)

    async def post_reply(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        return await self._post("reply", ref, text, idempotency_key)

    async def find_posted(self, ref: Ref, text: str, *, since: float) -> str | None:
        return None  # no list endpoint: the receiver deduplicates on Idempotency-Key
