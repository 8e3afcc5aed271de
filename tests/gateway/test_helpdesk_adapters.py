"""Helpdesk adapters: the helpdesks' published payloads parsed, and clients against fake helpdesks
that are real HTTP servers (tests/helpdesks.py)."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from gateway.integrations.adapters import ADAPTERS, client_for, parser_for
from gateway.integrations.adapters._http import retry_after
from gateway.integrations.adapters.zammad import ZammadClient
from gateway.integrations.adapters.zendesk import TRIGGER_TEMPLATE
from gateway.integrations.base import (
    KINDS,
    DeliveryFailed,
    HelpdeskClient,
    HelpdeskMessage,
    Ignored,
    Ref,
    WebhookRejected,
)
from tests.helpdesk_fixtures import (  # noqa: F401 (fixtures, registered by import)
    FAKE_TOKENS,
    fake_helpdesks_fixture,
    helpdesks_fixture,
    new_fake_helpdesk_fixture,
)
from tests.helpdesk_samples import sample
from tests.helpdesks import FakeHelpdesk


def parse(kind: str, payload: Any, headers: dict[str, str] | None = None) -> HelpdeskMessage | Ignored:
    return parser_for(kind)(payload, headers or {})


def message(kind: str, payload: Any, headers: dict[str, str] | None = None) -> HelpdeskMessage:
    parsed = parse(kind, payload, headers)
    assert isinstance(parsed, HelpdeskMessage), parsed
    return parsed


def ignored(kind: str, payload: Any) -> str:
    parsed = parse(kind, payload)
    assert isinstance(parsed, Ignored), parsed
    return parsed.reason


def malformed(kind: str, payload: Any) -> str:
    with pytest.raises(WebhookRejected) as info:
        parse(kind, payload)
    assert info.value.status == 422
    return info.value.message


def test_every_kind_has_an_adapter() -> None:
    assert sorted(ADAPTERS) == sorted(KINDS)
    with pytest.raises(ValueError, match="unknown helpdesk kind"):
        parser_for("freshdesk")


# --- Chatwoot -------------------------------------------------------------------------------


def chatwoot_message(**changes: Any) -> dict[str, Any]:
    """A current message_created payload (Message#webhook_data), built from the documented fields."""
    payload: dict[str, Any] = {
        "event": "message_created",
        "id": 9001,
        "content": "Olá, o meu pedido não chegou",
        "created_at": "2026-11-25T18:00:00.000Z",
        "message_type": "incoming",
        "private": False,
        "source_id": None,
        "content_type": "text",
        "content_attributes": {},
        "sender": {"id": 77, "name": "Ana", "type": "contact", "additional_attributes": {}},
        "account": {"id": 3, "name": "Acme"},
        "conversation": {
            "id": 42,
            "inbox_id": 1,
            "channel": "Channel::WebWidget",
            "labels": ["vip", "billing"],
            "additional_attributes": {"browser_language": "pt-BR", "referer": "https://acme.example/help"},
        },
        "inbox": {"id": 1, "name": "Website"},
    }
    payload.update(changes)
    return payload


def test_chatwoot_published_sample() -> None:
    parsed = message("chatwoot", sample("chatwoot/message_created_sample_repo_docs.jsonc"))
    assert parsed == HelpdeskMessage(
        delivery_id="message:1",
        message_id="1",
        ref=Ref("1", "1"),  # conversation.display_id, account.id
        author="customer",
        internal=False,
        text="Hi",
    )


def test_chatwoot_payload_used_here_has_the_documented_fields() -> None:
    documented = sample("chatwoot/message_object_schema_docs.jsonc")
    assert set(documented) <= set(chatwoot_message())
    assert documented["sender"]["type"] == "string - contact/user"


def test_chatwoot_customer_message() -> None:
    parsed = message("chatwoot", chatwoot_message(), {"X-Chatwoot-Delivery": "dlv-1"})
    assert parsed.delivery_id == "dlv-1"
    assert (parsed.message_id, parsed.ref, parsed.author, parsed.internal) == (
        "9001",
        Ref("42", "3"),
        "customer",
        False,
    )
    assert (parsed.channel, parsed.locale, parsed.tags, parsed.agent_id) == ("chat", "pt-BR", ("vip", "billing"), None)
    assert parsed.text == "Olá, o meu pedido não chegou" and parsed.fmt == "text"
    assert parsed.ref.key == "3:42"


def test_chatwoot_agent_private_note() -> None:
    payload = chatwoot_message(
        message_type="outgoing", private=True, content="Check the courier", sender={"id": 5, "type": "user"}
    )
    payload["conversation"]["channel"] = "Channel::Email"
    parsed = message("chatwoot", payload)
    assert (parsed.author, parsed.internal, parsed.agent_id, parsed.channel) == ("agent", True, "5", "email")
    assert parsed.locale == "pt-BR"  # the customer's, whoever wrote this message
    assert parsed.delivery_id == "message:9001"


def test_chatwoot_enum_numbers_and_nested_message() -> None:
    assert message("chatwoot", chatwoot_message(message_type=0)).author == "customer"
    assert message("chatwoot", chatwoot_message(message_type=1, sender={"id": 5, "type": "user"})).author == "agent"
    inner = chatwoot_message()
    del inner["event"]
    nested = {"event": "message_created", "message": inner}
    assert message("chatwoot", nested).message_id == "9001"


def test_chatwoot_locale_from_the_contact_when_the_conversation_has_none() -> None:
    payload = chatwoot_message(
        sender={"id": 77, "type": "contact", "additional_attributes": {"browser_language": "de"}}
    )
    payload["conversation"]["additional_attributes"] = {}
    assert message("chatwoot", payload).locale == "de"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"event": "conversation_created"}, "conversation_created"),
        ({"event": "message_updated"}, "message_updated"),
        ({"message_type": "activity", "content": "Conversation was resolved"}, "activity"),
        ({"message_type": 3}, "template"),
        ({"content": "   "}, "empty"),
        ({"content": None}, "empty"),
        ({"content_type": "input_select"}, "not text"),
        ({"message_type": "outgoing", "sender": {"id": 1, "type": "agent_bot"}}, "bot"),
        ({"message_type": "outgoing", "sender": None}, "without a sender"),
    ],
)
def test_chatwoot_events_needing_no_work(changes: dict[str, Any], reason: str) -> None:
    assert reason in ignored("chatwoot", chatwoot_message(**changes))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"id": None}, "missing id"),
        ({"id": [1]}, "id must be an id"),
        ({"id": True}, "id must be an id, got a boolean"),
        ({"conversation": None}, "conversation must be an object"),
        ({"conversation": {"channel": "Channel::Api"}}, "missing conversation.id"),
        ({"account": None}, "missing account.id"),
        ({"message_type": "sideways"}, "message_type must be"),
        ({"message_type": None}, "missing message_type"),
        ({"private": "maybe"}, "private must be true or false"),
        ({"content": 12}, "content must be a string"),
        ({"event": None}, "missing event"),
    ],
)
def test_chatwoot_malformed(changes: dict[str, Any], problem: str) -> None:
    assert problem in malformed("chatwoot", chatwoot_message(**changes))


def test_chatwoot_body_must_be_an_object() -> None:
    assert "the body must be an object" in malformed("chatwoot", [chatwoot_message()])


# --- Zammad ---------------------------------------------------------------------------------


def zammad_payload(**article_changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(sample("zammad/webhook_default_payload_admin_docs.json"))
    payload["article"].update(article_changes)
    return payload


def test_zammad_published_default_payload() -> None:
    parsed = message("zammad", sample("zammad/webhook_default_payload_admin_docs.json"))
    assert (parsed.delivery_id, parsed.message_id, parsed.ref) == ("article:104", "104", Ref("81"))
    assert (parsed.author, parsed.internal, parsed.fmt, parsed.channel) == ("customer", False, "html", "phone")
    assert parsed.text.startswith("This is a simple Webhook Test.<div>")
    assert parsed.agent_id is None and parsed.locale is None and parsed.tags == ()


def test_zammad_delivery_header_wins() -> None:
    assert message("zammad", zammad_payload(), {"x-zammad-delivery": "d-77"}).delivery_id == "d-77"


def test_zammad_published_articles_parse_as_webhook_articles() -> None:
    customer, agent = sample("zammad/api_ticket_articles_by_ticket_response.json")
    first = message("zammad", {"ticket": {"id": 5}, "article": customer})
    assert (first.author, first.channel, first.fmt, first.ref) == ("customer", "email", "html", Ref("5"))
    second = message("zammad", {"ticket": {"id": 5}, "article": agent})
    assert (second.author, second.agent_id, second.internal) == ("agent", "5", False)


def test_zammad_agent_internal_note() -> None:
    note = sample("zammad/api_create_article_internal_note_response.json")
    parsed = message("zammad", {"ticket": {"id": 5, "tags": ["vip"]}, "article": note})
    assert (parsed.author, parsed.internal, parsed.agent_id, parsed.channel) == ("agent", True, "3", "note")
    assert (parsed.fmt, parsed.text, parsed.tags) == ("text", "Please see attached file...", ("vip",))


def test_zammad_sender_id_and_customer_locale() -> None:
    payload = zammad_payload(sender=None, sender_id=1, created_by_id=None, updated_by_id=9)
    payload["ticket"]["customer"]["preferences"] = {"locale": "fr-fr"}
    parsed = message("zammad", payload)
    assert (parsed.author, parsed.agent_id, parsed.locale) == ("agent", "9", "fr-fr")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (zammad_payload(sender="System"), "System"),
        ({"ticket": {"id": 81}}, "without an article"),
        ({"ticket": {"id": 81}, "article": {}}, "without an article"),
        (zammad_payload(body="<div><br></div>"), "empty"),
        (zammad_payload(body=None), "empty"),
    ],
)
def test_zammad_needing_no_work(payload: dict[str, Any], reason: str) -> None:
    assert reason in ignored("zammad", payload)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"article": {"id": 1}}, "ticket must be an object"),
        ({"ticket": {}, "article": {"id": 1}}, "missing ticket.id"),
        (zammad_payload(id=None), "missing article.id"),
        (zammad_payload(sender="Robot"), "article.sender must be Customer, Agent or System"),
        (zammad_payload(sender=None, sender_id=None), "article.sender must be"),
        (zammad_payload(internal="yes"), "article.internal must be true or false"),
        (zammad_payload(body={"html": "x"}), "article.body must be a string"),
    ],
)
def test_zammad_malformed(payload: dict[str, Any], problem: str) -> None:
    assert problem in malformed("zammad", payload)


# --- Zendesk --------------------------------------------------------------------------------


def messaging_event(actor_type: str, actor_id: str = "u-1") -> dict[str, Any]:
    payload = copy.deepcopy(sample("zendesk/messaging_ticket_message_added_event.json"))
    payload["event"]["actor"].update(type=actor_type, id=actor_id)
    return payload


def trigger_body(**values: str) -> dict[str, Any]:
    """What Zendesk sends for our template: every placeholder rendered as a JSON string."""
    template = TRIGGER_TEMPLATE.read_text(encoding="utf-8")
    defaults = {
        "ticket.id": "141",
        "ticket.latest_comment.id": "5001",
        "ticket.latest_comment.value": 'Mi pedido "urgente" no llegó',
        "ticket.latest_comment.is_public": "true",
        "ticket.latest_comment.author.id": "900",
        "current_user.role": "End-user",
        "ticket.requester.id": "900",
        "ticket.requester.locale": "es",
        "ticket.via": "Mail",
        "ticket.tags": "vip billing",
    }
    for placeholder, value in {**defaults, **values}.items():
        template = template.replace("{{" + placeholder + "}}", json.dumps(value)[1:-1])
    return json.loads(template)


def test_zendesk_published_messaging_event_from_the_answer_bot_is_ignored() -> None:
    assert "system" in ignored("zendesk", sample("zendesk/messaging_ticket_message_added_event.json"))


def test_zendesk_messaging_event_from_the_customer_and_an_agent() -> None:
    customer = message("zendesk", messaging_event("user"))
    assert (customer.delivery_id, customer.message_id) == ("01JQMQH83YNAKWSWJ8B1QH2NSC", "67ab5f55155becd183e284cb")
    assert (customer.ref, customer.author, customer.internal, customer.channel) == (
        Ref("141"),
        "customer",
        False,
        "chat",
    )
    assert customer.text == "Hi there. How can I help you today?" and customer.agent_id is None
    agent = message("zendesk", messaging_event("agent", "42"))
    assert (agent.author, agent.agent_id) == ("agent", "42")


def test_zendesk_messaging_event_takes_the_ticket_from_the_subject_when_detail_lacks_it() -> None:
    payload = messaging_event("user")
    payload["detail"] = {}
    assert message("zendesk", payload).ref == Ref("141")


def test_zendesk_comment_added_event() -> None:
    payload = {
        "id": "01JCOMMENT",
        "type": "zen:event-type:ticket.comment_added",
        "subject": "zen:ticket:77",
        "detail": {"id": "77", "requester_id": "900", "via": {"channel": "email"}, "tags": ["vip"]},
        "event": {
            "comment": {
                "id": "311",
                "body": "Internal: refund it",
                "is_public": False,
                "author": {"id": "12", "is_staff": True},
            }
        },
    }
    parsed = message("zendesk", payload)
    assert (parsed.delivery_id, parsed.message_id, parsed.ref) == ("01JCOMMENT", "311", Ref("77"))
    assert (parsed.author, parsed.internal, parsed.agent_id, parsed.channel, parsed.tags) == (
        "agent",
        True,
        "12",
        "email",
        ("vip",),
    )
    payload["event"]["comment"].update(is_public=True, author={"id": "900"})  # no is_staff: the requester
    assert message("zendesk", payload).author == "customer"


def test_zendesk_trigger_template_is_ready_to_paste() -> None:
    template = json.loads(TRIGGER_TEMPLATE.read_text(encoding="utf-8"))
    assert all(v.startswith("{{") and v.endswith("}}") for v in template.values())
    assert {"ticket_id", "comment_id", "comment", "comment_public", "author_role"} <= set(template)


def test_zendesk_trigger_customer_comment() -> None:
    parsed = message("zendesk", trigger_body())
    assert (parsed.delivery_id, parsed.message_id, parsed.ref) == ("comment:5001", "5001", Ref("141"))
    assert (parsed.author, parsed.internal, parsed.agent_id) == ("customer", False, None)
    assert (parsed.text, parsed.locale, parsed.channel, parsed.tags) == (
        'Mi pedido "urgente" no llegó',
        "es",
        "email",
        ("vip", "billing"),
    )


def test_zendesk_trigger_agent_private_note() -> None:
    body = trigger_body(
        **{
            "current_user.role": "Agent",
            "ticket.latest_comment.is_public": "false",
            "ticket.latest_comment.author.id": "12",
        }
    )
    parsed = message("zendesk", body)
    assert (parsed.author, parsed.internal, parsed.agent_id) == ("agent", True, "12")


def test_zendesk_trigger_without_the_role_compares_with_the_requester() -> None:
    body = trigger_body()
    del body["author_role"]
    assert message("zendesk", body).author == "customer"
    body["author_id"] = "12"
    assert message("zendesk", body).author == "agent"


def test_zendesk_unfilled_placeholders_count_as_absent() -> None:
    body = trigger_body(**{"ticket.requester.locale": "", "ticket.tags": ""})
    body["channel"] = "{{ticket.via}}"  # mistyped placeholders arrive verbatim
    parsed = message("zendesk", body)
    assert (parsed.locale, parsed.tags, parsed.channel) == (None, (), None)


def test_zendesk_needing_no_work() -> None:
    assert "user.created" in ignored("zendesk", {"id": "x", "type": "zen:event-type:user.created", "detail": {}})
    assert "without a comment" in ignored("zendesk", trigger_body(**{"ticket.latest_comment.value": ""}))


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"hello": "world"}, "neither a Zendesk event"),
        (trigger_body(**{"ticket.latest_comment.id": ""}), "missing comment_id"),
        (trigger_body(**{"ticket.latest_comment.is_public": "maybe"}), "comment_public must be true or false"),
        ({**messaging_event("user"), "event": "text"}, "event must be an object"),
        ({**messaging_event("user"), "id": None}, "missing id"),
    ],
)
def test_zendesk_malformed(payload: dict[str, Any], problem: str) -> None:
    assert problem in malformed("zendesk", payload)


# --- Generic --------------------------------------------------------------------------------


def test_generic_full_and_minimal() -> None:
    full = {
        "event_id": "evt-1",
        "conversation_id": 42,
        "message_id": "m-7",
        "author": "agent",
        "text": "<p>Hallo</p>",
        "format": "html",
        "internal": True,
        "locale": "de-DE",
        "agent_id": "u-3",
        "channel": "chat",
        "tags": ["vip"],
    }
    parsed = message("generic", full)
    assert parsed == HelpdeskMessage(
        delivery_id="evt-1",
        message_id="m-7",
        ref=Ref("42"),
        author="agent",
        internal=True,
        text="<p>Hallo</p>",
        fmt="html",
        channel="chat",
        agent_id="u-3",
        locale="de-DE",
        tags=("vip",),
    )
    minimal = {"event_id": "e", "conversation_id": "c", "message_id": "m", "author": "customer", "text": "hi"}
    parsed = message("generic", minimal)
    assert (parsed.fmt, parsed.internal, parsed.locale, parsed.agent_id) == ("text", False, None, None)


def test_generic_validation_lists_every_field() -> None:
    problem = malformed("generic", {"event_id": "e", "author": "bot", "text": 5, "internal": "perhaps"})
    for field in ("conversation_id", "message_id", "author", "text", "internal"):
        assert field in problem
    assert "'customer' or 'agent'" in problem


def test_generic_empty_text_needs_no_work() -> None:
    payload = {"event_id": "e", "conversation_id": "c", "message_id": "m", "author": "customer", "text": "  "}
    assert "empty" in ignored("generic", payload)


# --- Clients, against the fake helpdesks (real HTTP servers) --------------------------------

REFS = {"chatwoot": Ref("42", "3"), "zammad": Ref("77"), "zendesk": Ref("77"), "generic": Ref("77")}
LISTS = {"chatwoot": True, "zammad": True, "zendesk": True, "generic": False}


def client(kind: str, desk: FakeHelpdesk, token: str | None = None, **kw: Any) -> HelpdeskClient:
    return client_for(kind, desk.url, FAKE_TOKENS[kind] if token is None else token, **kw)


async def failure(call: Awaitable[Any]) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as info:
        await call
    return info.value


@pytest.mark.parametrize("kind", KINDS)
async def test_note_and_reply_land_with_the_right_flags(kind: str, helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk, ref = helpdesks[kind], REFS[kind]
    c = client(kind, desk)
    try:
        note_id = await c.post_note(ref, "Nota: el cliente pide reembolso", idempotency_key="job-1:note")
        reply_id = await c.post_reply(ref, "We are on it!", idempotency_key="job-2:reply")
    finally:
        await c.aclose()
    note, reply = desk.messages(ref.conversation_id)
    assert (note.text, note.internal, str(note.id)) == ("Nota: el cliente pide reembolso", True, note_id)
    assert (reply.text, reply.internal, str(reply.id)) == ("We are on it!", False, reply_id)
    assert [r.headers["idempotency-key"] for r in desk.requests] == ["job-1:note", "job-2:reply"]
    assert {r.headers["user-agent"] for r in desk.requests} == {"Tonegate/0.1"}
    assert {r.status for r in desk.requests} <= {200, 201}


async def test_chatwoot_request_shape(helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["chatwoot"]
    c = client("chatwoot", desk)
    await c.post_note(Ref("42", "3"), "hola", idempotency_key="k")
    await c.aclose()
    (request,) = desk.requests
    assert (request.method, request.path) == ("POST", "/api/v1/accounts/3/conversations/42/messages")
    assert request.headers["api_access_token"] == FAKE_TOKENS["chatwoot"]
    assert request.json == {"content": "hola", "message_type": "outgoing", "private": True}
    assert desk.messages()[0].account_id == "3"


async def test_zammad_request_shape(helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["zammad"]
    c = client("zammad", desk)
    await c.post_note(Ref("77"), "nota", idempotency_key="k1")
    await c.post_reply(Ref("77"), "reply", idempotency_key="k2")
    await c.aclose()
    note, reply = desk.requests
    assert (note.method, note.path) == ("POST", "/api/v1/ticket_articles")
    assert note.headers["authorization"] == f"Token token={FAKE_TOKENS['zammad']}"
    published = sample("zammad/api_create_article_internal_note_request.json")
    assert note.json == {k: published[k] for k in ("content_type", "type", "internal")} | {
        "ticket_id": 77,
        "body": "nota",
    }
    assert reply.json == {
        "ticket_id": 77,
        "body": "reply",
        "content_type": "text/plain",
        "type": "note",
        "internal": False,
    }


async def test_zammad_reply_type_is_configurable(helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["zammad"]
    c = client_for("zammad", desk.url, FAKE_TOKENS["zammad"], reply_type="web")
    await c.post_reply(Ref("77"), "reply", idempotency_key="k")
    await c.aclose()
    assert desk.messages()[0].article_type == "web"


async def test_zendesk_request_shape_and_both_auth_forms(
    helpdesks: dict[str, FakeHelpdesk], new_fake_helpdesk: Callable[..., FakeHelpdesk]
) -> None:
    desk = helpdesks["zendesk"]
    c = client("zendesk", desk)
    await c.post_note(Ref("77"), "internal", idempotency_key="k")
    await c.aclose()
    (request,) = desk.requests
    assert (request.method, request.path) == ("PUT", "/api/v2/tickets/77.json")
    published = sample("zendesk/api_update_ticket_add_comment_request.json")
    assert request.json["ticket"]["comment"]["body"] == "internal"
    assert set(request.json) == set(published) and set(request.json["ticket"]) == set(published["ticket"])
    assert request.json["ticket"]["comment"]["public"] is False
    basic = base64.b64encode(FAKE_TOKENS["zendesk"].encode()).decode()
    assert request.headers["authorization"] == f"Basic {basic}"

    oauth = new_fake_helpdesk("zendesk", token="oauth-access-token")
    c = client("zendesk", oauth, token="oauth-access-token")
    await c.post_reply(Ref("5"), "public", idempotency_key="k")
    await c.aclose()
    assert oauth.requests[0].headers["authorization"] == "Bearer oauth-access-token"
    assert oauth.messages("5")[0].internal is False


async def test_generic_request_shape_and_idempotency(helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["generic"]
    c = client("generic", desk)
    first = await c.post_note(Ref("C-1"), "hola", idempotency_key="job-9")
    again = await c.post_note(Ref("C-1"), "hola", idempotency_key="job-9")
    assert await c.find_posted(Ref("C-1"), "hola", since=0) is None  # no list endpoint
    await c.aclose()
    assert first == again and len(desk.messages()) == 1
    assert desk.requests[0].json == {
        "type": "note",
        "conversation_id": "C-1",
        "text": "hola",
        "idempotency_key": "job-9",
    }
    assert desk.requests[0].headers["authorization"] == f"Bearer {FAKE_TOKENS['generic']}"


@pytest.mark.parametrize("kind", [k for k in KINDS if LISTS[k]])
async def test_find_posted_finds_what_was_posted_since(kind: str, helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk, ref = helpdesks[kind], REFS[kind]
    text = "Traducción: el paquete llega el martes"
    started = time.time()
    # The same words an hour ago (an earlier translation) must not count.
    desk.add_message(
        ref.conversation_id, f"[auto] {text}", internal=True, created_at=started - 3600, account_id=ref.account_id
    )
    c = client(kind, desk)
    try:
        assert await c.find_posted(ref, text, since=started) is None
        posted = await c.post_note(ref, f"[auto]  {text}\n", idempotency_key="k")  # whitespace differs
        assert await c.find_posted(ref, text, since=started) == posted
        assert await c.find_posted(ref, "something never posted", since=started) is None
        assert await c.find_posted(ref, text, since=time.time() + 60) is None
        # Other conversations are not searched.
        other = Ref("999", ref.account_id)
        assert await c.find_posted(other, text, since=started) is None
    finally:
        await c.aclose()
    assert all(r.method in ("GET", "POST", "PUT") for r in desk.requests)


@pytest.mark.parametrize("kind", KINDS)
async def test_wrong_token_is_not_retryable(kind: str, helpdesks: dict[str, FakeHelpdesk]) -> None:
    c = client(kind, helpdesks[kind], token="wrong/token:nope" if kind == "zendesk" else "wrong")
    error = await failure(c.post_note(REFS[kind], "x", idempotency_key="k"))
    await c.aclose()
    assert not error.retryable and error.retry_after_s is None
    assert "answered 401" in error.message and "sign in" in error.message  # the start of the body
    assert error.message.startswith(c.helpdesk)  # type: ignore[attr-defined]
    assert helpdesks[kind].messages() == []


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_client_errors_are_not_retryable(status: int, helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["zammad"]
    desk.fail_with(status, body='{"error": "Ticket not found"}')
    c = client("zammad", desk)
    error = await failure(c.post_note(Ref("77"), "x", idempotency_key="k"))
    await c.aclose()
    assert not error.retryable
    assert error.message == f'Zammad POST /api/v1/ticket_articles answered {status}: {{"error": "Ticket not found"}}'


@pytest.mark.parametrize("kind", KINDS)
async def test_server_errors_are_retryable_and_recover(kind: str, helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks[kind]
    desk.down()
    c = client(kind, desk)
    try:
        error = await failure(c.post_note(REFS[kind], "x", idempotency_key="k"))
        assert error.retryable and "answered 503" in error.message and error.retry_after_s is None
        desk.up()
        await c.post_note(REFS[kind], "x", idempotency_key="k")
    finally:
        await c.aclose()
    assert [r.status for r in desk.requests] == [503, 201 if kind in ("zammad", "generic") else 200]
    assert len(desk.messages()) == 1


async def test_connection_refused_is_retryable_and_the_same_port_comes_back(helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["chatwoot"]
    c = client("chatwoot", desk)
    try:
        await c.post_note(Ref("42", "3"), "before", idempotency_key="k1")  # leaves a pooled connection
        desk.stop()
        error = await failure(c.post_note(Ref("42", "3"), "while down", idempotency_key="k2"))
        assert error.retryable and error.message.startswith(
            "Chatwoot POST /api/v1/accounts/3/conversations/42/messages"
        )
        error = await failure(c.find_posted(Ref("42", "3"), "before", since=0))
        assert error.retryable
        desk.start()
        await c.post_note(Ref("42", "3"), "after", idempotency_key="k3")
    finally:
        await c.aclose()
    assert [m.text for m in desk.messages()] == ["before", "after"]


async def test_429_retry_after_seconds_and_http_date(helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["zendesk"]
    c = client("zendesk", desk)
    try:
        desk.fail_with(429, times=1, retry_after="7")
        error = await failure(c.post_note(Ref("77"), "x", idempotency_key="k"))
        assert (error.retryable, error.retry_after_s) == (True, 7.0)
        assert "Zendesk PUT /api/v2/tickets/77.json answered 429" in error.message

        desk.fail_with(429, times=1, retry_after=formatdate(time.time() + 120, usegmt=True))
        error = await failure(c.post_note(Ref("77"), "x", idempotency_key="k"))
        assert error.retryable and error.retry_after_s is not None and 100 < error.retry_after_s <= 121

        await c.post_note(Ref("77"), "x", idempotency_key="k")  # times=1: the fault is over
    finally:
        await c.aclose()
    assert desk.hits == 3 and len(desk.messages()) == 1


async def test_slow_helpdesk_times_out_as_retryable(helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["generic"]
    desk.slow(1.0)
    c = client("generic", desk, timeout_s=0.2)
    error = await failure(c.post_reply(Ref("C"), "x", idempotency_key="k"))
    await c.aclose()
    assert error.retryable and "no answer within 0.2 s" in error.message


async def test_redirect_means_a_wrong_base_url(new_fake_helpdesk: Callable[..., FakeHelpdesk]) -> None:
    desk = new_fake_helpdesk("zammad")
    desk.fail_with(301)
    c = ZammadClient(desk.url, "test-token")
    error = await failure(c.post_note(Ref("1"), "x", idempotency_key="k"))
    await c.aclose()
    assert not error.retryable and "set base_url" in error.message


async def test_chatwoot_needs_the_account(helpdesks: dict[str, FakeHelpdesk]) -> None:
    c = client("chatwoot", helpdesks["chatwoot"])
    error = await failure(c.post_note(Ref("42"), "x", idempotency_key="k"))
    await c.aclose()
    assert not error.retryable and "no account id" in error.message
    assert helpdesks["chatwoot"].hits == 0


async def test_a_shared_http_client_stays_open(helpdesks: dict[str, FakeHelpdesk]) -> None:
    async with httpx.AsyncClient() as shared:
        for kind in KINDS:
            c = client_for(kind, helpdesks[kind].url, FAKE_TOKENS[kind], shared)
            await c.post_note(REFS[kind], "x", idempotency_key="k")
            await c.aclose()
        assert not shared.is_closed
    assert all(len(helpdesks[kind].messages()) == 1 for kind in KINDS)


def test_retry_after_forms() -> None:
    assert retry_after("30") == 30.0
    assert retry_after("Wed, 25 Nov 2026 18:02:00 GMT", now=1795629600.0) == 120.0
    assert retry_after("Wed, 25 Nov 2026 17:00:00 GMT", now=1795629600.0) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


async def test_concurrent_posts_each_land_once(helpdesks: dict[str, FakeHelpdesk]) -> None:
    desk = helpdesks["zammad"]
    c = client("zammad", desk)
    ids = await asyncio.gather(*(c.post_note(Ref("77"), f"note {i}", idempotency_key=f"k{i}") for i in range(20)))
    await c.aclose()
    assert len(set(ids)) == 20
    assert sorted(m.text for m in desk.messages("77")) == sorted(f"note {i}" for i in range(20))
