"""Brands as tenants, on the live gateway and real Redis: keys of brand A see nothing of brand B.

"Nothing" means: every route that names one of B's brands, review items or integrations answers a
key of A exactly as it answers for one that does not exist (same status, same body once the names
are swapped), and listings leave B out. The path-parameter matrix is generated from the gateway's
own OpenAPI document, so a new route is in it the day it is added; a second test checks, from the
routers' own route tables, that every such route takes the one authorizing dependency.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import secrets
import time

import anyio
import httpx
import pytest
from fastapi.routing import APIRoute

from tests.conftest import ADMIN_KEY
from tests.gateway.test_review import new_brand, outbox_for, queue
from tests.gateway.ui_support import _browser, _page, sign_in  # noqa: F401 (pytest fixtures)

MISSING_BRAND = "zz-missing"
MISSING_ITEM = "rv_000000000000000000000000"
MISSING_INTEGRATION = "zz-missing-desk"
DESK = {
    "kind": "chatwoot",
    "base_url": "https://x.example",
    "api_token": "t0ken-secret-123",
    "webhook_secret": "whsec-0123456789abcdef",
}


def _client(gateway, token: str) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _key(admin: httpx.Client, role: str, brands, label: str = "", **extra) -> dict:
    r = admin.post("/v1/keys", json={"role": role, "label": label or f"{role}-test", "brands": brands} | extra)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def tenants(gateway, admin: httpx.Client, client: httpx.Client) -> dict:
    a, b = new_brand(admin), new_brand(admin)
    keys = {role: _key(admin, role, [a], f"{role} of A") for role in ("helpdesk", "editor", "admin")}
    clients = {role: _client(gateway, k["key"]) for role, k in keys.items()}
    # Review items in both brands: A's queued by A's own helpdesk key, B's by an all-brands key.
    item_a = queue(clients["helpdesk"], a)["review_id"]
    item_b = queue(client, b)["review_id"]
    for brand in (a, b):
        r = admin.post(
            f"/v1/brands/{brand}/glossary",
            json={"kind": "dnt", "source": f"Secret{brand.replace('-', '')}", "note": "tenant data"},
        )
        assert r.status_code == 201, r.text
        r = admin.post(
            f"/v1/brands/{brand}/memory",
            json={"source_lang": "en", "target_lang": "es", "source": f"hi from {brand}", "target": "hola"},
        )
        assert r.status_code == 201, r.text
    desk_b = "desk-" + secrets.token_hex(3)
    r = admin.post(
        "/v1/integrations",
        json=DESK | {"name": desk_b, "brand": b},
    )
    assert r.status_code == 201, r.text
    yield {"a": a, "b": b, "keys": keys, "clients": clients, "item_a": item_a, "item_b": item_b, "desk_b": desk_b}
    for c in clients.values():
        c.close()


def _swap(text: str, real: str, missing: str) -> str:
    return text.replace(real, missing)


def _spec_operations(admin: httpx.Client) -> list[tuple[str, str]]:
    spec = admin.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if path.startswith("/v1/")
        and ("{brand}" in path or "{item_id}" in path or path.startswith("/v1/integrations/"))
    ]


FILLERS = {"term_id": "t1", "pair": "en-es", "entry_id": "e1", "version": "1"}


def _fill(path: str, brand: str, item: str, integration: str) -> str:
    out = path.replace("{brand}", brand).replace("{item_id}", item).replace("{name}", integration)
    return re.sub(r"\{(\w+)\}", lambda m: FILLERS.get(m.group(1), "x"), out)


def test_every_route_naming_another_brand_answers_as_for_a_missing_one(admin, tenants) -> None:
    """Matrix: every /v1 operation with a brand, review item or integration in its path × every role of A."""
    operations = _spec_operations(admin)
    assert len(operations) >= 30  # the glossary, memory, brand, tone, review and integration routes
    b, item_b, desk_b = tenants["b"], tenants["item_b"], tenants["desk_b"]
    leaks, checked = [], 0
    for role, c in tenants["clients"].items():
        for method, path in operations:
            real = _fill(path, b, item_b, desk_b)
            missing = _fill(path, MISSING_BRAND, MISSING_ITEM, MISSING_INTEGRATION)
            got = c.request(method, real, json={})
            want = c.request(method, missing, json={})
            checked += 1
            body = _swap(_swap(_swap(got.text, b, MISSING_BRAND), item_b, MISSING_ITEM), desk_b, MISSING_INTEGRATION)
            if got.is_success or got.status_code != want.status_code or body != want.text:
                leaks.append((role, method, path, got.status_code, want.status_code, got.text[:200]))
    assert leaks == [], leaks
    assert checked == 3 * len(operations)
    # And B's data is still there for a key that serves B.
    assert admin.get(f"/v1/review/{item_b}").status_code == 200
    assert admin.get(f"/v1/integrations/{desk_b}").status_code == 200


def test_a_new_route_cannot_skip_the_authorizer() -> None:
    """From the routers' own route tables: a {brand}, {item_id} or integration {name} path takes the dependency."""
    from gateway import deps, routers

    wanted = {
        "brand": set(deps.BRAND_DEPENDENCIES.values()),
        "item_id": {deps.review_item},
        "name": {deps.integration},
    }

    def calls(dependant) -> set:
        found = set()
        for d in dependant.dependencies:
            found.add(d.call)
            found |= calls(d)
        return found

    missing, seen = [], 0
    for info in pkgutil.iter_modules(routers.__path__):
        module = importlib.import_module(f"gateway.routers.{info.name}")
        for route in module.router.routes:
            if not isinstance(route, APIRoute) or not route.path.startswith("/v1/"):
                continue
            for param, deps_needed in wanted.items():
                if "{" + param + "}" not in route.path:
                    continue
                if param == "name" and not route.path.startswith("/v1/integrations/"):
                    continue  # webhooks: authenticated by the helpdesk's signature, no key
                seen += 1
                # PUT /v1/brands/{brand} may create one, so it checks in its body (tested below).
                if not deps_needed & calls(route.dependant) and route.endpoint.__name__ != "put_brand":
                    missing.append((sorted(route.methods), route.path))
    assert seen >= 30
    assert missing == [], missing


def test_helpdesk_key_of_a(admin, client, tenants) -> None:
    a, b = tenants["a"], tenants["b"]
    desk = tenants["clients"]["helpdesk"]
    # Translating with B's glossary and tone: as for a brand that does not exist.
    for url, body in (
        ("/v1/translate", {"text": "Hello", "target_lang": "es", "source_lang": "en"}),
        ("/v1/quality", {"source": "Hello", "translation": "Hola", "source_lang": "en", "target_lang": "es"}),
    ):
        got, want = desk.post(url, json=body | {"brand": b}), desk.post(url, json=body | {"brand": MISSING_BRAND})
        assert got.status_code == want.status_code == 404
        assert _swap(got.text, b, MISSING_BRAND) == want.text
        assert desk.post(url, json=body | {"brand": a}).status_code == 200
    # The outbox: approve one item of each brand; A's helpdesk reads A's message only.
    for item in (tenants["item_a"], tenants["item_b"]):
        assert admin.post(f"/v1/review/{item}/approve", json={"text": "Hola, su pedido ha salido."}).status_code == 200
    assert len(outbox_for(desk, tenants["item_a"])) == 1
    assert outbox_for(desk, tenants["item_b"]) == []
    assert len(outbox_for(client, tenants["item_b"])) == 1  # an all-brands key reads both
    cursor = None
    while True:
        page = desk.get("/v1/outbox", params={"limit": 1} | ({"after": cursor} if cursor else {})).json()
        assert all(m["brand"] == a for m in page["messages"])
        if not page["messages"]:
            break
        cursor = page["next"]


def test_editor_of_a_sees_only_a(admin, client, tenants) -> None:
    a, b = tenants["a"], tenants["b"]
    editor = tenants["clients"]["editor"]
    # A new text: the approved one is in each brand's memory now and would not be held again.
    text = "Your zorblax parcel is late."
    fresh_a, fresh_b = queue(client, a, text=text)["review_id"], queue(client, b, text=text)["review_id"]
    shown = editor.get("/v1/review", params={"status": "all", "limit": 500}).json()
    ids = {i["id"] for i in shown["items"]}
    assert fresh_a in ids and fresh_b not in ids
    assert {i["brand"] for i in shown["items"]} == {a}
    assert editor.get("/v1/review", params={"brand": b}).json() == {"total": 0, "offset": 0, "limit": 50, "items": []}
    assert editor.get("/v1/brands").json() == [a]
    assert editor.post(f"/v1/review/{fresh_b}/claim").status_code == 404
    assert editor.post(f"/v1/review/{fresh_a}/claim").status_code == 200
    # B's item is untouched by A's editor: still pending for B's reviewers.
    assert admin.get(f"/v1/review/{fresh_b}").json()["status"] == "pending"


def test_brand_admin_of_a(gateway, admin, tenants) -> None:
    a, b = tenants["a"], tenants["b"]
    boss = tenants["clients"]["admin"]
    r = boss.post("/v1/keys", json={"role": "helpdesk", "brands": "all"})
    assert r.status_code == 403 and "all brands" in r.json()["error"]["message"]
    got, want = (
        boss.post("/v1/keys", json={"role": "helpdesk", "brands": [b]}),
        boss.post("/v1/keys", json={"role": "helpdesk", "brands": [MISSING_BRAND]}),
    )
    assert got.status_code == want.status_code == 404 and _swap(got.text, b, MISSING_BRAND) == want.text
    # Left out, a key gets its creator's brands: never more.
    made = boss.post("/v1/keys", json={"role": "editor", "label": "made by A's admin"}).json()
    assert made["brands"] == [a]
    listed = boss.get("/v1/keys").json()
    assert {k["id"] for k in listed} >= {made["id"], tenants["keys"]["editor"]["id"]}
    assert all(k["brands"] and set(k["brands"]) <= {a} for k in listed)
    everyone = next(k for k in admin.get("/v1/keys").json() if k["brands"] is None)
    assert boss.delete(f"/v1/keys/{everyone['id']}").status_code == 404
    assert boss.delete(f"/v1/keys/{made['id']}").status_code == 204
    # Brands: its own it may change, a new one only an all-brands admin creates.
    assert boss.put(f"/v1/brands/{a}/tone", json={"registers": {"es": "formal"}}).status_code == 200
    assert boss.put("/v1/brands/new-" + secrets.token_hex(3), json={}).status_code == 404
    assert boss.get("/v1/deadletters").status_code == 403
    names = [i["name"] for i in boss.get("/v1/integrations").json()["integrations"]]
    assert tenants["desk_b"] not in names
    body = DESK | {"name": "desk-" + secrets.token_hex(3)}
    assert boss.post("/v1/integrations", json=body | {"brand": b}).status_code == 404
    assert boss.post("/v1/integrations", json=body | {"brand": a}).status_code == 201


def test_audit_records_who_and_when_per_brand(admin, tenants) -> None:
    a, b = tenants["a"], tenants["b"]
    boss = tenants["clients"]["admin"]
    since = admin.get("/v1/audit", params={"limit": 1}).json()["entries"][0]["at"]
    r = boss.post(f"/v1/brands/{a}/glossary", json={"kind": "dnt", "source": "AuditMe"})
    assert r.status_code == 201
    term_id = r.json()["term"]["id"]
    assert admin.post(f"/v1/brands/{b}/glossary", json={"kind": "dnt", "source": "HiddenB"}).status_code == 201
    mine = boss.get("/v1/audit", params={"kind": "glossary", "since": since}).json()["entries"]
    assert [(e["action"], e["target"], e["brands"]) for e in mine][:1] == [("add", term_id, [a])]
    assert mine[0]["key_id"] == tenants["keys"]["admin"]["id"] and mine[0]["key_label"] == "admin of A"
    assert mine[0]["at"] >= since
    assert all(b not in e["brands"] for e in boss.get("/v1/audit", params={"limit": 1000}).json()["entries"])
    assert boss.get("/v1/audit", params={"brand": b}).status_code == 404
    # The global admin reads every brand's entries; review decisions and key changes are there too.
    everything = admin.get("/v1/audit", params={"since": since}).json()["entries"]
    assert any(e["brands"] == [b] and e["kind"] == "glossary" for e in everything)
    kinds = {e["kind"] for e in admin.get("/v1/audit", params={"limit": 1000}).json()["entries"]}
    assert {"key", "brand", "glossary", "integration", "review"} <= kinds
    assert tenants["clients"]["editor"].get("/v1/audit").status_code == 403


def test_expired_keys_get_401(gateway, gateway_redis, admin) -> None:
    from redis.asyncio import Redis

    from gateway.keys import KeyStore

    assert admin.post("/v1/keys", json={"role": "helpdesk", "expires_at": 1.0}).status_code == 422
    assert admin.post("/v1/keys", json={"role": "helpdesk", "ttl_s": 60, "expires_at": 2e9}).status_code == 422
    made = admin.post("/v1/keys", json={"role": "helpdesk", "ttl_s": 3600}).json()
    assert made["expires_at"] is not None
    with _client(gateway, made["key"]) as c:
        assert c.get("/v1/languages").status_code == 200

        async def expire_now() -> None:
            redis = Redis.from_url(gateway_redis.url)
            try:
                await KeyStore(redis).expire(made["id"], time.time() - 1)
            finally:
                await redis.aclose()

        anyio.run(expire_now)
        r = c.get("/v1/languages")
        assert r.status_code == 401 and "expired" in r.json()["error"]["message"]


def _web(gateway, token: str) -> tuple[httpx.Client, str]:
    """A signed-in web session (cookies) and its CSRF token."""
    web = httpx.Client(base_url=gateway.url, timeout=60)
    form = web.get("/ui/").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    r = web.post("/ui/signin", data={"key": token, "csrf": csrf, "next": "/ui/review"})
    assert r.status_code == 303, r.text
    page = web.get("/ui/review").text
    return web, re.search(r'name="csrf" value="([^"]+)"', page).group(1) if 'name="csrf"' in page else ""


def test_web_app_pages_of_a_editor_and_brand_admin(gateway, admin, client, tenants) -> None:
    a, b = tenants["a"], tenants["b"]
    text = "The zorblax voucher expired."
    item_a, item_b = queue(client, a, text=text)["review_id"], queue(client, b, text=text)["review_id"]
    web, csrf = _web(gateway, tenants["keys"]["editor"]["key"])
    try:
        page = web.get("/ui/review", params={"status": "all"}).text
        assert item_a in page and item_b not in page
        assert f'<option value="{b}"' not in page and f">{b}<" not in page
        got, want = web.get(f"/ui/review/{item_b}"), web.get(f"/ui/review/{MISSING_ITEM}")
        assert got.status_code == want.status_code == 404
        assert _swap(got.text, item_b, MISSING_ITEM) == want.text
        assert web.get(f"/ui/review/{item_a}").status_code == 200
        assert web.post(f"/ui/review/{item_b}/claim", data={"csrf": csrf}).status_code == 404
        assert admin.get(f"/v1/review/{item_b}").json()["status"] == "pending"
        # The dashboard counts A's traffic only: B's Spanish→Italian is not there, A's English→Spanish is.
        tally = {"text": "Hola, ¿dónde está mi pedido?", "source_lang": "es", "target_lang": "it", "brand": b}
        assert client.post("/v1/translate", json=tally).status_code == 200
        mine = web.get("/ui/dashboard", params={"period": "1h"})
        assert mine.status_code == 200 and "en-es outbound" in mine.text and "es-it" not in mine.text
        assert f"The traffic of {a}" in mine.text
        assert web.get("/ui/audit").status_code == 403  # editors: not the audit log
    finally:
        web.close()
    web, csrf = _web(gateway, tenants["keys"]["admin"]["key"])
    try:
        got, want = web.get(f"/ui/brands/{b}/glossary"), web.get(f"/ui/brands/{MISSING_BRAND}/glossary")
        assert got.status_code == want.status_code == 404
        assert _swap(got.text, b, MISSING_BRAND) == want.text
        assert web.get(f"/ui/brands/{a}/glossary").status_code == 200
        assert web.get(f"/ui/brands/{b}").status_code == 404
        brands_page = web.get("/ui/brands").text
        assert f"/ui/brands/{a}" in brands_page and f"/ui/brands/{b}" not in brands_page
        assert tenants["desk_b"] not in web.get("/ui/integrations").text
        keys_page = web.get("/ui/keys").text
        assert tenants["keys"]["editor"]["id"] in keys_page
        assert all(k["id"] not in keys_page for k in admin.get("/v1/keys").json() if k["brands"] is None)
        r = web.post("/ui/keys", data={"csrf": csrf, "role": "helpdesk", "brands": "all"})
        assert r.status_code == 403
        r = web.post("/ui/keys", data={"csrf": csrf, "role": "helpdesk", "brands": b})
        assert r.status_code == 404
        r = web.post(f"/ui/brands/{b}/glossary", data={"csrf": csrf, "kind": "dnt", "source": "Sneaky"})
        assert r.status_code == 404
        # The audit page: A's changes (this admin's glossary entry among them), nothing of B's.
        shown = web.get("/ui/audit", params={"kind": "glossary"})
        assert shown.status_code == 200 and "admin of A" in shown.text
        assert f"<td>{b}</td>" not in shown.text and f"<td>{a}</td>" in shown.text
        assert web.get("/ui/audit", params={"brand": b}).status_code == 404
    finally:
        web.close()
    assert "Sneaky" not in admin.get(f"/v1/brands/{b}/glossary").text
    everyone, _ = _web(gateway, ADMIN_KEY)
    try:
        assert "es-it" in everyone.get("/ui/dashboard", params={"period": "1h"}).text  # the gateway's counters
    finally:
        everyone.close()


def test_in_a_real_browser_a_editor_meets_only_a(gateway, client, tenants, page) -> None:
    """Debian's Chromium, signed in with A's editor key: B's item is not in the queue and its page is not found."""
    a, b = tenants["a"], tenants["b"]
    text = "Your zorblax refund is on its way."
    item_a, item_b = queue(client, a, text=text)["review_id"], queue(client, b, text=text)["review_id"]
    sign_in(page, gateway.url, tenants["keys"]["editor"]["key"])
    page.goto(gateway.url + "/ui/review?status=all")
    body = page.content()
    assert item_a in body and item_b not in body
    assert page.locator("select[name=brand] option", has_text=a).count() == 1
    assert page.locator("select[name=brand] option", has_text=b).count() == 0
    response = page.goto(gateway.url + f"/ui/review/{item_b}")
    assert response is not None and response.status == 404
    assert f"no review item {item_b!r}" in page.content()
