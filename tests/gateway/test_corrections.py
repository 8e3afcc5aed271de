"""Engine corrections through the live gateway: real Apertium, real Redis, real HTTP.

Sentences are hand-written support replies in the style of the ones the corrections were mined
from; the expected Spanish is what the shipped en→es corrections make of Apertium's output.
"""

from __future__ import annotations

import httpx
import pytest

PAIR = "/v1/corrections/apertium/en-es"


def translate(client: httpx.Client, text: str, **extra) -> dict:
    r = client.post("/v1/translate", json={"text": text, "source_lang": "en", "target_lang": "es", **extra})
    assert r.status_code == 200, r.text
    return r.json()["translations"][0]


def applied(t: dict) -> list[str]:
    detail = next((s["detail"] for s in t["signals"] if s["name"] == "corrections"), "")
    return detail.split(": ", 1)[1].split(", ") if detail else []


def test_please_is_no_longer_complacer(client):
    t = translate(client, "Please restart the app and let me know.")
    assert "omplacer" not in t["text"] and "dejado me" not in t["text"]
    assert t["text"].startswith("Por favor, ")
    assert "please-verb" in applied(t) and "let-me-know" in applied(t)


@pytest.mark.parametrize(
    ("source", "wanted", "gone"),
    [
        ("Thank you for your patience.", "Gracias por tu paciencia.", "Para"),
        ("You are very welcome, have a great day", "De nada, que tengas un gran día", "bienvenido"),
        ("Tap the icon at the top of the screen.", "la parte superior de la pantalla", "grifo"),
        ("Please update your billing address.", "dirección de facturación", "enunciar"),
        ("Is there anything else I can help you with?", "hay algo más en lo que pueda ayudarte?", "cualquier cosa"),
    ],
)
def test_the_systematic_mistakes_are_fixed(client, source, wanted, gone):
    t = translate(client, source)
    assert wanted.casefold() in t["text"].casefold()
    assert gone not in t["text"]
    assert applied(t)


def test_a_reply_without_known_mistakes_is_left_alone(client):
    t = translate(client, "Good morning.")
    assert applied(t) == []
    assert not any(s["name"] == "corrections" for s in t["signals"])


def test_the_same_text_twice_gives_the_same_spanish(client):
    text = "I will be in touch shortly, please check your email."
    first = translate(client, text)["text"]
    client.post(
        "/v1/translate", json={"text": ["For some reason I tried a lot of USB cables"] * 3, "target_lang": "es"}
    )
    assert translate(client, text)["text"] == first


def test_a_formal_brand_still_gets_its_register(client, admin):
    r = admin.put("/v1/brands/formal16", json={"languages": ["en", "es"], "tone": {"es": "formal"}})
    assert r.status_code in (200, 201), r.text
    t = translate(client, "Thank you for your order, please check your email.", brand="formal16")
    assert " tu " not in f" {t['text']} " and "vuestr" not in t["text"]
    assert "Gracias por" in t["text"]


def test_admins_see_switch_off_and_add_corrections(client, admin):
    page = admin.get(PAIR).json()
    assert page["engine"] == "apertium" and page["source_lang"] == "en" and page["target_lang"] == "es"
    ids = {c["id"]: c for c in page["corrections"]}
    assert ids["grifo"]["origin"] == "shipped" and ids["grifo"]["enabled"]
    v0 = page["version"]

    r = admin.patch(f"{PAIR}/grifo", json={"enabled": False})
    assert r.status_code == 200, r.text
    assert r.json()["correction"]["enabled"] is False and r.json()["version"] == v0 + 1
    try:
        t = translate(client, "Tap the red button.")
        assert "rifo" in t["text"] and "grifo" not in applied(t)

        r = admin.post(
            PAIR,
            json={"id": "tap-mine", "kind": "source", "match": "tap", "replace": "pulsa", "note": "ours"},
        )
        assert r.status_code == 201, r.text
        t = translate(client, "Tap the red button.")
        assert t["text"].startswith("Pulsa") and "tap-mine" in applied(t)

        history = admin.get(f"{PAIR}/history").json()["changes"]
        assert [c["action"] for c in history[-2:]] == ["off", "add"]
        assert history[-1]["who"].startswith("key:")
    finally:
        admin.delete(f"{PAIR}/tap-mine")
        admin.patch(f"{PAIR}/grifo", json={"enabled": True})
    t = translate(client, "Tap the red button.")
    assert "grifo" in applied(t) and "rifo" not in t["text"]
    listed = admin.get("/v1/corrections").json()["pairs"]
    assert any(p["engine"] == "apertium" and p["source_lang"] == "en" for p in listed)


def test_changing_corrections_needs_an_admin_and_valid_input(client, admin, anon):
    assert anon.get(PAIR).status_code == 401
    r = client.get(PAIR)
    assert r.status_code == 403 and r.json()["error"]["type"] == "forbidden"
    bad = admin.post(PAIR, json={"id": "x", "kind": "target", "match": "(unclosed", "replace": "y"})
    assert bad.status_code == 422 and "regular expression" in bad.json()["error"]["message"]
    assert admin.post(PAIR, json={"id": "grifo", "kind": "target", "match": "a", "replace": "b"}).status_code == 422
    assert admin.patch(f"{PAIR}/no-such", json={"enabled": False}).status_code == 404
    r = admin.delete(f"{PAIR}/grifo")
    assert r.status_code == 422 and "switch it off" in r.json()["error"]["message"]
    assert admin.get("/v1/corrections/apertium/en-en").status_code == 422
    assert admin.post(PAIR, content="id=x", headers={"content-type": "text/plain"}).status_code == 415


def test_batch_or_one_by_one_the_gateway_gives_the_same_spanish(client, admin):
    """Cache on or off changes which texts reach the engine together; the Spanish must not change.

    The batch goes under a brand with no glossary or tone (same rules, another cache key), so
    neither side is served from the other's cached results."""
    assert admin.put("/v1/brands/plain16", json={"languages": ["en", "es"]}).status_code in (200, 201)
    texts = [
        "For some reason I tried a lot of USB cables",
        "I will be in touch shprtly",
        "Do you have the ereader connected to the computer?",
        "Check your spam folder and let me know.",
        "Thank you for waiting, please tap Sync.",
    ]
    body = {"text": texts, "source_lang": "en", "target_lang": "es", "brand": "plain16"}
    r = client.post("/v1/translate", json=body)
    assert r.status_code == 200, r.text
    batch = [t["text"] for t in r.json()["translations"]]
    single = [translate(client, t)["text"] for t in reversed(texts)][::-1]
    assert batch == single
