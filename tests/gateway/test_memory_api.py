"""The translation memory through the API: approved text is reused, suggested, imported, exported."""

from __future__ import annotations

import httpx


def test_an_approved_translation_is_reused_without_the_engine(admin: httpx.Client, client: httpx.Client):
    admin.put("/v1/brands/tm1", json={"languages": ["en", "es"]})
    r = admin.post(
        "/v1/brands/tm1/memory",
        json={
            "source_lang": "en",
            "target_lang": "es",
            "source": "Your order #48213 is on its way.",
            "target": "Su pedido #48213 está en camino.",
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/v1/translate",
        json={"text": "Your order #77001 is on its way.", "target_lang": "es", "source_lang": "en", "brand": "tm1"},
    )
    [t] = r.json()["translations"]
    assert t["text"] == "Su pedido #77001 está en camino."
    assert t["engine"] == "memory" and t["confidence"] == 1.0 and t["needs_review"] is False
    # Without the brand the engine translates as usual.
    r = client.post(
        "/v1/translate", json={"text": "Your order #77001 is on its way.", "target_lang": "es", "source_lang": "en"}
    )
    assert r.json()["translations"][0]["engine"] == "apertium:en-es"


def test_canned_replies_prepared_and_approved_in_bulk(admin: httpx.Client, client: httpx.Client):
    admin.put("/v1/brands/tm2", json={"languages": ["en", "es"]})
    macros = ["Thank you for contacting us.", "We have received your return."]
    r = admin.post("/v1/brands/tm2/memory/prepare", json={"source_lang": "en", "target_lang": "es", "texts": macros})
    assert r.status_code == 200, r.text
    drafts = [t["text"] for t in r.json()]
    assert len(drafts) == 2 and all(drafts)
    edited = ["Gracias por contactarnos.", "Hemos recibido su devolución."]
    r = admin.post(
        "/v1/brands/tm2/memory/approve",
        json={
            "source_lang": "en",
            "target_lang": "es",
            "pairs": [{"source": s, "target": t} for s, t in zip(macros, edited, strict=True)],
        },
    )
    assert r.json() == {"stored": 2}
    r = client.post("/v1/translate", json={"text": macros, "target_lang": "es", "source_lang": "en", "brand": "tm2"})
    assert [t["text"] for t in r.json()["translations"]] == edited
    page = admin.get("/v1/brands/tm2/memory", params={"source_lang": "en", "target_lang": "es"}).json()
    assert page["total"] == 2 and {e["origin"] for e in page["entries"]} == {"bulk"}


def test_suggestions_and_tmx_round_trip(admin: httpx.Client):
    admin.put("/v1/brands/tm3")
    admin.post(
        "/v1/brands/tm3/memory",
        json={
            "source_lang": "en",
            "target_lang": "es",
            "source": "Your refund has been processed today.",
            "target": "Su reembolso ha sido procesado hoy.",
        },
    )
    r = admin.get(
        "/v1/brands/tm3/memory/suggest",
        params={"source_lang": "en", "target_lang": "es", "text": "Your refund has been processed."},
    )
    assert r.status_code == 200 and r.json()[0]["target"] == "Su reembolso ha sido procesado hoy."
    tmx = admin.get("/v1/brands/tm3/memory/export", params={"source_lang": "en", "target_lang": "es"})
    assert tmx.status_code == 200 and b"<tmx" in tmx.content
    admin.put("/v1/brands/tm4")
    r = admin.post(
        "/v1/brands/tm4/memory/import", content=tmx.content, headers={"Content-Type": "application/x-tmx+xml"}
    )
    assert r.status_code == 200 and r.json() == {"imported": 1, "pairs": ["en-es"]}
    r = admin.post(
        "/v1/brands/tm4/memory/import", content=b"<tmx><body>", headers={"Content-Type": "application/x-tmx+xml"}
    )
    assert r.status_code == 422 and r.json()["error"]["type"] == "import_failed"
    r = admin.post("/v1/brands/tm4/memory/import", content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    # One language on both sides: nothing is stored there, and storing is refused by name.
    r = admin.get("/v1/brands/tm4/memory", params={"source_lang": "en", "target_lang": "en"})
    assert r.status_code == 200 and r.json()["total"] == 0
    r = admin.post(
        "/v1/brands/tm4/memory", json={"source_lang": "en", "target_lang": "EN", "source": "a", "target": "b"}
    )
    assert r.status_code == 422 and r.json()["error"]["type"] == "same_language"
