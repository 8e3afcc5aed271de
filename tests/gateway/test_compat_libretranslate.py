"""The LibreTranslate drop-in API against the real gateway (Apertium en↔es): the official
`libretranslatepy` client unchanged, and the request shapes apps send, written from their source
(Mastodon: JSON lists with format html and source auto; Discourse and Weblate: form posts)."""

from __future__ import annotations

import httpx
import pytest
from libretranslatepy import LibreTranslateAPI


@pytest.fixture(scope="module")
def lt_key(admin: httpx.Client) -> str:
    r = admin.post("/v1/keys", json={"role": "helpdesk", "label": "libretranslate"})
    assert r.status_code == 201, r.text
    return r.json()["key"]


@pytest.fixture(scope="module")
def lt(gateway, lt_key: str) -> LibreTranslateAPI:
    return LibreTranslateAPI(gateway.url, api_key=lt_key)


def test_client_translates(lt):
    out = lt.translate("Thank you for your patience.", "en", "es")
    assert isinstance(out, str) and "paciencia" in out, out


def test_client_detects(lt):
    found = lt.detect("Hola, necesito ayuda con mi pedido, por favor.")
    assert found[0]["language"] == "es"
    # LibreTranslate reports confidence in percent.
    assert 50 < found[0]["confidence"] <= 100
    assert all(set(d) == {"confidence", "language"} for d in found)


def test_client_lists_languages(lt):
    langs = {entry["code"]: entry for entry in lt.languages()}
    assert langs["en"]["name"] == "English" and "es" in langs["en"]["targets"]
    assert "en" in langs["es"]["targets"]


def test_mastodon_shape_json_list_html_auto(anon, lt_key):
    # app/lib/translation_service/libre_translate.rb: q is a list, format html, source auto.
    r = anon.post(
        "/translate",
        json={
            "q": ["<p>Thank you for your <b>patience</b>.</p>", "<p>Your order has shipped.</p>"],
            "source": "auto",
            "target": "es",
            "format": "html",
            "api_key": lt_key,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    first, second = body["translatedText"]
    assert first.startswith("<p>") and "<b>" in first and "paciencia" in first, first
    assert second.startswith("<p>") and second.endswith("</p>"), second
    assert [d["language"] for d in body["detectedLanguage"]] == ["en", "en"]
    assert all(0 < d["confidence"] <= 100 for d in body["detectedLanguage"])
    assert r.headers["x-trace-id"]
    # What the gateway adds, in headers the app ignores: confidence and the review flag per text.
    confidences = [float(c) for c in r.headers["x-tonegate-confidence"].split(",")]
    assert len(confidences) == 2 and all(0 <= c <= 1 for c in confidences)
    assert set(r.headers["x-tonegate-needs-review"].split(",")) <= {"0", "1"}


def test_discourse_shape_form_html(anon, lt_key):
    # discourse-translator's LibreTranslate provider: a URL-encoded form, format html.
    r = anon.post(
        "/translate",
        data={
            "q": "<p>Thank you for your <em>patience</em>.</p>",
            "source": "en",
            "target": "es",
            "format": "html",
            "api_key": lt_key,
        },
    )
    assert r.status_code == 200, r.text
    text = r.json()["translatedText"]
    assert text.startswith("<p>") and "<em>" in text and "paciencia" in text, text


def test_form_post_single_text_given_source(anon, lt_key):
    # Discourse's and Weblate's LibreTranslate clients post a form.
    r = anon.post(
        "/translate",
        data={"q": "Thank you for your patience.", "source": "en", "target": "es", "api_key": lt_key},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["translatedText"], str) and "paciencia" in body["translatedText"]
    assert "detectedLanguage" not in body  # only when source is auto


def test_single_text_auto_has_one_detection(anon, lt_key):
    r = anon.post(
        "/translate", json={"q": "Gracias por su paciencia.", "source": "auto", "target": "en", "api_key": lt_key}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert "patience" in body["translatedText"]
    assert body["detectedLanguage"]["language"] == "es"


def test_alternatives_asked_for_answer_an_empty_list(anon, lt_key):
    r = anon.post(
        "/translate",
        json={"q": "Thank you.", "source": "en", "target": "es", "alternatives": 3, "api_key": lt_key},
    )
    assert r.status_code == 200, r.text
    assert r.json()["alternatives"] == []


def test_key_brand_applies_its_tone(admin, anon):
    admin.put("/v1/brands/lt-formal", json={"languages": ["en", "es"], "tone": {"es": "formal"}}).raise_for_status()
    r = admin.post("/v1/keys", json={"role": "helpdesk", "label": "formal app", "brand": "lt-formal"})
    assert r.status_code == 201 and r.json()["brand"] == "lt-formal", r.text
    formal_key = r.json()["key"]
    assert any(k.get("brand") == "lt-formal" for k in admin.get("/v1/keys").json())
    text = "You will receive your refund soon."
    plain = anon.post("/translate", data={"q": text, "source": "en", "target": "es", "api_key": formal_key})
    assert plain.status_code == 200, plain.text
    assert "recibirás" not in plain.json()["translatedText"].lower(), plain.text


def test_key_with_unknown_brand_is_refused(admin):
    r = admin.post("/v1/keys", json={"role": "helpdesk", "brand": "no-such-brand"})
    assert r.status_code == 404, r.text


def test_languages_and_settings_need_no_key(anon):
    assert anon.get("/languages").status_code == 200
    settings = anon.get("/frontend/settings").json()
    assert settings["keyRequired"] is True and settings["charLimit"] == 2000
    assert settings["language"]["source"]["code"] == "auto"


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({"q": "Hello", "source": "en", "target": "es"}, 400, "API key"),
        ({"q": "Hello", "source": "en", "target": "es", "api_key": "tg_nope_nope"}, 403, "Invalid API key"),
        ({"source": "en", "target": "es", "api_key": "KEY"}, 400, "missing q parameter"),
        ({"q": "Hello", "target": "es", "api_key": "KEY"}, 400, "missing source parameter"),
        ({"q": "Hello", "source": "en", "api_key": "KEY"}, 400, "missing target parameter"),
        ({"q": "Hello", "source": "en", "target": "xx", "api_key": "KEY"}, 400, "xx"),
        ({"q": "Hello", "source": "en", "target": "es", "format": "pdf", "api_key": "KEY"}, 400, "pdf format"),
        ({"q": "x" * 2001, "source": "en", "target": "es", "api_key": "KEY"}, 400, "2000"),
    ],
)
def test_errors_in_libretranslate_shape(anon, lt_key, data, status, words):
    data = {k: (lt_key if v == "KEY" else v) for k, v in data.items()}
    r = anon.post("/translate", data=data)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and words in body["error"], body


def test_invalid_json_is_a_400(anon):
    r = anon.post("/translate", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_detect_needs_a_key_and_text(anon, lt_key):
    assert anon.post("/detect", data={"q": "Hola"}).status_code == 400
    r = anon.post("/detect", data={"api_key": lt_key})
    assert r.status_code == 400 and r.json() == {"error": "Invalid request: missing q parameter"}


def test_browser_clients_may_call_from_another_origin(anon, lt_key):
    pre = anon.options(
        "/translate",
        headers={"Origin": "moz-extension://abc", "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert "Content-Type" in pre.headers["access-control-allow-headers"]
    r = anon.post("/translate", json={"q": "Hello", "source": "en", "target": "es", "api_key": lt_key})
    assert r.headers["access-control-allow-origin"] == "*"
    assert anon.post("/translate", json={}).headers["access-control-allow-origin"] == "*"  # errors too


def test_files_and_suggestions_are_off(anon, lt_key):
    r = anon.post("/translate_file", data={"api_key": lt_key})
    assert r.status_code == 403 and "disabled" in r.json()["error"]
