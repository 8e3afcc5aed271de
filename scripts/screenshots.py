"""Screenshots of the web app's main pages, for docs/ui.md and the README.

Starts its own Redis and gateway (as the tests do, with real Apertium), fills them with a demo
brand, its glossary, review items made by real translations, two helpdesk integrations (fake
helpdesks on 127.0.0.1, one with a refused token) and 24 hours of made-up dashboard history, then
photographs each page in Debian's headless Chromium at 1366x820. With Pillow installed the PNGs
are reduced to 256 colours, which keeps each one well under 200 KB.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from tests.conftest import ADMIN_KEY, LiveServer  # noqa: E402
from tests.gateway.ui_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.helpdesks import FakeHelpdesk  # noqa: E402
from tests.integration_stack import Sender, add_integration, chatwoot_message, zendesk_trigger  # noqa: E402

VIEWPORT = {"width": 1366, "height": 820}
GLOSSARY = """kind,source_lang,target_lang,source,target,case_sensitive,note
term,en,es,order,pedido,false,never "orden"
term,en,es,refund,reembolso,false,
term,en,es,tracking number,número de seguimiento,false,
term,en,fr,order,commande,false,
term,en,fr,refund,remboursement,false,
dnt,,,Trailpack,,true,product name
dnt,,,Acme Outdoor,,true,brand
forbidden,,es,orden,pedido,false,Latin American usage
term,en,es,store credit,saldo en tienda,false,
term,en,es,warranty,garantía,false,
term,en,ca,order,comanda,false,
term,en,pt,order,encomenda,false,European Portuguese
"""
REPLIES = [  # (text, target language, channel)
    ("Your Trailpack order has shipped and will arrive on Monday.", "es", "chat"),
    ("We have issued a refund to your card; it can take five days to appear.", "es", "email"),
    ("Your order is delayed because the courier lost the parcel.", "fr", "email"),
    ("Please send us a photo of the broken zipper so we can process the warranty.", "es", "chat"),
    ("The tracking number is in the confirmation e-mail we sent you yesterday.", "es", "chat"),
    ("Can you confirm your address? The parcel came back to our warehouse.", "ca", "email"),
    ("Your refund was approved and store credit was added to your account.", "es", "email"),
    ("We are sorry: the Trailpack in blue is sold out until March.", "pt", "chat"),
]


def serve(tmp: Path) -> tuple[EmbeddedRedis, LiveServer]:
    from gateway.app import create_app
    from gateway.settings import load_settings

    store = EmbeddedRedis(tmp / "redis", port=free_port(), fsync="everysec")
    (tmp / "redis").mkdir()
    store.start()
    settings = load_settings(redis_url=store.url, data_dir=tmp / "data", admin_key=ADMIN_KEY)
    server = LiveServer(create_app(settings), free_port())
    server.start()
    return store, server


def fill(gateway: LiveServer, store: EmbeddedRedis, desks: dict[str, FakeHelpdesk]) -> dict[str, str]:
    admin = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=120)

    def ok(r: httpx.Response) -> dict:
        assert r.status_code < 300, r.text
        return r.json() if r.content else {}

    review = {"chat": {"below": 1.0, "deadline_s": 1800}, "email": {"below": 1.0, "deadline_s": 4 * 3600}}
    acme = {
        "display_name": "Acme Outdoor",
        "languages": ["en", "es", "fr", "ca", "pt"],
        "tone": {"es": "formal", "fr": "formal"},
        "review": {"outbound": review},
    }
    ok(admin.put("/v1/brands/acme", json=acme))
    ok(admin.put("/v1/brands/nordlys", json={"display_name": "Nordlys Home", "languages": ["en", "es"]}))
    ok(admin.post("/v1/brands/acme/glossary/import", content=GLOSSARY.encode(), headers={"Content-Type": "text/csv"}))
    maria = ok(admin.post("/v1/keys", json={"role": "admin", "label": "Maria"}))["key"]
    ana = ok(admin.post("/v1/keys", json={"role": "editor", "label": "Ana", "pairs": ["en-es"]}))
    helpdesk = ok(admin.post("/v1/keys", json={"role": "helpdesk", "label": "helpdesk"}))["key"]
    api = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {helpdesk}"}, timeout=120)
    editor = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {ana['key']}"}, timeout=120)

    # One approved reply first, so the translation memory has a suggestion for a similar one.
    first = ok(api.post("/v1/translate", json={"text": "Your Trailpack order has shipped and will arrive on Friday.",
               "source_lang": "en", "target_lang": "es", "brand": "acme", "direction": "outbound", "channel": "chat",
               "conversation_id": "cw/1:311"}))["translations"][0]  # fmt: skip
    ok(editor.post(f"/v1/review/{first['review_id']}/claim", json={}))
    ok(editor.post(f"/v1/review/{first['review_id']}/approve",
                   json={"text": "Su pedido de Trailpack ha salido y llegará el viernes."}))  # fmt: skip
    ids = []
    for n, (text, lang, channel) in enumerate(REPLIES):
        body = {"text": text, "source_lang": "en", "target_lang": lang, "brand": "acme", "direction": "outbound",
                "channel": channel, "conversation_id": f"cw/1:{400 + n}"}  # fmt: skip
        ids.append(ok(api.post("/v1/translate", json=body))["translations"][0]["review_id"])
    ok(editor.post(f"/v1/review/{ids[3]}/claim", json={}))
    for text in ("Where is my parcel?", "I want to return the jacket.", "Thanks, it arrived today!"):
        for target in ("es", "fr"):
            ok(api.post("/v1/translate", json={"text": text, "source_lang": "en", "target_lang": target,
                                               "direction": "inbound"}))  # fmt: skip

    # Integrations: a healthy Chatwoot with some traffic, a Zendesk whose token is refused.
    add_integration(admin, "acme-chatwoot", desks["chatwoot"], brand="acme")
    add_integration(
        admin, "nordlys-zendesk", desks["zendesk"], brand="nordlys", api_token="agent@example.com/token:expired"
    )
    cw, zd = Sender(gateway.url, "acme-chatwoot", "chatwoot"), Sender(gateway.url, "nordlys-zendesk", "zendesk")
    for n in range(3):
        assert cw.send(chatwoot_message(700 + n, 90 + n, "Hola, mi pedido no ha llegado todavía.")).status_code == 202
    assert zd.send(zendesk_trigger(800, 2201, "Hola, quiero devolver la chaqueta.")).status_code == 202
    deadline = time.monotonic() + 60
    while not admin.get("/v1/deadletters").json()["items"] or len(desks["chatwoot"].messages()) < 3:
        assert time.monotonic() < deadline, "the integrations did not settle"
        time.sleep(0.2)
    history(store.url)
    return {"maria": maria, "item": ids[0]}


def history(redis_url: str) -> None:
    """24 hours of plausible traffic in the dashboard's counters (demo data, for the charts)."""
    from redis.asyncio import Redis

    from gateway.stats import Stats

    async def run() -> None:
        redis = Redis.from_url(redis_url)
        stats, rng, now = Stats(redis), random.Random(7), time.time()
        series = [("en", "es", "outbound", 0.12), ("es", "en", "inbound", 0.05), ("en", "fr", "outbound", 0.2),
                  ("fr", "en", "inbound", 0.08)]  # fmt: skip
        for hour in range(24, 0, -1):
            at = now - hour * 3600 + rng.uniform(0, 600)
            busy = 0.4 + 0.6 * abs(12 - (hour + 10) % 24) / 12
            for src, tgt, direction, flag_rate in series:
                for _ in range(int(rng.uniform(6, 14) * busy)):
                    t = SimpleNamespace(source_lang=src, target_lang=tgt, engine=f"apertium:{src}-{tgt}",
                                        needs_review=rng.random() < flag_rate)  # fmt: skip
                    await stats.record_translations([t], direction, rng.uniform(0.08, 0.3), at)
            for _ in range(rng.randint(1, 4)):
                await stats.record_approval(at - rng.uniform(60, 900), at)
        await redis.aclose()

    asyncio.run(run())


def shoot(page: Page, url: str, path: Path, ready: str | None = None) -> None:
    page.goto(url)
    if ready:
        page.wait_for_selector(ready)
    page.wait_for_timeout(300)  # countdowns tick, charts draw
    page.screenshot(path=str(path))
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store, gateway = serve(Path(tmp))
        desks = {"chatwoot": FakeHelpdesk("chatwoot", token="cw-token-123").start(),
                 "zendesk": FakeHelpdesk("zendesk", token="agent@example.com/token:zd-token-789").start()}  # fmt: skip
        try:
            seeded = fill(gateway, store, desks)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=VIEWPORT).new_page()
                base = gateway.url + "/ui"
                shoot(page, base + "/", out / "signin.png")
                page.get_by_label("API key").fill(seeded["maria"])
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/ui/review")
                shoot(page, base + "/review?brand=acme", out / "review-queue.png", "table.queue")
                shoot(page, f"{base}/review/{seeded['item']}?back=brand%3Dacme", out / "review-item.png")
                shoot(page, base + "/brands/acme/glossary", out / "glossary.png")
                shoot(page, base + "/brands/acme", out / "brand.png")
                shoot(page, base + "/integrations", out / "integrations.png", "#dead-letters")
                shoot(page, base + "/dashboard?period=24h", out / "dashboard.png", "[data-chart=latency_ms] .uplot")
                browser.close()
        finally:
            for desk in desks.values():
                desk.stop()
            gateway.stop()
            store.stop()
    for png in sorted(out.glob("*.png")):
        print(f"{png.relative_to(ROOT)}  {png.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
