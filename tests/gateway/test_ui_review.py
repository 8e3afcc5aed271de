"""The web app for editors, in a real headless Chromium against the live gateway and its real Redis."""

from __future__ import annotations

import itertools
import re
import secrets
import time

import httpx
from playwright.sync_api import Page, expect

from tests.conftest import ADMIN_KEY
from tests.gateway.test_review import DOUBTFUL, new_brand, queue
from tests.gateway.ui_support import _browser, _page, drop_items, new_key, seed_items, sign_in  # noqa: F401
from tests.helpdesk_fixtures import fake_helpdesks_fixture, helpdesks_fixture  # noqa: F401 (pytest fixtures)
from tests.helpdesks import FakeHelpdesk
from tests.integration_stack import Sender, add_integration, chatwoot_message, wait_for

SPANISH = "Hola, mi pedido no ha llegado todavía y necesito ayuda."
_ids = itertools.count(int(time.time()) % 10**6 * 100)


def test_a_wrong_key_is_refused_with_a_message(gateway, helpdesk_key, page: Page) -> None:
    sign_in(page, gateway.url, "tg_000000000000_not-a-real-key")
    expect(page.locator("#signin-error")).to_have_text("That API key is unknown or has been revoked.")
    sign_in(page, gateway.url, helpdesk_key)  # a machine's key is not a person's
    expect(page.locator("#signin-error")).to_contain_text("A helpdesk key cannot use the web app")
    assert page.url.startswith(gateway.url + "/ui/")
    page.goto(gateway.url + "/ui/review")  # no session: back to sign-in
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def _conversation(gateway, admin: httpx.Client, desk: FakeHelpdesk, brand: str) -> tuple[Sender, int]:
    """A Chatwoot integration for the brand and a conversation whose customer writes Spanish."""
    name = "ui-cw-" + secrets.token_hex(3)
    add_integration(admin, name, desk, brand=brand)
    cw, conversation = Sender(gateway.url, name, "chatwoot"), secrets.randbelow(10**6)
    assert cw.send(chatwoot_message(next(_ids), conversation, SPANISH)).status_code == 202
    wait_for(lambda: desk.messages(str(conversation)), what="the customer's message as a note")
    return cw, conversation


def _agent_reply(admin: httpx.Client, cw: Sender, conversation: int, brand: str, text: str) -> str:
    """The agent answers in English through the helpdesk; the doubtful translation waits for review."""
    reply = chatwoot_message(next(_ids), conversation, "/tr " + text, customer=False, private=True)
    assert cw.send(reply).status_code == 202
    found: list[str] = []

    def queued() -> bool:
        items = admin.get("/v1/review", params={"brand": brand, "limit": 200}).json()["items"]
        found[:] = [i["id"] for i in items if i["source"] == text]
        return bool(found)

    wait_for(queued, what=f"a review item for {text!r}")
    return found[0]


def _public(desk: FakeHelpdesk, conversation: int) -> list[str]:
    return [m.text for m in desk.messages(str(conversation)) if not m.internal]


def test_editor_edits_and_approves_and_the_helpdesk_receives_the_text(gateway, admin, helpdesks, page) -> None:
    desk = helpdesks["chatwoot"]
    brand = new_brand(admin)
    cw, conversation = _conversation(gateway, admin, desk, brand)
    first = _agent_reply(admin, cw, conversation, brand, DOUBTFUL)
    ana = new_key(admin, "editor", label="Ana")
    sign_in(page, gateway.url, ana["key"], f"/ui/?next=/ui/review%3Fbrand%3D{brand}")
    assert page.url.endswith(f"/ui/review?brand={brand}")
    expect(page.locator("#queue-total")).to_have_text("1")
    expect(page.locator(f"#item-{first}")).to_have_text(DOUBTFUL)
    countdown = page.locator("time.countdown").first
    expect(countdown).to_contain_text(re.compile(r"^in \d+ min \d+ s$"))  # the script replaced the date
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=3_000)  # ... and it keeps counting down

    # A new item shows up without a reload: the page's own state survives, the row is marked new.
    page.evaluate("window.__same_page = true")
    second_text = "Hello, your zorblax order has shipped today."
    second = _agent_reply(admin, cw, conversation, brand, second_text)
    expect(page.locator(f"#item-{second}")).to_be_visible(timeout=15_000)
    expect(page.locator("#queue-total")).to_have_text("2")
    expect(page.locator(f"tr[data-id='{second}']")).to_have_class(re.compile(r"\bnew\b"))
    expect(page.locator("#queue-news")).to_contain_text("Queue updated: 2 items, 1 new")
    assert page.evaluate("window.__same_page") is True

    # Keyboard: j and k move between the items, Enter opens one.
    rows = [page.locator("a.item-link").nth(i).get_attribute("id") for i in range(2)]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == rows[1]
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.id") == rows[0]
    page.locator(f"#item-{first}").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Source (en)")).to_be_visible()
    assert f"/ui/review/{first}" in page.url
    expect(page.locator("#source-text")).to_have_text(DOUBTFUL)
    expect(page.locator("#claim")).to_contain_text("nobody")
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#claim")).to_contain_text("Ana (you)")
    assert admin.get(f"/v1/review/{first}").json()["claimed_by"] == f"key:{ana['id']}"
    edited = "Hola, su pedido zorblax ha sido enviado (revisado por Ana)."
    assert not _public(desk, conversation)  # nothing reached the customer before approval
    page.get_by_label("The text the customer will get").fill(edited)
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash.ok")).to_contain_text("Approved")
    assert page.url.endswith(f"/ui/review?brand={brand}")  # back to the queue it came from
    wait_for(lambda: _public(desk, conversation), what="the approved reply in the helpdesk")
    assert _public(desk, conversation) == [edited]

    # The second one by keyboard alone: the post-edit box has the focus, Alt+1 inserts the memory's
    # suggestion (the text approved a moment ago), Ctrl+Enter approves (and claims).
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator("#source-text")).to_have_text(second_text)
    assert page.evaluate("document.activeElement.id") == "post-edit"
    expect(page.locator("ol.suggestions")).to_contain_text(edited)
    page.keyboard.press("Alt+1")
    assert page.get_by_label("The text the customer will get").input_value() == edited
    page.keyboard.press("End")
    page.keyboard.type(" Hoy.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".flash.ok")).to_contain_text("Approved")
    wait_for(lambda: len(_public(desk, conversation)) == 2, what="the second approved reply")
    assert _public(desk, conversation)[1] == edited + " Hoy."
    detail = admin.get(f"/v1/review/{second}").json()
    assert detail["status"] == "approved" and detail["decided_by"] == f"key:{ana['id']}"


def test_reject_needs_a_reason_and_delivers_nothing(gateway, admin, client, page) -> None:
    brand = new_brand(admin)
    rid = queue(client, brand)["review_id"]
    sign_in(page, gateway.url, new_key(admin, "editor")["key"])
    page.goto(f"{gateway.url}/ui/review/{rid}")
    page.get_by_role("button", name="Reject").click()  # no reason: the browser holds the form back
    assert admin.get(f"/v1/review/{rid}").json()["status"] == "pending"
    # By keyboard: Alt+R goes to the reason, Alt+R again (with a reason) rejects.
    page.get_by_label("The text the customer will get").focus()
    page.keyboard.press("Alt+r")
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.type("Wrong product name; the agent rewrites it.")
    page.keyboard.press("Alt+r")
    expect(page.locator(".flash.ok")).to_contain_text("Rejected")
    item = admin.get(f"/v1/review/{rid}").json()
    assert item["status"] == "rejected" and item["reason"] == "Wrong product name; the agent rewrites it."


def test_an_item_held_by_another_editor_says_who_and_cannot_be_taken(gateway, admin, client, page) -> None:
    brand = new_brand(admin)
    rid = queue(client, brand)["review_id"]
    ana = new_key(admin, "editor", label="Ana")
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {ana['key']}"}) as as_ana:
        assert as_ana.post(f"/v1/review/{rid}/claim", json={}).status_code == 200
    sign_in(page, gateway.url, new_key(admin, "editor", label="Ben")["key"])
    page.goto(f"{gateway.url}/ui/review?brand={brand}")
    expect(page.locator(f"tr[data-id='{rid}'] td").last).to_have_text("Ana")
    page.locator(f"#item-{rid}").click()
    expect(page.locator("#claim")).to_contain_text("held by Ana; the claim ends in 4 min")
    page.get_by_label("The text the customer will get").fill("Hola.")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash.error")).to_contain_text(f"review item {rid} is claimed by Ana for another")
    expect(page.get_by_label("The text the customer will get")).to_be_visible()  # still on the item
    item = admin.get(f"/v1/review/{rid}").json()
    assert item["status"] == "claimed" and item["claimed_by"] == f"key:{ana['id']}"


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


def test_the_item_page_marks_terms_and_tone_in_both_texts_and_explains_why(gateway, admin, gateway_redis, page) -> None:
    brand = "ui-marks-" + secrets.token_hex(3)
    r = admin.put(f"/v1/brands/{brand}", json={"languages": ["en", "es"], "tone": {"es": "formal"}})
    assert r.status_code == 201, r.text
    for term in ({"kind": "term", "source": "order", "target": "pedido", "source_lang": "en", "target_lang": "es"},
                 {"kind": "dnt", "source": "Zorblax"}):  # fmt: skip
        assert admin.post(f"/v1/brands/{brand}/glossary", json=term).status_code == 201
    [rid] = seed_items(
        gateway_redis.url, brand, 1, source="Your Zorblax order has shipped.", mt="Tu pedido Zorblax ha salido."
    )
    sign_in(page, gateway.url, new_key(admin, "editor")["key"])
    page.goto(f"{gateway.url}/ui/review/{rid}")
    source, mt = page.locator("#source-text"), page.locator("#mt-text")
    expect(source).to_have_text("Your Zorblax order has shipped.")  # marks add no text
    expect(source.locator("mark.term")).to_have_text("order")
    expect(source.locator("mark.dnt")).to_have_text("Zorblax")
    expect(mt.locator("mark.term")).to_have_text("pedido")
    expect(mt.locator("mark.dnt")).to_have_text("Zorblax")
    expect(mt.locator("mark.tone")).to_have_text("Tu")
    assert "formal" in (mt.locator("mark.tone").get_attribute("title") or "")
    why = page.locator("ul.signals")
    expect(why).to_contain_text("Translated back, the meaning changed: the round trip lost the meaning")
    expect(why).to_contain_text("“order” must be translated as “pedido”")
    expect(why).to_contain_text("informal possessive")


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
            # Polled again with nothing changed: 204, so the browser swaps nothing.
            seen = re.search(r'id="queue-seen" name="seen" value="([0-9a-f]+)"', r.text).group(1)  # type: ignore[union-attr]
            again = c.get("/ui/review/rows", params={"brand": brand, "offset": 9_990, "seen": seen})
            assert again.status_code == 204 and again.text == ""
            moved = c.get("/ui/review/rows", params={"brand": brand, "offset": 9_980, "seen": seen})
            assert moved.status_code == 200 and moved.text.count('class="item-link"') == 20
    finally:
        drop_items(gateway_redis.url, brand, ids)


def test_the_item_page_marks_terms_and_forbidden_words_in_inflected_forms(gateway, admin, gateway_redis, page) -> None:
    brand = "ui-forms-" + secrets.token_hex(3)
    r = admin.put(f"/v1/brands/{brand}", json={"languages": ["en", "es"]})
    assert r.status_code == 201, r.text
    for term in ({"kind": "term", "source": "order", "target": "pedido", "source_lang": "en", "target_lang": "es"},
                 {"kind": "forbidden", "source": "coger", "target": "tomar", "target_lang": "es"}):  # fmt: skip
        assert admin.post(f"/v1/brands/{brand}/glossary", json=term).status_code == 201
    [rid] = seed_items(
        gateway_redis.url, brand, 1, source="Your orders will catch the bus.", mt="Sus pedidos cogerán el autobús."
    )
    sign_in(page, gateway.url, new_key(admin, "editor")["key"])
    page.goto(f"{gateway.url}/ui/review/{rid}")
    source, mt = page.locator("#source-text"), page.locator("#mt-text")
    expect(source.locator("mark.term")).to_have_text("orders")
    expect(mt.locator("mark.term")).to_have_text("pedidos")
    expect(mt.locator("mark.forbidden")).to_have_text("cogerán")
    why = page.locator("ul.signals")
    expect(why).not_to_contain_text("not found in the translation")
    expect(why).to_contain_text("the brand never writes “cogerán”; use “tomar”")
