"""Chatwoot: `message_created` webhooks in, messages posted through the account API out.

Webhook fields used (Message#webhook_data in chatwoot/chatwoot): `event`, `id`, `content`,
`message_type` ("incoming" = customer, "outgoing" = agent; older payloads and the API use the
enum numbers 0/1/2/3), `content_type`, `private`, `sender.type` ("contact"/"user"/"agent_bot"),
`sender.id`, `conversation.id` (the display id: the one API paths take; very old payloads send
`conversation.display_id`), `conversation.channel` ("Channel::WebWidget"...),
`conversation.additional_attributes.browser_language`, `conversation.labels`, `account.id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.integrations.adapters._common import (
    as_bool,
    as_id,
    as_obj,
    as_tags,
    as_text,
    header,
    malformed,
    opt_str,
)
from gateway.integrations.adapters._http import HttpClient, newest_match, parse_time
from gateway.integrations.base import Author, DeliveryFailed, HelpdeskMessage, Ignored, Ref

DELIVERY_HEADER = "X-Chatwoot-Delivery"
_MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
# Content types that carry words a person wrote; the rest are widgets (forms, cards, CSAT surveys).
_TEXT_CONTENT_TYPES = frozenset({"text", "incoming_email"})
_CHANNELS = {
    "Channel::WebWidget": "chat",
    "Channel::Email": "email",
    "Channel::Api": "api",
    "Channel::Whatsapp": "whatsapp",
    "Channel::FacebookPage": "facebook",
    "Channel::Instagram": "instagram",
    "Channel::TwitterProfile": "twitter",
    "Channel::TwilioSms": "sms",
    "Channel::Sms": "sms",
    "Channel::Telegram": "telegram",
    "Channel::Line": "line",
}


def parse(payload: Mapping[str, Any], headers: Mapping[str, str]) -> HelpdeskMessage | Ignored:
    payload = as_obj(payload, "the body")
    event = payload.get("event")
    if event is None:
        raise malformed("missing event (a Chatwoot webhook always names its event)")
    if event != "message_created":
        return Ignored(f"Chatwoot event {event!r} needs no work")
    # Some senders (automation relays) wrap the message as {"event", "message": {...}}.
    msg = payload["message"] if isinstance(payload.get("message"), Mapping) and "id" not in payload else payload

    message_id = as_id(msg.get("id"), "id")
    message_type = _message_type(msg.get("message_type"))
    if message_type not in ("incoming", "outgoing"):
        return Ignored(f"Chatwoot {message_type} message")
    content_type = msg.get("content_type")
    if content_type is not None and content_type not in _TEXT_CONTENT_TYPES:
        return Ignored(f"Chatwoot {content_type} message (not text)")
    text = as_text(msg.get("content"), "content")
    if text is None or not text.strip():
        return Ignored("empty Chatwoot message (attachments only)")

    sender = as_obj(msg.get("sender"), "sender", required=False)
    sender_type = str(sender.get("type") or "").lower()
    author: Author
    if message_type == "incoming" or sender_type == "contact":
        author = "customer"
    elif sender_type in ("user", "") and sender.get("id") is not None:
        # Payloads before sender.type existed only ever named a user as an outgoing sender.
        author = "agent"
    elif sender_type:
        return Ignored(f"Chatwoot message from a {sender_type} (a bot), not a person")
    else:
        return Ignored("outgoing Chatwoot message without a sender (an automation or campaign)")

    conversation = as_obj(msg.get("conversation") or payload.get("conversation"), "conversation")
    conversation_id = as_id(_first(conversation, "display_id", "id"), "conversation.id")
    account = as_obj(_first(payload, "account") or _first(msg, "account"), "account", required=False)
    account_id = as_id(
        _first(account, "id") or _first(payload, "account_id") or _first(conversation, "account_id"), "account.id"
    )
    delivery = header(headers, DELIVERY_HEADER)
    channel = opt_str(conversation.get("channel"))
    return HelpdeskMessage(
        delivery_id=delivery or f"message:{message_id}",
        message_id=message_id,
        ref=Ref(conversation_id, account_id),
        author=author,
        internal=as_bool(msg.get("private"), "private", default=False),
        text=text,
        channel=_CHANNELS.get(channel, channel.removeprefix("Channel::").lower()) if channel else None,
        agent_id=as_id(sender.get("id"), "sender.id") if author == "agent" else None,
        locale=_locale(conversation, sender if author == "customer" else {}, payload),
        tags=as_tags(conversation.get("labels")),
        extra={"sender_type": sender_type} if sender_type else {},
    )


def _first(holder: Mapping[str, Any], *keys: str) -> Any:
    return next((holder[k] for k in keys if holder.get(k) is not None), None)


def _message_type(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value in _MESSAGE_TYPES:
        return _MESSAGE_TYPES[value]
    if isinstance(value, str) and value in _MESSAGE_TYPES.values():
        return value
    if value is None:
        raise malformed("missing message_type")
    raise malformed(f"message_type must be incoming/outgoing/activity/template, got {value!r:.40}")


def _locale(*holders: Mapping[str, Any]) -> str | None:
    """Chatwoot has no locale field: the widget records the browser's language on the
    conversation, some installs on the contact."""
    for holder in holders:
        for source in (holder, as_obj(holder.get("contact"), "contact", required=False)):
            attributes = source.get("additional_attributes")
            if isinstance(attributes, Mapping) and (found := opt_str(attributes.get("browser_language"))):
                return found
    return None


class ChatwootClient(HttpClient):
    """`api_token` is a user's or agent bot's access token (Profile settings → Access token)."""

    helpdesk = "Chatwoot"

    def auth_headers(self) -> dict[str, str]:
        return {"api_access_token": self.api_token}

    def _path(self, ref: Ref) -> str:
        if not ref.account_id:
            raise DeliveryFailed(f"Chatwoot conversation {ref.conversation_id} has no account id", retryable=False)
        return f"/api/v1/accounts/{ref.account_id}/conversations/{ref.conversation_id}/messages"

    async def _post(self, ref: Ref, text: str, *, private: bool, idempotency_key: str) -> str:
        body = {"content": text, "message_type": "outgoing", "private": private}
        answer = await self.request("POST", self._path(ref), json=body, idempotency_key=idempotency_key)
        return _id_of(answer, "Chatwoot POST messages")

    async def post_note(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        return await self._post(ref, text, private=True, idempotency_key=idempotency_key)

    async def post_reply(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        return await self._post(ref, text, private=False, idempotency_key=idempotency_key)

    async def find_posted(self, ref: Ref, text: str, *, since: float) -> str | None:
        # The list holds the latest messages of the conversation (about 20): enough to find a
        # post a worker made moments before crashing.
        answer = await self.request("GET", self._path(ref))
        messages = answer.get("payload", []) if isinstance(answer, Mapping) else answer
        if not isinstance(messages, list):
            return None
        return newest_match(
            ((m.get("id"), m.get("content"), parse_time(m.get("created_at"))) for m in messages if _ours(m)),
            text,
            since,
        )


def _ours(message: Any) -> bool:
    """Only outgoing messages can be ones we posted (the API lists message_type as 1)."""
    return isinstance(message, Mapping) and message.get("message_type") in (1, "outgoing")


def _id_of(answer: Any, where: str) -> str:
    if isinstance(answer, Mapping) and answer.get("id") is not None:
        return str(answer["id"])
    raise DeliveryFailed(f"{where}: the answer has no message id: {str(answer)[:200]}", retryable=True)
