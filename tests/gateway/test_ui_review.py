"""The web app for editors, in a real headless Chromium against the live gateway and its real Redis."""

from __future__ import annotations

import secrets
import time

import httpx
from playwright.sync_api import Page, expect

from tests.conftest import ADMIN_KEY
from tests.gateway.test_review import DOUBTFUL, new_brand, queue, wait_for
from tests.gateway.ui_support import _browser, _page, _receiver, drop_items, new_key, seed_items, sign_in  # noqa: F401


def test_a_wrong_key_is_refused_with_a_message(gateway, page: Page) -> None:
    sign_in(page, gateway.url, "tg_000000000000_not-a-real-key")
    expect(page.locator("#signin-error")).to_have_text("That API key is unknown or has been revoked.")
    assert page.url.startswith(gateway.url + "/ui/")
    page.goto(gateway.url + "/ui/review")  # no session: back to sign-in
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_editor_edits_and_approves_and_the_helpdesk_receives_the_text(gateway, admin, client, receiver, page) -> None:
    hook = receiver()
    brand = new_brand(admin)
    first = queue(client, brand, callback_url=hook.url)["review_id"]
    ana = new_key(admin, "editor", label="Ana")
    sign_in(page, gateway.url, ana["key"], f"/ui/?next=/ui/review%3Fbrand%3D{brand}")
    assert page.url.endswith(f"/ui/review?brand={brand}")
    expect(page.locator("#queue-total")).to_have_text("1")
    expect(page.locator(f"#item-{first}")).to_have_text(DOUBTFUL)
    expect(page.locator("time.countdown").first).to_contain_text("in ")  # the live countdown ran

    # A new item shows up without a reload (the list is polled).
    second = queue(client, brand, callback_url=hook.url, text="Your zorblax refund is on its way.")["review_id"]
    expect(page.locator(f"#item-{second}")).to_be_visible(timeout=10_000)
    expect(page.locator("#queue-total")).to_have_text("2")

    page.locator(f"#item-{first}").click()
    expect(page.get_by_role("heading", name="Source (en)")).to_be_visible()
    expect(page.locator("#source-text")).to_have_text(DOUBTFUL)
    expect(page.locator("#claim")).to_contain_text("nobody")
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#claim")).to_contain_text("Ana (you)")
    edited = "Hola, su pedido zorblax ha sido enviado (revisado por Ana)."
    page.get_by_label("The text the customer will get").fill(edited)
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash.ok")).to_contain_text("Approved")
    wait_for(lambda: any(d["review_id"] == first for d in hook.delivered()))
    [delivered] = [d for d in hook.delivered() if d["review_id"] == first]
    assert delivered["text"] == edited and delivered["kind"] == "approved"

    # The second one by keyboard alone: no claim first (approving takes it), Ctrl+Enter in the text box.
    page.goto(f"{gateway.url}/ui/review/{second}")
    box = page.get_by_label("The text the customer will get")
    box.fill("Su reembolso zorblax está en camino.")
    box.press("Control+Enter")
    expect(page.locator(".flash.ok")).to_contain_text("Approved")
    wait_for(lambda: any(d["review_id"] == second for d in hook.delivered()))
    assert [d["text"] for d in hook.delivered() if d["review_id"] == second] == ["Su reembolso zorblax está en camino."]
    detail = admin.get(f"/v1/review/{second}").json()
    assert detail["status"] == "approved" and detail["decided_by"] == f"key:{ana['id']}"
    # Approving from the page feeds the memory and the dashboard, as the API does.
    assert queue(client, brand)["engine"] == "memory"


def test_reject_needs_a_reason_and_delivers_nothing(gateway, admin, client, page) -> None:
    brand = new_brand(admin)
    rid = queue(client, brand)["review_id"]
    sign_in(page, gateway.url, new_key(admin, "editor")["key"])
    page.goto(f"{gateway.url}/ui/review/{rid}")
    page.get_by_label("Reason for rejecting").fill("Wrong product name; the agent rewrites it.")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator(".flash.ok")).to_contain_text("Rejected")
    item = admin.get(f"/v1/review/{rid}").json()
    assert item["status"] == "rejected" and item["reason"] == "Wrong product name; the agent rewrites it."


def test_an_editor_limited_to_a_pair_sees_only_that_pair(gateway, admin, gateway_redis, page) -> None:
    brand = "ui-pairs-" + secrets.token_hex(3)
    assert admin.put(f"/v1/brands/{brand}", json={}).status_code == 201
    [es] = seed_items(gateway_redis.url, brand, 1, pair=("en", "es"), source="Spanish-bound message")
    [fr] = seed_items(gateway_redis.url, brand, 1, pair=("en", "fr"), source="French-bound message")
    sign_in(page, gateway.url, new_key(admin, "editor", pairs=["en-fr"])["key"])
    page.goto(f"{gateway.url}/ui/review?brand={brand}")
    expect(page.locator("#queue-total")).to_have_text("1")
    expect(page.locator(f"#item-{fr}")).to_have_text("French-bound message")
    expect(page.locator(f"#item-{es}")).to_have_count(0)
    response = page.goto(f"{gateway.url}/ui/review/{es}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("en-fr only")


def test_markup_in_a_message_is_shown_as_text_and_never_runs(gateway, admin, client, page) -> None:
    brand = new_brand(admin)
    evil = 'Hello <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=1"> your zorblax.'
    rid = queue(client, brand, text=evil)["review_id"]
    sign_in(page, gateway.url, ADMIN_KEY)
    page.goto(f"{gateway.url}/ui/review?brand={brand}")
    expect(page.locator(f"#item-{rid}")).to_contain_text("<script>window.__pwned=1</script>")
    page.goto(f"{gateway.url}/ui/review/{rid}")
    expect(page.locator("#source-text")).to_have_text(evil)
    expect(page.locator("#source-text")).to_contain_text('<img src=x onerror="window.__pwned=1">')
    assert page.locator("#source-text img, #mt-text img, main script").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    csp = page.request.get(f"{gateway.url}/ui/review/{rid}").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_the_queue_pages_ten_thousand_items_on_the_server(gateway, admin, gateway_redis, page) -> None:
    brand = "ui-bulk-" + secrets.token_hex(3)
    assert admin.put(f"/v1/brands/{brand}", json={}).status_code == 201
    ids = seed_items(gateway_redis.url, brand, 10_000)
    try:
        sign_in(page, gateway.url, ADMIN_KEY)
        started = time.perf_counter()
        page.goto(f"{gateway.url}/ui/review?brand={brand}")
        expect(page.locator("#queue-total")).to_have_text("10,000")
        assert time.perf_counter() - started < 5
        expect(page.locator("table.queue tbody tr")).to_have_count(50)
        expect(page.locator(".pager")).to_contain_text("1–50 of 10,000")
        page.get_by_role("link", name="Next →").click()
        expect(page.locator(".pager")).to_contain_text("51–100 of 10,000")
        expect(page.locator("table.queue tbody tr")).to_have_count(50)
        # The polled fragment answers fast too, whatever the queue's size.
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        with httpx.Client(base_url=gateway.url, cookies=cookies, timeout=30) as c:
            started = time.perf_counter()
            r = c.get("/ui/review/rows", params={"brand": brand, "offset": 9_990})
            assert r.status_code == 200 and time.perf_counter() - started < 2
            assert r.text.count('class="item-link"') == 10
    finally:
        drop_items(gateway_redis.url, brand, ids)
