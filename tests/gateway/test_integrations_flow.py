"""Helpdesk integrations end to end: real gateway, real Redis, real Apertium, fake helpdesks as real
HTTP servers. A customer message becomes an internal note; an agent's marked note becomes a
translated public reply or a review item that is posted once approved; bad webhooks are refused
and queue nothing; replays and our own notes are not processed again; failed posts are retried
and dead-lettered."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from gateway.queues import JOBS
from tests.helpdesk_fixtures import fake_helpdesks_fixture, helpdesks_fixture  # noqa: F401 (pytest fixtures)
from tests.helpdesks import FakeHelpdesk
from tests.integration_stack import (
    Sender,
    add_integration,
    admin_client,
    chatwoot_message,
    generic_event,
    start_gateway,
    start_redis,
    wait_for,
    zammad_article,
    zendesk_trigger,
)

_ids = itertools.count(9401)
SPANISH = "Hola, mi pedido no ha llegado todavía y necesito ayuda."


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_helpdesks: dict[str, FakeHelpdesk]) -> Iterator[dict]:
    store = start_redis(tmp_path_factory.mktemp("integrations-redis"))
    gateway = start_gateway(store.url, tmp_path_factory.mktemp("integrations-data"), workers=1)
    admin = admin_client(gateway.url)
    for kind, desk in fake_helpdesks.items():
        add_integration(admin, kind, desk)
    yield {"gateway": gateway, "admin": admin, "redis": redis.Redis.from_url(store.url), "desks": fake_helpdesks}
    admin.close()
    gateway.stop()
    store.stop()


def sender(stack: dict, kind: str, name: str | None = None) -> Sender:
    return Sender(stack["gateway"].url, name or kind, kind)


def health(stack: dict, name: str) -> dict:
    return stack["admin"].get(f"/v1/integrations/{name}").json()["health"]


@pytest.mark.parametrize(
    ("kind", "payload", "conversation"),
    [
        ("chatwoot", chatwoot_message(9001, 41, SPANISH), "41"),
        ("zammad", zammad_article(9002, 42, SPANISH), "42"),
        ("zendesk", zendesk_trigger(9003, 43, SPANISH), "43"),
        ("generic", generic_event("evt-9004", "c-44", SPANISH), "c-44"),
    ],
)
def test_customer_message_becomes_an_internal_note(
    stack: dict, helpdesks, kind: str, payload: dict, conversation: str
) -> None:
    desk = helpdesks[kind]
    r = sender(stack, kind).send(payload)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    wait_for(lambda: desk.messages(conversation), what=f"a note in {kind}")
    [note] = desk.messages(conversation)
    assert note.internal
    assert "arrived" in note.text.lower() and "es→en" in note.text and "confidence" in note.text
    assert f"ref {r.json()['job_id']}" in note.text
    if kind == "chatwoot":
        assert note.account_id == "1"
    # The helpdesk re-sends the same delivery: accepted once only.
    again = sender(stack, kind).send(payload)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    time.sleep(0.5)
    assert len(desk.messages(conversation)) == 1


def test_a_language_no_engine_translates_gets_a_note_saying_so(stack: dict, helpdesks) -> None:
    desk = helpdesks["chatwoot"]
    german = "Guten Tag, meine Bestellung ist noch nicht angekommen und ich brauche bitte Hilfe."
    r = sender(stack, "chatwoot").send(chatwoot_message(9151, 52, german))
    assert r.status_code == 202, r.text
    wait_for(lambda: desk.messages("52"), what="the note")
    [note] = desk.messages("52")
    assert note.internal and "de→en" in note.text and "not translated" in note.text
    # Told, not failed: nothing waits in the dead letters for it.
    assert health(stack, "chatwoot")["dead"] == 0


def test_own_note_coming_back_is_ignored(stack: dict, helpdesks) -> None:
    desk = helpdesks["chatwoot"]
    assert sender(stack, "chatwoot").send(chatwoot_message(9101, 51, SPANISH)).status_code == 202
    wait_for(lambda: desk.messages("51"), what="the note")
    [note] = desk.messages("51")
    # Chatwoot sends every message it stores as a webhook, ours included (outgoing, private).
    echo = chatwoot_message(note.id, 51, note.text, customer=False, private=True)
    r = sender(stack, "chatwoot").send(echo)
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    time.sleep(0.5)
    assert len(desk.messages("51")) == 1


def test_agent_reply_is_translated_into_the_customers_language(stack: dict, helpdesks) -> None:
    desk = helpdesks["chatwoot"]
    # By default every rule-based outbound reply waits for an editor (docs/api.md, review
    # thresholds); this brand chose to send them, so the reply goes straight out.
    r = stack["admin"].put("/v1/brands/sendall", json={"agent_lang": "en", "review_below": 0.0})
    assert r.status_code in (200, 201), r.text
    add_integration(stack["admin"], "cw-sendall", desk, brand="sendall")
    cw = sender(stack, "chatwoot", "cw-sendall")
    assert cw.send(chatwoot_message(9201, 61, SPANISH)).status_code == 202
    wait_for(lambda: desk.messages("61"), what="the inbound note")
    # A short customer message must not change the conversation's language.
    assert cw.send(chatwoot_message(9202, 61, "ok")).status_code == 202
    reply = chatwoot_message(
        9203, 61, "/tr Your order has shipped and will arrive tomorrow.", customer=False, private=True
    )
    assert cw.send(reply).status_code == 202
    wait_for(lambda: any(not m.internal for m in desk.messages("61")), what="the public reply")
    [public] = [m for m in desk.messages("61") if not m.internal]
    assert "pedido" in public.text or "orden" in public.text
    assert "/tr" not in public.text and "Tonegate" not in public.text
    # Agent text without the prefix is the agent's own business.
    r = cw.send(chatwoot_message(9204, 61, "note to self", customer=False, private=True))
    assert r.json()["status"] == "ignored"


def test_doubtful_reply_waits_for_review_and_is_posted_when_approved(stack: dict, helpdesks) -> None:
    admin = stack["admin"]
    # A brand that reviews every outbound chat reply: machine translation never scores 1.0.
    r = admin.put(
        "/v1/brands/strict",
        json={"agent_lang": "en", "review": {"outbound": {"chat": {"below": 1.0, "deadline_s": 3600}}}},
    )
    assert r.status_code in (200, 201), r.text
    desk = helpdesks["chatwoot"]
    add_integration(admin, "strict-cw", desk, brand="strict")
    cw = sender(stack, "chatwoot", "strict-cw")
    assert cw.send(chatwoot_message(9301, 71, SPANISH, account=2)).status_code == 202
    wait_for(lambda: desk.messages("71"), what="the inbound note")
    assert (
        cw.send(
            chatwoot_message(9302, 71, "/tr We refunded your payment.", customer=False, private=True, account=2)
        ).status_code
        == 202
    )
    wait_for(lambda: len(desk.messages("71")) == 2, what="the held-for-review note")
    held = desk.messages("71")[-1]
    assert held.internal and "held for review" in held.text
    items = admin.get("/v1/review", params={"brand": "strict"}).json()["items"]
    [item] = [i for i in items if i["conversation_id"] == "strict-cw/2:71"]
    assert item["source"] == "We refunded your payment." and item["target_lang"] == "es"
    assert not any(not m.internal for m in desk.messages("71"))  # nothing reached the customer yet
    approved = admin.post(f"/v1/review/{item['id']}/approve", json={"text": "Le hemos devuelto el pago."})
    assert approved.status_code == 200, approved.text
    wait_for(lambda: any(not m.internal for m in desk.messages("71")), what="the approved reply")
    [public] = [m for m in desk.messages("71") if not m.internal]
    assert public.text == "Le hemos devuelto el pago." and public.account_id == "2"


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda body, h: (body, h | {"X-Chatwoot-Signature": "sha256=" + "0" * 64}), 401),
        (lambda body, h: (body + b" ", h), 401),  # the body changed after signing
        (lambda body, h: (body, {k: v for k, v in h.items() if k != "X-Chatwoot-Signature"}), 401),
    ],
)
def test_bad_webhooks_are_refused_and_queue_nothing(stack: dict, helpdesks, mutate, status: int) -> None:
    import json

    from gateway.integrations.signatures import sign

    message_id = next(_ids)
    before = health(stack, "chatwoot")
    body = json.dumps(chatwoot_message(message_id, 81, SPANISH)).encode()
    headers = sign("chatwoot", body, "whsec-0123456789abcdef", time.time()) | {"Content-Type": "application/json"}
    body, headers = mutate(body, headers)
    r = sender(stack, "chatwoot").raw(body, headers)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    after = health(stack, "chatwoot")
    assert after["accepted"] == before["accepted"] and after["rejected"] == before["rejected"] + 1
    # And the genuine webhook is still accepted afterwards: nothing was remembered as seen.
    assert sender(stack, "chatwoot").send(chatwoot_message(message_id, 81, SPANISH)).status_code == 202


def test_stale_or_malformed_webhooks_are_refused(stack: dict) -> None:
    cw = sender(stack, "chatwoot")
    before = health(stack, "chatwoot")["accepted"]
    stale = cw.send(chatwoot_message(9501, 91, SPANISH), now=time.time() - 3600)
    assert stale.status_code == 401 and "old" in stale.json()["error"]["message"]
    assert cw.send({"event": "message_created", "id": 1}).status_code == 422  # no message_type
    assert cw.send([1, 2]).status_code == 422  # type: ignore[arg-type]
    import json

    from gateway.integrations.signatures import sign

    not_json = b"{not json"
    r = cw.raw(not_json, sign("chatwoot", not_json, "whsec-0123456789abcdef", time.time()))
    assert r.status_code == 400 and "JSON" in r.json()["error"]["message"]
    assert sender(stack, "chatwoot", "nobody").send(json.loads("{}")).status_code == 404
    assert health(stack, "chatwoot")["accepted"] == before
    # An event that needs no work is answered 200 so the helpdesk does not retry it.
    r = cw.send({"event": "conversation_status_changed", "id": 5})
    assert r.status_code == 200 and r.json()["status"] == "ignored"


def test_rotation_accepts_old_and_new_secret(stack: dict, helpdesks) -> None:
    admin = stack["admin"]
    add_integration(admin, "rotating", helpdesks["generic"])
    new = "whsec-new-secret-0123456789"
    r = admin.patch("/v1/integrations/rotating", json={"webhook_secret": ["whsec-0123456789abcdef", new]})
    assert r.status_code == 200 and r.json()["webhook_secrets"] == 2
    base = stack["gateway"].url
    assert Sender(base, "rotating", "generic").send(generic_event("rot-1", "r1", SPANISH)).status_code == 202
    assert Sender(base, "rotating", "generic", new).send(generic_event("rot-2", "r1", SPANISH)).status_code == 202
    r = admin.patch("/v1/integrations/rotating", json={"webhook_secret": new})
    assert Sender(base, "rotating", "generic").send(generic_event("rot-3", "r1", SPANISH)).status_code == 401


def test_helpdesk_down_then_back_delivers_everything_once(stack: dict, helpdesks) -> None:
    desk = helpdesks["zammad"]
    desk.stop()  # connection refused
    zm = sender(stack, "zammad")
    tickets = list(range(1101, 1111))
    for i, ticket in enumerate(tickets):
        assert zm.send(zammad_article(12000 + i, ticket, SPANISH)).status_code == 202
    wait_for(lambda: health(stack, "zammad")["retried"] >= len(tickets), what="retries while the helpdesk is down")
    desk.fail_with(503)  # listening again, but failing
    time.sleep(1.0)
    desk.up()
    wait_for(lambda: all(desk.messages(str(t)) for t in tickets), what="every note after the helpdesk came back")
    time.sleep(1.5)  # any stray retry would land by now
    for t in tickets:
        assert len(desk.messages(str(t))) == 1, t
    assert stack["redis"].hlen("tonegate:{jobs}:state") == 0  # no retry bookkeeping left behind


def test_refused_delivery_goes_to_dead_letters_and_can_be_redriven(stack: dict, helpdesks) -> None:
    admin = stack["admin"]
    desk = helpdesks["zendesk"]
    add_integration(admin, "zd-bad-token", desk, api_token="agent@example.com/token:wrong")
    zd = sender(stack, "zendesk", "zd-bad-token")
    assert zd.send(zendesk_trigger(13001, 2201, SPANISH)).status_code == 202
    wait_for(
        lambda: admin.get("/v1/deadletters", params={"integration": "zd-bad-token"}).json()["items"],
        what="a dead letter",
    )
    [letter] = admin.get("/v1/deadletters", params={"integration": "zd-bad-token"}).json()["items"]
    assert "401" in letter["error"] and letter["attempts"] == 1  # a wrong token is not retried
    assert letter["job"]["conversation_id"] == "2201"
    assert not desk.messages("2201")
    # The admin fixes the token and re-drives: the note arrives.
    from tests.helpdesk_fixtures import FAKE_TOKENS

    assert admin.patch("/v1/integrations/zd-bad-token", json={"api_token": FAKE_TOKENS["zendesk"]}).status_code == 200
    r = admin.post(f"/v1/deadletters/{letter['id']}/redrive")
    assert r.status_code == 200, r.text
    wait_for(lambda: desk.messages("2201"), what="the re-driven note")
    assert admin.get("/v1/deadletters", params={"integration": "zd-bad-token"}).json()["items"] == []
    assert admin.post(f"/v1/deadletters/{letter['id']}/redrive").status_code == 404
    assert admin.get("/v1/deadletters", params={"after": "bogus"}).status_code == 422


def test_integrations_api(stack: dict, helpdesks) -> None:
    admin = stack["admin"]
    body = {
        "name": "api-cw",
        "kind": "chatwoot",
        "base_url": "https://x.example",
        "api_token": "t0ken-secret-123",
        "webhook_secret": "whsec-0123456789abcdef",
    }
    r = admin.post("/v1/integrations", json=body)
    assert r.status_code == 201
    shown = admin.get("/v1/integrations/api-cw").text
    assert "t0ken-secret-123" not in shown and "whsec-0123456789abcdef" not in shown
    assert admin.post("/v1/integrations", json=body).status_code == 409
    # A brand that does not exist is answered as everywhere a request names one: 404.
    assert admin.post("/v1/integrations", json=body | {"name": "x2", "brand": "nope"}).status_code == 404
    bad = admin.post("/v1/integrations", json=body | {"name": "x3", "webhook_secret": "short"})
    assert bad.status_code == 422 and "16" in bad.json()["error"]["message"]
    names = [i["name"] for i in admin.get("/v1/integrations").json()["integrations"]]
    assert "api-cw" in names
    assert admin.patch("/v1/integrations/api-cw", json={"enabled": False}).json()["enabled"] is False
    assert admin.delete("/v1/integrations/api-cw").status_code == 204
    assert admin.get("/v1/integrations/api-cw").status_code == 404
    with httpx.Client(base_url=stack["gateway"].url) as anon:
        assert anon.get("/v1/integrations").status_code == 401


def test_queue_metrics_and_stream_is_trimmed(stack: dict) -> None:
    # Finished jobs are deleted from the stream, so its length is the backlog.
    wait_for(lambda: stack["redis"].xlen(JOBS) == 0, what="an empty job stream")


def test_french_customer_of_an_en_es_brand_every_webhook_one_visible_outcome(stack: dict, helpdesks) -> None:
    """The bug this pins: a brand serving en and es once blinded detection to those two, so French
    read as English, "same language", no note at all, and health counted the job as delivered."""
    admin = stack["admin"]
    r = admin.put("/v1/brands/enes", json={"languages": ["en", "es"], "agent_lang": "en"})
    assert r.status_code in (200, 201), r.text
    desk = helpdesks["chatwoot"]
    add_integration(admin, "cw-enes", desk, brand="enes")
    cw = sender(stack, "chatwoot", "cw-enes")
    sent = [
        # French: recognised as French and translated to the agent's English (through Spanish).
        (chatwoot_message(9601, 81, "Bonjour, je n'ai toujours pas reçu ma commande.", account=3), "81"),
        # Short and unclear: the conversation's language (French) decides, not a guess of Polish.
        (chatwoot_message(9602, 81, "merci!!", account=3), "81"),
        # No letters: nothing to translate, and a note says so.
        (chatwoot_message(9603, 82, "👍 12345", account=3), "82"),
        # Already in the agent's language: a note says that too.
        (chatwoot_message(9604, 83, "Hello, where is my parcel? It has not arrived yet.", account=3), "83"),
        # German: recognised, but no engine reaches English: a note says so.
        (chatwoot_message(9605, 84, "Guten Tag, mein Paket ist noch nicht angekommen.", account=3), "84"),
    ]
    for payload, _ in sent:
        assert cw.send(payload).status_code == 202
    wait_for(
        lambda: health(stack, "cw-enes")["delivered"] == len(sent),
        what="every job finished",
    )
    first, thanks = desk.messages("81")
    assert first.internal and "fr→en" in first.text and "received" in first.text.lower(), first.text
    assert thanks.internal and "fr→en" in thanks.text
    [emoji] = desk.messages("82")
    assert emoji.internal and "not translated, nothing to translate" in emoji.text
    [english] = desk.messages("83")
    assert english.internal and "not translated, already in en (detected" in english.text
    [explained] = desk.messages("84")
    assert explained.internal and "de→en" in explained.text and "not translated" in explained.text
    h = health(stack, "cw-enes")
    assert (h["translated"], h["explained"], h["replied"], h["held"], h["dead"]) == (2, 3, 0, 0, 0)
    # Each accepted webhook ended exactly once, visibly: posted or dead.
    assert h["accepted"] == h["delivered"] + h["dead"] == len(sent)
    assert h["delivered"] == h["translated"] + h["replied"] + h["explained"] + h["held"]


def test_a_reply_whose_translation_reads_as_the_wrong_language_is_held_whatever_the_threshold(
    stack: dict, helpdesks
) -> None:
    admin = stack["admin"]
    # A brand that would send every outbound reply unreviewed: its threshold is 0.
    r = admin.put("/v1/brands/lenient", json={"agent_lang": "en", "review_below": 0.0})
    assert r.status_code in (200, 201), r.text
    desk = helpdesks["chatwoot"]
    add_integration(admin, "cw-lenient", desk, brand="lenient")
    cw = sender(stack, "chatwoot", "cw-lenient")
    assert cw.send(chatwoot_message(9701, 91, SPANISH, account=4)).status_code == 202
    wait_for(lambda: desk.messages("91"), what="the inbound note")
    # The agent pasted French into an English reply: Apertium en→es leaves it French.
    paste = chatwoot_message(
        9702, 91, "/tr Bonjour, je n'ai pas encore reçu votre paiement.", customer=False, private=True, account=4
    )
    assert cw.send(paste).status_code == 202
    wait_for(lambda: health(stack, "cw-lenient")["held"] == 1, what="the reply held for review")
    assert not any(not m.internal for m in desk.messages("91"))  # nothing reached the customer
    items = admin.get("/v1/review", params={"brand": "lenient"}).json()["items"]
    [item] = [i for i in items if i["conversation_id"] == "cw-lenient/4:91"]
    assert "wrong_language" in {s["name"] for s in item["signals"]}
