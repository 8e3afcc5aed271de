"""A gateway of its own for the integration tests: its Redis, quick retry timings, webhook senders.

Each helpdesk's webhook is built the way that helpdesk builds it, signed with its scheme, and
POSTed over a real socket.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.embedded_redis import EmbeddedRedis, free_port
from gateway.integrations.signatures import sign
from tests.conftest import ADMIN_KEY, LiveServer
from tests.helpdesk_fixtures import FAKE_TOKENS
from tests.helpdesks import FakeHelpdesk

SECRET = "whsec-0123456789abcdef"

# Retries every few hundred ms and a dead worker's jobs claimed after 2 s, so the fault tests
# finish in seconds; the logic is the production one.
QUICK = {
    "job_backoff_first_s": 0.2,
    "job_backoff_max_s": 1.0,
    "job_max_attempts": 5,
    "job_reclaim_idle_s": 2.0,
}


def gateway_settings(redis_url: str, data_dir: Path, **over: Any):
    from gateway.settings import load_settings

    return load_settings(redis_url=redis_url, data_dir=data_dir, admin_key=ADMIN_KEY, **(QUICK | over))


def start_gateway(redis_url: str, data_dir: Path, **over: Any) -> LiveServer:
    from gateway.app import create_app

    server = LiveServer(create_app(gateway_settings(redis_url, data_dir, **over)), free_port())
    server.start()
    return server


def start_redis(data_dir: Path, *, port: int | None = None, fsync: str = "everysec") -> EmbeddedRedis:
    server = EmbeddedRedis(data_dir, port=port or free_port(), fsync=fsync)
    server.start()
    return server


def admin_client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60)


def add_integration(admin: httpx.Client, name: str, desk: FakeHelpdesk, **over: Any) -> dict:
    body = {
        "name": name,
        "kind": desk.kind,
        "base_url": desk.url,
        "api_token": FAKE_TOKENS[desk.kind],
        "webhook_secret": SECRET,
    } | over
    r = admin.post("/v1/integrations", json=body)
    assert r.status_code == 201, r.text
    return r.json()


# -- webhook bodies, as each helpdesk sends them --------------------------------------------------


def chatwoot_message(
    message_id: int, conversation: int, text: str, *, customer: bool = True, private: bool = False, account: int = 1
) -> dict:
    sender = {"id": 55, "type": "contact", "name": "Ana"} if customer else {"id": 7, "type": "user", "name": "Sam"}
    return {
        "event": "message_created",
        "id": message_id,
        "content": text,
        "content_type": "text",
        "message_type": "incoming" if customer else "outgoing",
        "private": private,
        "created_at": "2026-11-25T10:00:00.000Z",
        "sender": sender,
        "conversation": {"id": conversation, "channel": "Channel::WebWidget", "additional_attributes": {}},
        "inbox": {"id": 1, "name": "Web"},
        "account": {"id": account, "name": "Acme"},
    }


def zammad_article(article_id: int, ticket: int, text: str, *, customer: bool = True, internal: bool = False) -> dict:
    return {
        "ticket": {"id": ticket, "number": f"3100{ticket}", "title": "Order"},
        "article": {
            "id": article_id,
            "ticket_id": ticket,
            "sender": "Customer" if customer else "Agent",
            "type": "web",
            "internal": internal,
            "content_type": "text/plain",
            "body": text,
            "created_by_id": 3 if customer else 9,
        },
    }


def zendesk_trigger(comment_id: int, ticket: int, text: str, *, customer: bool = True, public: bool = True) -> dict:
    return {
        "ticket_id": str(ticket),
        "comment_id": str(comment_id),
        "comment": text,
        "comment_public": "true" if public else "false",
        "author_id": "501" if customer else "900",
        "author_role": "end-user" if customer else "agent",
        "requester_id": "501",
        "requester_locale": "",
        "channel": "web",
        "tags": "",
    }


def generic_event(
    event_id: str, conversation: str, text: str, *, customer: bool = True, internal: bool = False
) -> dict:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "message_id": event_id,
        "author": "customer" if customer else "agent",
        "text": text,
        "internal": internal,
    }


@dataclass
class Sender:
    """POSTs signed webhooks to one integration."""

    base_url: str
    name: str
    kind: str
    secret: str = SECRET

    def raw(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(f"{self.base_url}/v1/webhooks/{self.name}", content=body, headers=headers or {}, timeout=30)

    def send(self, payload: dict, *, now: float | None = None, extra: dict[str, str] | None = None) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = sign(self.kind, body, self.secret, time.time() if now is None else now)
        headers["Content-Type"] = "application/json"
        return self.raw(body, headers | (extra or {}))


def wait_for(check: Callable[[], bool], timeout_s: float = 60.0, what: str = "condition") -> None:
    """Poll until `check()` holds; behaviour is what is tested, the timeout only bounds the test."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
