"""The web app for admins (glossary, brands, keys, integrations, dashboard) and its sign-in security."""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.conftest import ADMIN_KEY
from tests.gateway.ui_support import _browser, _page, run_async, sign_in, signed_in_client  # noqa: F401
from tests.helpdesk_fixtures import FAKE_TOKENS, fake_helpdesks_fixture, helpdesks_fixture  # noqa: F401
from tests.integration_stack import SECRET, Sender, add_integration, chatwoot_message, wait_for, zendesk_trigger

SPANISH = "Hola, mi pedido no ha llegado todavía y necesito ayuda."

BAD_CSV = (
    "kind,source_lang,target_lang,source,target,case_sensitive,note\n"
    "term,en,es,order,pedido,false,\n"
    "term,en,es,refund,,false,missing its target\n"
    "dnt,,,Shop Pay,,true,brand\n"
)


def _brand(admin: httpx.Client) -> str:
    name = "ui-" + secrets.token_hex(4)
    r = admin.put(f"/v1/brands/{name}", json={"languages": ["en", "es"]})
    assert r.status_code == 201, r.text
    return name


def test_a_csv_with_one_bad_line_shows_that_line_and_imports_nothing(gateway, admin, page: Page) -> None:
    brand = _brand(admin)
    sign_in(page, gateway.url, ADMIN_KEY, f"/ui/?next=/ui/brands/{brand}/glossary")
    page.get_by_text("Import a file (CSV, TSV or TBX)").click()
    page.get_by_label("File").set_input_files(
        files=[{"name": "terms.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("Nothing was imported")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr td").first).to_have_text("3")
    expect(errors.locator("tbody tr td").nth(1)).to_contain_text("target")
    assert admin.get(f"/v1/brands/{brand}/glossary").json()["total"] == 0

    page.get_by_label("File").set_input_files(
        files=[
            {
                "name": "terms.csv",
                "mimeType": "text/csv",
                "buffer": BAD_CSV.replace(",,false,missing", ",reembolso,false,fixed").encode(),
            }
        ]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".flash.ok")).to_contain_text("Imported 3 entries (merge): 3 added")
    assert admin.get(f"/v1/brands/{brand}/glossary").json()["total"] == 3
    for fmt, marker in (("CSV", "term,en,es,refund,reembolso"), ("TBX", "<term>reembolso</term>")):
        with page.expect_download() as download:
            page.get_by_role("link", name=fmt, exact=True).click()
        assert download.value.suggested_filename == f"{brand}-glossary-v1.{fmt.lower()}"
        assert marker in Path(download.value.path()).read_text(encoding="utf-8")


def test_admin_adds_edits_searches_and_deletes_a_term(gateway, admin, page: Page) -> None:
    brand = _brand(admin)
    sign_in(page, gateway.url, ADMIN_KEY, f"/ui/?next=/ui/brands/{brand}/glossary")
    page.get_by_text("Add an entry").click()
    form = page.locator("#add-term")
    form.get_by_label("Source", exact=True).fill("order")
    form.get_by_label("Target", exact=True).fill("orden")
    form.get_by_label("Source lang").fill("en")
    form.get_by_label("Target lang").fill("es")
    form.get_by_role("button", name="Add").click()
    expect(page.locator(".flash.ok")).to_contain_text("Added “order”")
    [term] = admin.get(f"/v1/brands/{brand}/glossary").json()["terms"]
    row = page.locator(f"#term-{term['id']}")
    expect(row).to_contain_text("orden")

    row.get_by_role("link", name="Edit").click()
    page.get_by_label("Target", exact=True).fill("pedido")
    page.get_by_label("Variants").fill("pedidos")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash.ok")).to_contain_text("Saved “order”")
    expect(row).to_contain_text("pedido")
    assert admin.get(f"/v1/brands/{brand}/glossary/terms/{term['id']}").json()["variants"] == ["pedidos"]

    page.get_by_role("searchbox", name="Search").fill("nothing-like-this")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.glossary")).to_contain_text("No entries match")
    page.goto(f"{gateway.url}/ui/brands/{brand}/glossary?q=pedi")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#term-{term['id']}").get_by_role("button", name="Delete").click()
    expect(page.locator(".flash.ok")).to_contain_text("Deleted “order”")
    assert admin.get(f"/v1/brands/{brand}/glossary").json()["total"] == 0


def test_brand_settings_and_tone_profile(gateway, admin, page: Page) -> None:
    brand = _brand(admin)
    sign_in(page, gateway.url, ADMIN_KEY, f"/ui/?next=/ui/brands/{brand}")
    page.get_by_label("Name shown").fill("Acme <b>Outdoor</b>")
    page.get_by_label("es", exact=True).select_option("formal")
    page.get_by_label("de", exact=True).select_option("informal")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Saved the settings of {brand}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme <b>Outdoor</b>")
    got = admin.get(f"/v1/brands/{brand}").json()
    assert got["tone"] == {"es": "formal", "de": "informal"} and got["display_name"] == "Acme <b>Outdoor</b>"
    page.get_by_label("Review below confidence (blank: the gateway default)").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash.error")).to_contain_text("review_below")


def test_keys_are_created_once_and_revoking_ends_the_session(gateway, admin, browser, page: Page) -> None:
    sign_in(page, gateway.url, ADMIN_KEY, "/ui/?next=/ui/keys")
    page.get_by_label("Label").fill("Bea")
    page.get_by_label("Pairs (editors; blank: all)").fill("en-es")
    page.get_by_role("button", name="Create key").click()
    token = page.locator("#new-key").input_value()
    assert token.startswith("tg_")
    key_id = token.split("_")[1]
    assert next(k for k in admin.get("/v1/keys").json() if k["id"] == key_id)["pairs"] == ["en-es"]

    bea = browser.new_context().new_page()
    sign_in(bea, gateway.url, token)
    expect(bea.locator(".who")).to_contain_text("Bea · editor · en-es")
    expect(bea.get_by_role("link", name="API keys")).to_have_count(0)  # editors see no admin pages
    assert bea.goto(f"{gateway.url}/ui/keys").status == 403  # type: ignore[union-attr]

    page.goto(f"{gateway.url}/ui/keys")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#key-{key_id}").get_by_role("button", name="Revoke").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Revoked key {key_id}")
    bea.goto(f"{gateway.url}/ui/review")
    expect(bea.get_by_role("button", name="Sign in")).to_be_visible()
    bea.context.close()


def test_the_session_cookie_is_locked_down_and_sign_out_ends_it(gateway, page: Page) -> None:
    sign_in(page, gateway.url, ADMIN_KEY)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "tg_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"
    assert 0 < cookie["expires"] - time.time() <= 8 * 3600 + 60
    assert ADMIN_KEY not in str(page.context.cookies()) and ADMIN_KEY not in page.content()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(f"{gateway.url}/ui/review")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_sessions_slide_but_end_a_day_after_sign_in_or_with_their_key(redis_url) -> None:
    from redis.asyncio import Redis

    from gateway.keys import KeyStore, Role
    from gateway.ui.sessions import _PREFIX, SESSION_MAX_AGE_S, SESSION_TTL_S, SessionStore

    async def run() -> None:
        redis = Redis.from_url(redis_url)
        keys = KeyStore(redis)
        key, _ = await keys.create(Role.editor, "Ana", created_by="test")
        store = SessionStore(redis, keys)
        session = await store.create(key)
        assert (await store.load(session.id))[1].id == key.id  # type: ignore[index]
        assert SESSION_TTL_S - 5 <= await redis.ttl(_PREFIX + session.id) <= SESSION_TTL_S
        session.created_at -= SESSION_MAX_AGE_S + 1  # busy all day long: still ends
        await store.save(session)
        assert await store.load(session.id) is None and not await redis.exists(_PREFIX + session.id)
        other = await store.create(key)
        await keys.revoke(key.id)
        assert await store.load(other.id) is None
        assert await store.load("") is None and await store.load("x" * 500) is None
        await redis.aclose()

    run_async(run())


def test_posts_without_the_csrf_token_are_refused(gateway, admin) -> None:
    brand = _brand(admin)
    c, csrf = signed_in_client(gateway.url, ADMIN_KEY)
    with contextlib.closing(c):
        for token in (None, "forged-token"):
            data = {"kind": "dnt", "source": "Shop Pay"} | ({"csrf": token} if token else {})
            r = c.post(f"/ui/brands/{brand}/glossary", data=data)
            assert r.status_code == 403 and "CSRF" in r.text
        assert admin.get(f"/v1/brands/{brand}/glossary").json()["total"] == 0
        r = c.post(f"/ui/brands/{brand}/glossary", data={"kind": "dnt", "source": "Shop Pay", "csrf": csrf})
        assert r.status_code == 303
        r = c.post(
            f"/ui/brands/{brand}/glossary", data={"kind": "dnt", "source": "Shop"}, headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 303  # htmx sends the token as a header
        assert admin.get(f"/v1/brands/{brand}/glossary").json()["total"] == 2
        cookie = c.cookies.get("tg_session")
    assert cookie
    # Sign-in has its own token: a cross-site form cannot sign a victim in either.
    with httpx.Client(base_url=gateway.url, timeout=30) as fresh:
        r = fresh.post("/ui/signin", data={"key": ADMIN_KEY})
        assert r.status_code == 403 and "tg_session" not in r.headers.get("set-cookie", "")


def test_every_form_of_the_app_needs_the_csrf_token(gateway) -> None:
    from gateway.ui import admin_pages, auth_pages, glossary_pages, review_pages, status_pages

    modules = (auth_pages, review_pages, glossary_pages, admin_pages, status_pages)
    posts = [r.path for m in modules for r in m.router.routes if "POST" in r.methods]  # type: ignore[attr-defined]
    assert len(posts) >= 15, posts
    c, _ = signed_in_client(gateway.url, ADMIN_KEY)
    with contextlib.closing(c):
        for path in posts:
            r = c.post(re.sub(r"\{[^}]+\}", "x", path), data={"csrf": "forged"})
            assert r.status_code == 403, (path, r.status_code, r.text[:200])
        assert c.get("/ui/review").status_code == 200  # still signed in: nothing was done


def test_dashboard_charts_the_traffic(gateway, admin, client, page: Page) -> None:
    r = client.post("/v1/translate", json={"text": "Where is my parcel?", "source_lang": "en", "target_lang": "es",
                                           "direction": "inbound"})  # fmt: skip
    assert r.status_code == 200
    sign_in(page, gateway.url, ADMIN_KEY, "/ui/?next=/ui/dashboard%3Fperiod%3D1h")
    expect(page.locator("nav.periods [aria-current=page]")).to_have_text("Last hour")
    expect(page.locator("#pair-table")).to_contain_text("en-es inbound")
    for chart in ("volume", "flagged_share", "latency_ms"):
        expect(page.locator(f"[data-chart={chart}] .uplot")).to_have_count(1)
    assert int(page.locator("#kpi-volume").inner_text().replace(",", "")) >= 1
    page.get_by_role("link", name="Last 30 days").click()
    expect(page.locator("#pair-table")).to_contain_text("en-es inbound")


def test_an_admin_fixes_a_refused_token_and_redrives_the_dead_letter(gateway, admin, helpdesks, page: Page) -> None:
    desk = helpdesks["zendesk"]
    name = "ui-zd-" + secrets.token_hex(3)
    add_integration(admin, name, desk, api_token="agent@example.com/token:wrong")
    ticket = secrets.randbelow(10**6)
    sent = Sender(gateway.url, name, "zendesk").send(zendesk_trigger(ticket, ticket, SPANISH))
    assert sent.status_code == 202, sent.text
    letters = lambda: admin.get("/v1/deadletters", params={"integration": name}).json()["items"]  # noqa: E731
    wait_for(letters, what="the refused note in the dead letters")

    sign_in(page, gateway.url, ADMIN_KEY, "/ui/?next=/ui/integrations")
    row = page.locator(f"#integration-{name}")
    expect(row).to_contain_text("zendesk")
    expect(row.locator("td").nth(2)).to_contain_text("UTC")  # the last webhook
    expect(row.locator("td.error-text")).to_contain_text("401")
    row.get_by_role("link", name="1", exact=True).click()  # its dead letters
    listed = page.locator("#dead-letters tbody tr")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(str(ticket))
    expect(listed).to_contain_text("401")

    row.get_by_text("New token").click()
    row.get_by_label(f"API token for {name}").fill(FAKE_TOKENS["zendesk"])
    row.get_by_role("button", name="Save token").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"{name}: new API token saved")
    assert not desk.messages(str(ticket))
    page.goto(f"{gateway.url}/ui/integrations?integration={name}")
    page.locator("#dead-letters").get_by_role("button", name="Re-drive").click()
    expect(page.locator(".flash.ok")).to_contain_text("back to work")
    wait_for(lambda: desk.messages(str(ticket)), what="the re-driven note in the helpdesk")
    assert letters() == []
    expect(page.get_by_text(f"No dead letters for {name}")).to_be_visible()

    page.locator(f"#integration-{name}").get_by_role("button", name=f"Disable {name}").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"{name}: disabled")
    expect(page.locator(f"#integration-{name} .badge")).to_have_text("disabled")
    assert admin.get(f"/v1/integrations/{name}").json()["enabled"] is False


def test_an_admin_connects_a_helpdesk_from_the_page_and_deletes_it(gateway, admin, helpdesks, page: Page) -> None:
    desk = helpdesks["chatwoot"]
    name = "ui-cw-" + secrets.token_hex(3)
    sign_in(page, gateway.url, ADMIN_KEY, "/ui/?next=/ui/integrations")
    form = page.get_by_role("form", name="Connect a helpdesk")

    def open_form() -> None:  # open already when no integration exists yet
        if page.locator("#connect").get_attribute("open") is None:
            page.locator("#connect summary").click()

    open_form()
    form.get_by_label("Name").fill(name)
    form.get_by_label("Helpdesk", exact=True).select_option("chatwoot")
    form.get_by_label("Helpdesk URL").fill(desk.url)
    form.get_by_label("API token").fill(FAKE_TOKENS["chatwoot"])
    form.get_by_label("Webhook secret").fill(SECRET)
    form.get_by_label("Agent language").fill("en")
    form.get_by_role("button", name="Connect").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"/v1/webhooks/{name}")
    expect(page.locator(f"#integration-{name}")).to_contain_text("chatwoot")
    stored = admin.get(f"/v1/integrations/{name}").json()
    assert stored["has_api_token"] and stored["webhook_secrets"] == 1 and stored["brand"] == "demo"

    # It works: a signed Chatwoot webhook becomes a note in the fake Chatwoot.
    conversation = secrets.randbelow(10**6)
    sent = Sender(gateway.url, name, "chatwoot").send(chatwoot_message(conversation, conversation, SPANISH))
    assert sent.status_code == 202, sent.text
    wait_for(lambda: desk.messages(str(conversation)), what="the note of the new integration")

    # Refused with the reason, and nothing changes: a field missing, then a name taken.
    open_form()
    form.get_by_label("Name").fill(name + "-b")
    form.get_by_label("Webhook secret").fill("another-secret-0123456789")
    form.get_by_role("button", name="Connect").click()
    expect(page.locator(".flash.error")).to_contain_text("base_url is required")
    assert admin.get(f"/v1/integrations/{name}-b").status_code == 404
    open_form()
    form.get_by_label("Name").fill(name)
    form.get_by_label("Helpdesk URL").fill(desk.url)
    form.get_by_label("API token").fill(FAKE_TOKENS["chatwoot"])
    form.get_by_label("Webhook secret").fill("another-secret-0123456789")
    form.get_by_role("button", name="Connect").click()
    expect(page.locator(".flash.error")).to_contain_text("exists")
    still = Sender(gateway.url, name, "chatwoot").send(chatwoot_message(conversation + 2, conversation, SPANISH))
    assert still.status_code == 202, still.text  # signed with the first secret: it was not replaced

    page.once("dialog", lambda d: d.accept())
    page.locator(f"#integration-{name}").get_by_role("button", name=f"Delete {name}").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Deleted {name}")
    assert admin.get(f"/v1/integrations/{name}").status_code == 404
    again = Sender(gateway.url, name, "chatwoot").send(chatwoot_message(conversation + 1, conversation, SPANISH))
    assert again.status_code == 404


def test_an_excel_semicolon_csv_imports_and_an_unchanged_one_changes_nothing(gateway, admin, page: Page) -> None:
    brand = _brand(admin)
    excel = "\ufeffsep=;\r\n" + BAD_CSV.replace(",,false,missing its target", ",reembolso,FALSO,").replace(",", ";")
    sign_in(page, gateway.url, ADMIN_KEY, f"/ui/?next=/ui/brands/{brand}/glossary")
    for flash in ("Imported 3 entries (merge): 3 added", "Nothing changed: the glossary already holds the file's 3"):
        page.get_by_text("Import a file (CSV, TSV or TBX)").click()
        page.get_by_label("File").set_input_files(
            files=[{"name": "terms.csv", "mimeType": "text/csv", "buffer": excel.encode()}]
        )
        page.get_by_role("button", name="Import").click()
        expect(page.locator(".flash.ok")).to_contain_text(flash)
    assert admin.get(f"/v1/brands/{brand}/glossary").json()["version"] == 1
