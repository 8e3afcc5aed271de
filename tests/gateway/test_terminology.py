"""A brand's glossary and tone applied to real translations (Apertium en→es) through the API."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture(scope="module")
def acme(admin: httpx.Client) -> str:
    r = admin.put("/v1/brands/acme", json={"languages": ["en", "es"], "tone": {"es": "formal"}})
    assert r.status_code in (200, 201), r.text
    entries = [
        {"kind": "dnt", "source": "Shop Pay"},
        {"kind": "dnt", "source": "Outdoor Voices"},
        {
            "kind": "term",
            "source": "order",
            "target": "pedido",
            "source_lang": "en",
            "target_lang": "es",
            "variants": ["pedidos"],
        },
        {"kind": "term", "source": "refund", "target": "reembolso", "source_lang": "en", "target_lang": "es"},
        {"kind": "forbidden", "source": "email", "target": "correo electrónico", "target_lang": "es"},
    ]
    for e in entries:
        assert admin.post("/v1/brands/acme/glossary", json=e).status_code == 201
    return "acme"


def translate(client: httpx.Client, text: str, **extra) -> dict:
    r = client.post("/v1/translate", json={"text": text, "source_lang": "en", "target_lang": "es", **extra})
    assert r.status_code == 200, r.text
    return r.json()["translations"][0]


def test_without_a_glossary_apertium_breaks_the_brand(client):
    t = translate(client, "Where is my order? I paid with Shop Pay.")
    assert "Shop Pay" not in t["text"] and "pedido" not in t["text"]


def test_dnt_and_terms_are_applied_and_reported(client, acme):
    t = translate(client, "Where is my order? I paid with Shop Pay at Outdoor Voices.", brand=acme)
    assert "Shop Pay" in t["text"] and "Outdoor Voices" in t["text"] and "pedido" in t["text"]
    report = {e["source"]: e for e in t["terms"]}
    assert report["Shop Pay"] == {"source": "Shop Pay", "target": "Shop Pay", "kind": "dnt", "applied": True}
    assert report["order"]["applied"] is True and report["order"]["target"] == "pedido"
    assert "refund" not in report  # only the entries that apply to this text


def test_term_at_the_start_of_a_sentence_is_capitalised(client, acme):
    t = translate(client, "Status: order 48213 has shipped. Refund: 20 euros.", brand=acme)
    assert "pedido 48213" in t["text"] and "Reembolso: 20" in t["text"], t["text"]


def test_forbidden_word_is_replaced(client, acme):
    t = translate(client, "Please check your email.", brand=acme)
    assert "correo electrónico" in t["text"] and "email" not in t["text"]
    assert any(s["name"] == "forbidden_word" for s in t["signals"])


def test_formal_brand_gets_no_informal_forms(client, acme):
    before = translate(client, "You will receive your refund soon.")
    assert "vuestro" in before["text"] or "Recibirás" in before["text"]
    t = translate(client, "You will receive your refund soon.", brand=acme)
    assert "vuestro" not in t["text"].lower() and "recibirás" not in t["text"].lower(), t["text"]
    assert any(s["name"] == "tone_fixed" for s in t["signals"])


def test_glossary_change_takes_effect_on_the_next_request(client, admin, acme):
    t = translate(client, "Thank you for your patience.", brand=acme)
    assert "paciencia" in t["text"]
    r = admin.post(
        "/v1/brands/acme/glossary",
        json={"kind": "term", "source": "patience", "target": "comprensión", "source_lang": "en", "target_lang": "es"},
    )
    assert r.status_code == 201
    t = translate(client, "Thank you for your patience.", brand=acme)
    assert "comprensión" in t["text"]
    admin.delete(f"/v1/brands/acme/glossary/terms/{r.json()['term']['id']}")
    assert "comprensión" not in translate(client, "Thank you for your patience.", brand=acme)["text"]


def test_kept_brand_names_do_not_count_as_foreign_words(client, acme):
    t = translate(client, "I paid with Shop Pay.", brand=acme)
    assert "Shop Pay" in t["text"]
    assert not [s for s in t["signals"] if s["name"] == "foreign_words" and "shop" in s["detail"].lower()], t


@pytest.fixture(scope="module")
def swift(admin: httpx.Client) -> str:
    """The four grammar cases of issue 12 (terms and tone follow grammar) as one brand."""
    r = admin.put("/v1/brands/swift", json={"languages": ["en", "es"], "tone": {"es": "formal"}})
    assert r.status_code in (200, 201), r.text
    entries = [
        {"kind": "dnt", "source": "SwiftShip"},
        {"kind": "term", "source": "order", "target": "pedido", "source_lang": "en", "target_lang": "es"},
        {"kind": "term", "source": "get", "target": "recibir", "source_lang": "en", "target_lang": "es"},
        {"kind": "forbidden", "source": "coger", "target": "tomar", "target_lang": "es"},
        {"kind": "term", "source": "change", "target": "modificar", "source_lang": "en", "target_lang": "es"},
    ]
    for e in entries:
        assert admin.post("/v1/brands/swift/glossary", json=e).status_code == 201
    return "swift"


def test_a_verb_term_leaves_the_noun_alone(client, swift):
    t = translate(client, "Save the changes, then change the address.", brand=swift)
    # "the changes" is a noun: not "los modifica"; "change the address" is the verb, as the brand says.
    assert "los cambios" in t["text"] and "modificar la" in t["text"], t["text"]


def test_a_plural_matches_its_term_and_stays_plural(client, swift):
    t = translate(client, "Where are my orders?", brand=swift)
    assert "pedidos" in t["text"] and "órdenes" not in t["text"], t["text"]
    assert {"source": "order", "target": "pedido", "kind": "term", "applied": True} in t["terms"]


def test_a_forced_verb_is_inflected_to_fit(client, swift):
    t = translate(client, "You will get your refund tomorrow.", brand=swift)
    assert "ecibirá su reembolso" in t["text"], t["text"]
    assert "recibir " not in t["text"].lower() and "coger" not in t["text"].lower()
    assert {"source": "get", "target": "recibir", "kind": "term", "applied": True} in t["terms"]


def test_a_forbidden_word_is_replaced_in_every_form(client, swift):
    before = translate(client, "You will catch the bus.")
    assert "Coger" in before["text"], before["text"]  # Apertium's own choice, which the brand forbids
    t = translate(client, "You will catch the bus.", brand=swift)
    assert t["text"].startswith("Tomará el autobús"), t["text"]
    assert any(s["name"] == "forbidden_word" and "Tomar" in s["detail"] for s in t["signals"]), t["signals"]


def test_no_capital_after_a_kept_name_mid_sentence(client, swift):
    t = translate(client, "SwiftShip will deliver your order.", brand=swift)
    assert t["text"].startswith("SwiftShip entregará su pedido"), t["text"]
