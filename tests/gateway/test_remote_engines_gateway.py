"""Remote engines behind the gateway, from the engines file: an LLM server first for en→es with
Apertium as its fallback, DeepL for es→en; brand terms and tone reach them and are scored."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from gateway.embedded_redis import EmbeddedRedis, free_port
from tests.conftest import ADMIN_KEY, LiveServer
from tests.models.remote_servers import FakeDeepLServer, FakeLLMServer, Reply


@dataclass
class Stack:
    api: httpx.Client
    llm: FakeLLMServer
    deepl: FakeDeepLServer


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from gateway.app import create_app
    from gateway.settings import load_settings

    root = tmp_path_factory.mktemp("remote-gateway")
    llm, deepl = FakeLLMServer(), FakeDeepLServer(key="test-key:fx")
    engines = root / "engines.toml"
    engines.write_text(
        f"""
[[engine]]
name = "deepl"
kind = "deepl"
base_url = "{deepl.url}"
api_key_env = "TONEGATE_TEST_DEEPL_KEY"
pairs = ["es-en"]

[[engine]]
name = "apertium"
kind = "apertium"
pairs = ["en-es", "es-en"]

[[engine]]
name = "llm"
kind = "openai"
base_url = "{llm.url}/v1"
model = "{llm.model}"
pairs = ["en-es"]
headers = {{ "X-Team" = "support" }}
retries = 0
failure_threshold = 3

[[engine]]
name = "llm-first"
kind = "fallback"
engines = ["llm", "apertium"]
pairs = ["en-es"]
"""
    )
    redis = EmbeddedRedis(root / "redis", port=free_port())
    redis.start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TONEGATE_TEST_DEEPL_KEY", deepl.key)
        settings = load_settings(
            redis_url=redis.url, data_dir=root / "data", engines=engines, admin_key=ADMIN_KEY, languages=("en", "es")
        )
        server = LiveServer(create_app(settings), free_port())
        server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60) as c:
            r = c.put("/v1/brands/acme", json={"languages": ["en", "es"], "tone": {"es": "formal"}})
            assert r.status_code in (200, 201), r.text
            for entry in [
                {"kind": "dnt", "source": "Acme Pay"},
                {"kind": "term", "source": "order", "target": "pedido", "source_lang": "en", "target_lang": "es"},
                {"kind": "term", "source": "refund", "target": "devolución", "source_lang": "en", "target_lang": "es"},
                {"kind": "term", "source": "vale", "target": "gift card", "source_lang": "es", "target_lang": "en"},
                {"kind": "forbidden", "source": "email", "target": "correo electrónico", "target_lang": "es"},
            ]:
                assert c.post("/v1/brands/acme/glossary", json=entry).status_code == 201
            yield Stack(c, llm, deepl)
    finally:
        server.stop()
        redis.stop()
        llm.close()
        deepl.close()
        os.environ.pop("TONEGATE_TEST_DEEPL_KEY", None)


def translate(stack: Stack, text: str, source: str = "en", target: str = "es") -> dict:
    body = {"text": text, "source_lang": source, "target_lang": target, "brand": "acme"}
    r = stack.api.post("/v1/translate", json=body)
    assert r.status_code == 200, r.text
    return r.json()["translations"][0]


def signals(t: dict) -> dict[str, str]:
    return {s["name"]: s["detail"] for s in t["signals"]}


def test_the_llm_gets_the_brands_terms_and_tone_and_they_are_checked(stack):
    t = translate(stack, "Hello, your refund for the order is ready. Please check your email.")
    assert t["engine"] == "llm-first:en-es"
    # The model followed the prompt (su: formal; devolución, pedido: the brand's terms); the
    # forbidden word it left was replaced by the gateway's own check.
    assert "su devolución" in t["text"] and "el pedido" in t["text"], t["text"]
    assert "correo electrónico" in t["text"] and "email" not in t["text"]
    report = {e["source"]: e["applied"] for e in t["terms"]}
    assert report == {"refund": True, "order": True}
    assert "engine_fallback" not in signals(t)
    [first] = [r for r in stack.llm.chat_requests() if "refund" in r["messages"][-1]["content"]]
    # One request for the whole message: the model sees both sentences together.
    assert "Please check your email." in first["messages"][-1]["content"]
    system = first["messages"][0]["content"]
    assert "formally" in system and '"refund" → "devolución"' in system and '"email"' in system
    sent = next(r for r in stack.llm.requests if r["path"] == "/v1/chat/completions")
    assert sent["headers"]["x-team"] == "support"


def test_a_model_that_ignores_the_rules_is_corrected_and_scored(stack):
    # The model answers in the informal register with its own word for "refund": the gateway's
    # checks put the brand's term in and fix or flag the register, each with a signal.
    stack.llm.script.append(Reply(content="Hola, tu reembolso está listo."))
    t = translate(stack, "Hello, your refund is ready.")
    assert "devolución" in t["text"] and "reembolso" not in t["text"], t["text"]
    assert {e["source"]: e["applied"] for e in t["terms"]} == {"refund": True}
    found = signals(t)
    assert "tone_fixed" in found or "tone" in found, found
    assert 0.0 <= t["confidence"] <= 1.0 and t["band"] in ("best", "good", "weak", "poor")


def test_the_llms_logprobs_feed_the_confidence(stack):
    sure = translate(stack, "Thanks, we sent a voucher today.")
    stack.llm.logprob = -2.5  # a mean token probability of 0.08: the model guessed
    try:
        unsure = translate(stack, "Thanks, we sent the voucher today.")
    finally:
        stack.llm.logprob = -0.05
    assert "engine_score" not in signals(sure)
    assert "engine_score" in signals(unsure)
    assert unsure["confidence"] < sure["confidence"]


def test_a_dropped_placeholder_is_put_back_and_flagged(stack):
    stack.llm.script.append(Reply(transform=lambda text: text.replace("⟦0⟧", "")))
    t = translate(stack, "Your refund is at https://acme.example/r/42 today.")
    assert "mask_lost" in signals(t)
    assert "https://acme.example/r/42" in t["text"]


def test_html_markup_reaches_the_llm_masked_and_comes_back(stack):
    body = {"text": "<p>Hello, your <b>order</b> is ready.</p>", "source_lang": "en", "target_lang": "es"}
    r = stack.api.post("/v1/translate", json={**body, "brand": "acme", "format": "html"})
    assert r.status_code == 200, r.text
    t = r.json()["translations"][0]
    assert t["text"].startswith("<p>") and t["text"].endswith("</p>") and "<b>pedido</b>" in t["text"], t["text"]
    [asked] = [
        q
        for q in stack.llm.chat_requests()
        if "ready" in q["messages"][-1]["content"] and "⟦" in q["messages"][-1]["content"]
    ]
    assert "<" not in asked["messages"][-1]["content"]  # tags travel as placeholders


def test_a_preamble_is_removed_and_reported(stack):
    stack.llm.script.append(Reply(transform=lambda text: "Here is the translation:\n" + text))
    t = translate(stack, "Hello, the order is ready.")
    assert not t["text"].startswith("Here") and "pedido" in t["text"]
    assert "preamble" in signals(t)["engine_note"]


def test_apertium_serves_when_the_llm_fails_and_the_result_says_so(stack):
    stack.llm.script.append(Reply(status=500))
    t = translate(stack, "Hello, has the parcel shipped?")
    assert t["engine"] == "llm-first:en-es"
    assert "apertium served because llm" in signals(t)["engine_fallback"]
    # Apertium made it, so it is held as Apertium's output is (the rule-based default threshold).
    assert t["needs_review"] is True
    ready = stack.api.get("/readyz").json()
    assert ready["status"] == "ready"
    assert (
        ready["remote_engines"]["llm"]["state"] == "degraded" and "500" in ready["remote_engines"]["llm"]["last_error"]
    )
    metrics = stack.api.get("/metrics").text
    assert 'tonegate_engine_state{engine="llm"} 0.5' in metrics
    assert 'tonegate_engine_fallbacks{chain="llm-first"} 1.0' in metrics
    assert 'tonegate_engine_failures{engine="llm"} 1.0' in metrics
    # The next success closes the books: the LLM serves again, and the fallback was not cached.
    again = translate(stack, "Hello, has the parcel shipped?")
    assert "engine_fallback" not in signals(again)
    assert stack.api.get("/readyz").json()["remote_engines"]["llm"]["state"] == "ok"


def test_deepl_gets_the_brands_terms_as_a_glossary(stack):
    t = translate(stack, "Enviamos un vale hoy.", source="es", target="en")
    assert t["engine"] == "deepl:es-en"
    assert "gift card" in t["text"], t["text"]
    assert {e["source"]: e["applied"] for e in t["terms"]} == {"vale": True}
    [glossary] = stack.deepl.glossaries.values()
    assert glossary["parsed"] == {"vale": "gift card"} and (glossary["source_lang"], glossary["target_lang"]) == (
        "es",
        "en",
    )
    translate(stack, "Enviamos el vale hoy.", source="es", target="en")
    assert stack.deepl.paths("POST").count("/v2/glossaries") == 1  # kept while the glossary's version holds
