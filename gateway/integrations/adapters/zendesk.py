"""Zendesk: two webhook shapes in, ticket comments out.

(a) Event subscriptions: an envelope `{"id", "type": "zen:event-type:...", "detail", "event"}`
    whose `id` is unique per event. Handled: `messaging_ticket.message_added` (messaging
    conversations) and `ticket.comment_added`; every other type is ignored.
(b) Trigger webhooks: the body is the JSON template in `zendesk_trigger.json` (next to this
    module), which the admin pastes into the trigger's "Notify webhook" action. Zendesk renders
    every placeholder as a string, so ids and booleans arrive as "123" and "true".
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gateway.integrations.adapters._common import (
    as_bool,
    as_id,
    as_obj,
    as_tags,
    as_text,
    malformed,
    opt_id,
    opt_str,
)
from gateway.integrations.adapters._http import HttpClient, newest_match, parse_time
from gateway.integrations.base import Author, DeliveryFailed, HelpdeskMessage, Ignored, Ref

TRIGGER_TEMPLATE = Path(__file__).with_name("zendesk_trigger.json")
_EVENT_PREFIX = "zen:event-type:"
_MESSAGING = "zen:event-type:messaging_ticket.message_added"
_COMMENT = "zen:event-type:ticket.comment_added"
_END_USER_ROLES = frozenset({"end-user", "end_user", "enduser", "end user"})
_CHANNELS = {"mail": "email", "email": "email", "web form": "web", "web": "web", "chat": "chat", "messaging": "chat"}


def parse(payload: Mapping[str, Any], headers: Mapping[str, str]) -> HelpdeskMessage | Ignored:
    payload = as_obj(payload, "the body")
    if "ticket_id" in payload or "comment_id" in payload:
        return _parse_trigger(payload)
    event_type = payload.get("type")
    if isinstance(event_type, str) and event_type.startswith(_EVENT_PREFIX):
        return _parse_event(payload, event_type)
    raise malformed(
        "neither a Zendesk event (type zen:event-type:...) nor the trigger template (ticket_id, comment_id); "
        "paste gateway/integrations/adapters/zendesk_trigger.json as the trigger's JSON body"
    )


def _rendered(value: Any) -> Any:
    """A placeholder Zendesk could not fill renders empty, or verbatim when mistyped: both mean absent."""
    if isinstance(value, str) and (not value.strip() or "{{" in value):
        return None
    return value


def _parse_trigger(payload: Mapping[str, Any]) -> HelpdeskMessage | Ignored:
    ticket_id = as_id(_rendered(payload.get("ticket_id")), "ticket_id")
    comment_id = as_id(_rendered(payload.get("comment_id")), "comment_id")
    text = as_text(payload.get("comment"), "comment")  # the customer's words: "{{" in them is theirs
    if text is None or not text.strip():
        return Ignored("Zendesk ticket update without a comment")
    author_id = opt_id(_rendered(payload.get("author_id")), "author_id")
    role = opt_str(_rendered(payload.get("author_role")))
    if role is not None:
        customer = role.lower() in _END_USER_ROLES
    else:  # an older template without the role: the requester is the customer
        customer = author_id is not None and author_id == opt_id(_rendered(payload.get("requester_id")), "requester_id")
    author: Author = "customer" if customer else "agent"
    return HelpdeskMessage(
        # Trigger webhooks carry no event id and Zendesk may invoke one twice: the comment is the key.
        delivery_id=f"comment:{comment_id}",
        message_id=comment_id,
        ref=Ref(ticket_id),
        author=author,
        internal=not as_bool(_rendered(payload.get("comment_public")), "comment_public", default=True),
        text=text,
        channel=_channel(_rendered(payload.get("channel"))),
        agent_id=author_id if author == "agent" else None,
        locale=opt_str(_rendered(payload.get("requester_locale"))),
        tags=as_tags(_rendered(payload.get("tags"))),
    )


def _parse_event(payload: Mapping[str, Any], event_type: str) -> HelpdeskMessage | Ignored:
    if event_type not in (_MESSAGING, _COMMENT):
        return Ignored(f"Zendesk event {event_type.removeprefix(_EVENT_PREFIX)} needs no work")
    envelope_id = as_id(payload.get("id"), "id")
    detail = as_obj(payload.get("detail"), "detail")
    event = as_obj(payload.get("event"), "event")
    ticket_id = as_id(detail.get("id") or _subject_ticket(payload.get("subject")), "detail.id")
    if event_type == _MESSAGING:
        return _messaging(envelope_id, ticket_id, event)
    return _comment(envelope_id, ticket_id, detail, event)


def _subject_ticket(subject: Any) -> str | None:
    # "zen:ticket:141" names the ticket when detail lacks it
    if isinstance(subject, str) and subject.startswith("zen:ticket:"):
        return subject.removeprefix("zen:ticket:") or None
    return None


def _messaging(envelope_id: str, ticket_id: str, event: Mapping[str, Any]) -> HelpdeskMessage | Ignored:
    actor = as_obj(event.get("actor"), "event.actor")
    message = as_obj(event.get("message"), "event.message")
    message_id = as_id(message.get("id"), "event.message.id")
    actor_type = str(actor.get("type") or "").lower()
    author: Author
    if actor_type in ("user", "end-user", "end_user"):
        author = "customer"
    elif actor_type == "agent":
        author = "agent"
    else:  # "system": the answer bot and other automations
        return Ignored(f"Zendesk messaging message from {actor_type or 'an unknown actor'} (not a person)")
    text = as_text(message.get("body"), "event.message.body")
    if text is None or not text.strip():
        return Ignored("empty Zendesk messaging message")
    return HelpdeskMessage(
        delivery_id=envelope_id,
        message_id=message_id,
        ref=Ref(ticket_id),
        author=author,
        internal=False,  # messaging messages are always seen by the customer
        text=text,
        channel="chat",
        agent_id=opt_id(actor.get("id"), "event.actor.id") if author == "agent" else None,
    )


def _comment(
    envelope_id: str, ticket_id: str, detail: Mapping[str, Any], event: Mapping[str, Any]
) -> HelpdeskMessage | Ignored:
    comment = as_obj(event.get("comment"), "event.comment")
    comment_id = as_id(comment.get("id"), "event.comment.id")
    text = as_text(comment.get("body"), "event.comment.body")
    if text is None or not text.strip():
        return Ignored("empty Zendesk comment")
    author_obj = as_obj(comment.get("author"), "event.comment.author", required=False)
    author_id = opt_id(author_obj.get("id"), "event.comment.author.id")
    staff = author_obj.get("is_staff")
    if isinstance(staff, bool):
        customer = not staff
    else:
        customer = author_id is not None and author_id == opt_id(detail.get("requester_id"), "detail.requester_id")
    author: Author = "customer" if customer else "agent"
    public = comment.get("is_public", comment.get("public"))
    via = detail.get("via")
    return HelpdeskMessage(
        delivery_id=envelope_id,
        message_id=comment_id,
        ref=Ref(ticket_id),
        author=author,
        internal=not as_bool(public, "event.comment.is_public", default=True),
        text=text,
        channel=_channel(via.get("channel") if isinstance(via, Mapping) else via),
        agent_id=author_id if author == "agent" else None,
        tags=as_tags(detail.get("tags")),
    )


def _channel(value: Any) -> str | None:
    name = opt_str(value)
    return _CHANNELS.get(name.lower(), name.lower()) if name else None


class ZendeskClient(HttpClient):
    """`api_token` is either "agent@example.com/token:XYZ" (an API token: sent as basic auth, as
    Zendesk documents) or an OAuth access token (sent as a Bearer token)."""

    helpdesk = "Zendesk"

    def auth_headers(self) -> dict[str, str]:
        if "/token:" in self.api_token:
            return {"Authorization": "Basic " + base64.b64encode(self.api_token.encode()).decode()}
        return {"Authorization": f"Bearer {self.api_token}"}

    async def _comment(self, ref: Ref, text: str, *, public: bool, idempotency_key: str) -> str:
        path = f"/api/v2/tickets/{ref.conversation_id}.json"
        body = {"ticket": {"comment": {"body": text, "public": public}}}
        answer = await self.request("PUT", path, json=body, idempotency_key=idempotency_key)
        # The update answers with the audit it created; the comment is one of its events.
        audit = answer.get("audit") if isinstance(answer, Mapping) else None
        events = audit.get("events") if isinstance(audit, Mapping) else None
        for event in events if isinstance(events, list) else []:
            if isinstance(event, Mapping) and event.get("type") == "Comment" and event.get("id") is not None:
                return str(event["id"])
        raise DeliveryFailed(f"Zendesk PUT {path}: the answer names no Comment event: {answer!s:.200}", retryable=True)

    async def post_note(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        return await self._comment(ref, text, public=False, idempotency_key=idempotency_key)

    async def post_reply(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        return await self._comment(ref, text, public=True, idempotency_key=idempotency_key)

    async def find_posted(self, ref: Ref, text: str, *, since: float) -> str | None:
        # Newest first: the first page then holds anything posted in the last minutes.
        answer = await self.request(
            "GET", f"/api/v2/tickets/{ref.conversation_id}/comments.json", params={"sort_order": "desc"}
        )
        comments = answer.get("comments") if isinstance(answer, Mapping) else None
        if not isinstance(comments, list):
            return None
        return newest_match(
            (
                (c.get("id"), f"{c.get('body') or ''}\n{c.get('plain_body') or ''}", parse_time(c.get("created_at")))
                for c in comments
                if isinstance(c, Mapping)
            ),
            text,
            since,
        )
