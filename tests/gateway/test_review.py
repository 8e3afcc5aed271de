"""The review queue and outbox, end to end: live gateway, real Redis, a real callback receiver."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

# Apertium does not know "zorblax": the unknown word keeps confidence below 1.0, so below=1.0
# sends every such reply to review.
DOUBTFUL = "Hello, your zorblax order has shipped."


class Receiver:
    """A callback endpoint on 127.0.0.1 that records every POST; answers `fail_first` 500s first."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[dict[str, str], dict]] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    failing = outer.fail_first > 0
                    outer.fail_first -= 1
                    outer.calls.append(({k.lower(): v for k, v in self.headers.items()}, body | {"_ok": not failing}))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def delivered(self) -> list[dict]:
        with self.lock:
            return [body for _, body in self.calls if body["_ok"]]


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(fail_first: int = 0) -> Receiver:
        r = Receiver(fail_first)
        r.thread.start()
        made.append(r)
        return r

    yield make
    for r in made:
        r.server.shutdown()
        r.server.server_close()


def new_brand(admin: httpx.Client, **review: dict) -> str:
    name = "rv-" + secrets.token_hex(4)
    rules = review or {"chat": {"below": 1.0, "deadline_s": 600, "on_deadline": "hold"}}
    r = admin.put(f"/v1/brands/{name}", json={"languages": ["en", "es", "fr"], "review": {"outbound": rules}})
    assert r.status_code in (200, 201), r.text
    return name


def editor(gateway, admin: httpx.Client, pairs: list[str] | None = None) -> httpx.Client:
    r = admin.post("/v1/keys", json={"role": "editor", "label": "reviewer", "pairs": pairs or []})
    assert r.status_code == 201, r.text
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {r.json()['key']}"}, timeout=60)


def queue(client: httpx.Client, brand: str, *, callback_url: str | None = None, **extra: object) -> dict:
    body = {
        "text": DOUBTFUL,
        "source_lang": "en",
        "target_lang": "es",
        "brand": brand,
        "direction": "outbound",
        "channel": "chat",
        "conversation_id": "conv-" + secrets.token_hex(3),
    } | extra
    if callback_url:
        body["callback_url"] = callback_url
    r = client.post("/v1/translate", json=body)
    assert r.status_code == 200, r.text
    return r.json()["translations"][0]


def outbox_for(client: httpx.Client, review_id: str) -> list[dict]:
    found, cursor = [], None
    while True:
        r = client.get("/v1/outbox", params={"limit": 1000} | ({"after": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        page = r.json()
        if not page["messages"]:
            return found
        found += [m for m in page["messages"] if m["review_id"] == review_id]
        cursor = page["next"]


def wait_for(check: Callable[[], object], timeout_s: float = 10) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_claim_approve_deliver_and_history(gateway, admin, client) -> None:
    brand = new_brand(admin)
    t = queue(client, brand)
    assert t["needs_review"] is True and t["review_id"].startswith("rv_")
    rid = t["review_id"]
    alice, bob = editor(gateway, admin), editor(gateway, admin)

    page = alice.get("/v1/review", params={"brand": brand, "source_lang": "en", "target_lang": "es"}).json()
    assert [i["id"] for i in page["items"]] == [rid] and page["total"] == 1
    item = page["items"][0]
    assert item["source"] == DOUBTFUL and item["mt"] == t["text"] and item["channel"] == "chat"
    assert item["signals"] and item["deadline_at"] > time.time()

    assert alice.post(f"/v1/review/{rid}/claim").status_code == 200
    r = bob.post(f"/v1/review/{rid}/claim")
    assert r.status_code == 409 and "claimed by" in r.json()["error"]["message"]
    r = bob.post(f"/v1/review/{rid}/approve", json={"text": "Hola"})
    assert r.status_code == 409
    assert alice.get("/v1/review", params={"brand": brand, "status": "claimed"}).json()["total"] == 1
    assert alice.get("/v1/review", params={"brand": brand, "status": "pending"}).json()["total"] == 0

    r = alice.post(f"/v1/review/{rid}/approve", json={"text": "Hola, su pedido zorblax ha sido enviado."})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["decided_by"].startswith("key:")
    assert alice.post(f"/v1/review/{rid}/approve", json={"text": "again"}).status_code == 409
    assert client.get("/v1/review").status_code == 403  # helpdesk keys do not review

    [msg] = outbox_for(client, rid)
    assert msg["kind"] == "approved" and msg["text"] == "Hola, su pedido zorblax ha sido enviado."
    later = client.get("/v1/outbox", params={"after": msg["id"]}).json()["messages"]
    assert all(m["id"] != msg["id"] for m in later)  # a cursor never hands a message out twice

    detail = admin.get(f"/v1/review/{rid}").json()
    assert [h["action"] for h in detail["history"]] == ["create", "claim", "approve"]
    approve = detail["history"][-1]
    assert approve["before"]["text"] == t["text"] and approve["after"]["text"].startswith("Hola, su")
    assert approve["who"] == detail["decided_by"] and approve["at"] > 0

    # The approved edit feeds the brand's memory: the same segment is reused, not reviewed again.
    again = queue(client, brand)
    assert again["engine"] == "memory" and again["text"] == "Hola, su pedido zorblax ha sido enviado."
    assert again["needs_review"] is False and again.get("review_id") is None


def test_release_lease_expiry_and_reject(gateway, admin, client) -> None:
    brand = new_brand(admin)
    rid = queue(client, brand)["review_id"]
    alice, bob = editor(gateway, admin), editor(gateway, admin)
    assert alice.post(f"/v1/review/{rid}/claim").status_code == 200
    assert bob.post(f"/v1/review/{rid}/release").status_code == 409
    assert alice.post(f"/v1/review/{rid}/release").json()["status"] == "pending"

    assert alice.post(f"/v1/review/{rid}/claim", json={"lease_s": 1}).status_code == 200
    assert bob.post(f"/v1/review/{rid}/claim").status_code == 409
    time.sleep(1.3)
    assert bob.post(f"/v1/review/{rid}/claim").status_code == 200
    r = bob.post(f"/v1/review/{rid}/reject", json={"reason": "wrong product name"})
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["reason"] == "wrong product name"
    assert outbox_for(client, rid) == []  # rejected text is never delivered
    actions = [h["action"] for h in admin.get(f"/v1/review/{rid}").json()["history"]]
    assert actions[:4] == ["create", "claim", "release", "claim"] and actions[-1] == "reject"
    assert actions[-2] in ("claim", "lease_expired")


def test_admin_may_decide_without_a_claim(gateway, admin, client) -> None:
    rid = queue(client, new_brand(admin))["review_id"]
    alice = editor(gateway, admin)
    r = alice.post(f"/v1/review/{rid}/approve", json={"text": "Hola"})
    assert r.status_code == 409 and "claim" in r.json()["error"]["message"]
    assert admin.post(f"/v1/review/{rid}/approve", json={"text": "Hola"}).json()["status"] == "approved"
    assert admin.post(f"/v1/review/{rid}/approve", json={"text": ""}).status_code == 422
    assert admin.get("/v1/review/rv_nope").status_code == 404


def test_editors_limited_to_their_pairs(gateway, admin, client) -> None:
    brand = new_brand(admin)
    rid = queue(client, brand)["review_id"]
    fr_only, en_es = editor(gateway, admin, ["fr-es"]), editor(gateway, admin, ["EN-es"])
    assert fr_only.get("/v1/review", params={"brand": brand}).json()["total"] == 0
    assert fr_only.post(f"/v1/review/{rid}/claim").status_code == 403
    assert en_es.get("/v1/review", params={"brand": brand}).json()["total"] == 1
    assert en_es.post(f"/v1/review/{rid}/claim").status_code == 200
    bad = admin.post("/v1/keys", json={"role": "editor", "pairs": ["english"]})
    assert bad.status_code == 422 and "en-es" in bad.json()["error"]["message"]
    keys = {k["id"]: k for k in admin.get("/v1/keys").json()}
    assert ["en-es"] in [k["pairs"] for k in keys.values()]


def test_only_doubtful_outbound_replies_are_queued(admin, client) -> None:
    brand = new_brand(admin)
    assert queue(client, brand, direction="inbound")["review_id"] is None
    assert queue(client, brand, conversation_id=None)["review_id"] is None
    confident = new_brand(admin, chat={"below": 0.0})
    t = queue(client, confident)
    assert t["needs_review"] is False and t["review_id"] is None
    r = client.post(
        "/v1/translate",
        json={"text": "hi", "target_lang": "es", "direction": "outbound", "callback_url": "ftp://x/y"},
    )
    assert r.status_code == 422 and "callback_url" in r.json()["error"]["message"]


def test_brand_review_rules_are_validated(admin) -> None:
    r = admin.put(
        "/v1/brands/rv-bad",
        json={"review": {"outbound": {"Chat!": {"below": 2, "on_deadline": "never"}}, "sideways": {}}},
    )
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert "below" in message and "on_deadline" in message and "'inbound' or 'outbound'" in message


def test_deadline_send_mt_and_hold(gateway, admin, client, receiver) -> None:
    hook = receiver()
    brand = new_brand(
        admin,
        chat={"below": 1.0, "deadline_s": 1, "on_deadline": "send_mt"},
        email={"below": 1.0, "deadline_s": 1, "on_deadline": "hold"},
    )
    chat = queue(client, brand, callback_url=hook.url)
    mail = queue(client, brand, channel="email")
    item = wait_for(lambda: (i := admin.get(f"/v1/review/{chat['review_id']}").json())["status"] == "sent_mt" and i)
    assert item["final_text"] == chat["text"] and item["decided_by"] == "system"
    assert item["history"][-1]["action"] == "send_mt"
    [msg] = outbox_for(client, chat["review_id"])
    assert msg["kind"] == "sent_mt" and msg["text"] == chat["text"]
    [call] = wait_for(hook.delivered)
    assert call["review_id"] == chat["review_id"] and call["kind"] == "sent_mt"

    held = wait_for(lambda: (i := admin.get(f"/v1/review/{mail['review_id']}").json())["overdue"] and i)
    assert held["status"] == "pending" and outbox_for(client, mail["review_id"]) == []
    assert editor(gateway, admin).post(f"/v1/review/{mail['review_id']}/claim").status_code == 200
    overdue = admin.get("/v1/review", params={"brand": brand, "deadline_before": time.time()}).json()
    assert [i["id"] for i in overdue["items"]] == [mail["review_id"]]


def test_callback_retries_until_2xx_with_idempotency_key(gateway, admin, client, receiver) -> None:
    hook = receiver(fail_first=2)
    rid = queue(client, new_brand(admin), callback_url=hook.url)["review_id"]
    assert admin.post(f"/v1/review/{rid}/approve", json={"text": "Hola, enviado."}).status_code == 200
    [ok] = wait_for(hook.delivered, timeout_s=15)
    assert ok["text"] == "Hola, enviado." and ok["kind"] == "approved"
    time.sleep(0.5)
    with hook.lock:
        calls = list(hook.calls)
    assert len(calls) == 3 and {h["idempotency-key"] for h, _ in calls} == {rid}


def test_outbox_cursor_is_validated(client) -> None:
    r = client.get("/v1/outbox", params={"after": "yesterday"})
    assert r.status_code == 422 and "cursor" in r.json()["error"]["message"]


def test_cli_creates_editor_keys_limited_to_pairs(redis_url) -> None:
    from tests.gateway.test_cli import tonegate

    env = {"TONEGATE_REDIS_URL": redis_url}
    created = tonegate("keys", "create", "--role", "editor", "--pair", "en-es", "--pair", "FR-es", env=env)
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.strip().split("_")[1]
    assert f"{key_id}\teditor\t\ten-es,fr-es" in tonegate("keys", "list", env=env).stdout
    bad = tonegate("keys", "create", "--role", "editor", "--pair", "english", env=env)
    assert bad.returncode == 2 and "en-es" in bad.stderr


def test_filter_on_one_side_of_a_pair_and_far_deadlines(gateway, admin, client) -> None:
    brand = new_brand(admin)
    en_es = queue(client, brand)["review_id"]
    fr_es = queue(client, brand, text="Bonjour, où est ma commande ?", source_lang="fr")["review_id"]

    def ids(**params) -> set[str]:
        r = admin.get("/v1/review", params={"brand": brand, **params})
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    assert ids(target_lang="es") == {en_es, fr_es}
    assert ids(source_lang="FR") == {fr_es}
    assert ids(source_lang="en", target_lang="es") == {en_es}
    assert ids(source_lang="de") == set()
    # An editor limited to en-es sees only that pair, whichever side the filter names.
    limited = editor(gateway, admin, ["en-es"])
    assert {
        i["id"] for i in limited.get("/v1/review", params={"brand": brand, "target_lang": "es"}).json()["items"]
    } == {en_es}
    # Far-off deadlines (these were a 500) and a bad language code.
    assert ids(deadline_before=-1.7976931348623157e308) == set()
    assert ids(deadline_before=1.7976931348623157e308) == {en_es, fr_es}
    r = admin.get("/v1/review", params={"source_lang": "xx"})
    assert r.status_code == 422 and r.json()["error"]["type"] == "unknown_language"
    assert admin.get("/v1/review", params={"deadline_after": "nan"}).status_code == 422
