"""Zammad: trigger webhooks with the default `{ticket, article}` body in, ticket articles out.

Webhook fields used: `ticket.id`, `ticket.tags` (when the payload has them),
`ticket.customer.preferences.locale` (when present), `article.id`, `article.sender`
("Customer"/"Agent"/"System"; `sender_id` 2/1/3 where only the id is sent), `article.internal`,
`article.body`, `article.content_type`, `article.type` (the channel: "email", "phone", "web",
"note", "chat"...), `article.created_by_id`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from gateway.integrations.adapters._common import (
    as_bool,
    as_id,
    as_obj,
    as_tags,
    as_text,
    header,
    malformed,
    opt_id,
    opt_str,
)
from gateway.integrations.adapters._http import DEFAULT_TIMEOUT_S, HttpClient, newest_match, parse_time
from gateway.integrations.base import Author, DeliveryFailed, HelpdeskMessage, Ignored, Ref

DELIVERY_HEADER = "X-Zammad-Delivery"
# Zammad's seeded ticket_article_senders: 1 Agent, 2 Customer, 3 System.
_SENDER_IDS = {1: "Agent", 2: "Customer", 3: "System"}
_TAG = re.compile(r"<[^>]+>")


def parse(payload: Mapping[str, Any], headers: Mapping[str, str]) -> HelpdeskMessage | Ignored:
    payload = as_obj(payload, "the body")
    ticket = as_obj(payload.get("ticket"), "ticket")
    ticket_id = as_id(ticket.get("id"), "ticket.id")
    article = as_obj(payload.get("article"), "article", required=False)
    if not article:
        return Ignored("Zammad trigger without an article (a ticket change, no message)")
    article_id = as_id(article.get("id"), "article.id")

    sender = article.get("sender")
    if sender is None:
        sender = _SENDER_IDS.get(article.get("sender_id"))
    if not isinstance(sender, str):
        raise malformed("article.sender must be Customer, Agent or System")
    author: Author
    if sender == "Customer":
        author = "customer"
    elif sender == "Agent":
        author = "agent"
    elif sender == "System":
        return Ignored("Zammad System article (auto-replies, notifications)")
    else:
        raise malformed(f"article.sender must be Customer, Agent or System, got {sender!r:.40}")

    body = as_text(article.get("body"), "article.body")
    html = article.get("content_type") == "text/html"
    if body is None or not (_TAG.sub("", body) if html else body).strip():
        return Ignored("empty Zammad article")
    agent_id = None
    if author == "agent":
        agent_id = opt_id(article.get("created_by_id"), "article.created_by_id") or opt_id(
            article.get("updated_by_id"), "article.updated_by_id"
        )
    delivery = header(headers, DELIVERY_HEADER)
    return HelpdeskMessage(
        delivery_id=delivery or f"article:{article_id}",
        message_id=article_id,
        ref=Ref(ticket_id),
        author=author,
        internal=as_bool(article.get("internal"), "article.internal", default=False),
        text=body,
        fmt="html" if html else "text",
        channel=opt_str(article.get("type")),
        agent_id=agent_id,
        locale=_locale(ticket),
        tags=as_tags(ticket.get("tags")),
    )


def _locale(ticket: Mapping[str, Any]) -> str | None:
    customer = ticket.get("customer")
    preferences = customer.get("preferences") if isinstance(customer, Mapping) else None
    return opt_str(preferences.get("locale")) if isinstance(preferences, Mapping) else None


class ZammadClient(HttpClient):
    """`api_token` is a Zammad access token (Profile → Token Access) with ticket.agent permission.

    Notes are `type: "note", internal: true` articles. Replies are articles with `internal: false`
    of type `reply_type`, "note" by default: the customer sees it in the Zammad web portal, but
    it is not mailed. Mailing it takes `type: "email"` plus a `to` address, which this client
    does not fill in yet.
    """

    helpdesk = "Zammad"

    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        http: httpx.AsyncClient | None = None,
        reply_type: str = "note",
    ) -> None:
        super().__init__(base_url, api_token, timeout_s=timeout_s, http=http)
        self.reply_type = reply_type

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token token={self.api_token}"}

    async def _post(self, ref: Ref, text: str, *, internal: bool, article_type: str, idempotency_key: str) -> str:
        body = {
            "ticket_id": int(ref.conversation_id) if ref.conversation_id.isdigit() else ref.conversation_id,
            "body": text,
            "content_type": "text/plain",
            "type": article_type,
            "internal": internal,
        }
        answer = await self.request("POST", "/api/v1/ticket_articles", json=body, idempotency_key=idempotency_key)
        if isinstance(answer, Mapping) and answer.get("id") is not None:
            return str(answer["id"])
        raise DeliveryFailed(
            f"Zammad POST /api/v1/ticket_articles: the answer has no article id: {answer!s:.200}", retryable=True
        )

    async def post_note(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        return await self._post(ref, text, internal=True, article_type="note", idempotency_key=idempotency_key)

    async def post_reply(self, ref: Ref, text: str, *, idempotency_key: str) -> str:
        return await self._post(
            ref, text, internal=False, article_type=self.reply_type, idempotency_key=idempotency_key
        )

    async def find_posted(self, ref: Ref, text: str, *, since: float) -> str | None:
        answer = await self.request("GET", f"/api/v1/ticket_articles/by_ticket/{ref.conversation_id}")
        if not isinstance(answer, list):
            return None
        articles = (a for a in answer if isinstance(a, Mapping) and a.get("sender") != "Customer")
        return newest_match(
            ((a.get("id"), a.get("body"), parse_time(a.get("created_at"))) for a in articles), text, since
        )
