"""The engine-corrections page: an admin switches a shipped correction off and adds one, in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import ADMIN_KEY
from tests.gateway.ui_support import _browser, _page, sign_in  # noqa: F401


def _translate(client, text: str) -> str:
    r = client.post("/v1/translate", json={"text": text, "source_lang": "en", "target_lang": "es"})
    assert r.status_code == 200, r.text
    return r.json()["translations"][0]["text"]


def test_admin_switches_a_correction_off_and_adds_one(gateway, admin, client, page: Page) -> None:
    sign_in(page, gateway.url, ADMIN_KEY, "/ui/?next=/ui/corrections")
    expect(page.get_by_role("heading", level=1)).to_have_text("Engine corrections: apertium en→es")
    page.get_by_label("Search", exact=True).fill("grifo")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="Switch off grifo", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Switched grifo off")
    try:
        assert "rifo" in _translate(client, "Tap the red button.")

        page.get_by_label("Id", exact=True).fill("tap-ui")
        page.get_by_label("Kind", exact=True).select_option("source")
        page.get_by_label("Match", exact=True).fill("tap")
        page.get_by_label("Replace", exact=True).fill("pulsa")
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.locator(".flash.ok")).to_contain_text("Added tap-ui")
        assert _translate(client, "Tap the red button.").startswith("Pulsa")

        page.get_by_label("Id", exact=True).fill("broken")
        page.get_by_label("Kind", exact=True).select_option("target")
        page.get_by_label("Match", exact=True).fill("(unclosed")
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.locator(".flash.error")).to_contain_text("not a valid regular expression")

        page.get_by_role("button", name="Remove tap-ui", exact=True).click()
        expect(page.locator(".flash.ok")).to_contain_text("Removed tap-ui")
    finally:
        admin.delete("/v1/corrections/apertium/en-es/tap-ui")
        admin.patch("/v1/corrections/apertium/en-es/grifo", json={"enabled": True})
    assert "rifo" not in _translate(client, "Tap the red button.")
    history = admin.get("/v1/corrections/apertium/en-es/history").json()["changes"]
    assert any(
        h["who"].startswith("key:") and h["action"] == "add" and h["correction"]["id"] == "tap-ui" for h in history
    )
