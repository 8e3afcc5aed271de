"""An LLM as a second reviewer (gateway/llm_review.py), per brand, against a local server that
answers as vLLM documents it: its MQM verdict lowers the confidence, and its failure does not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from gateway.embedded_redis import EmbeddedRedis, free_port
from gateway.llm_review import find_reviewer
from models.errors import ConfigError
from tests.conftest import ADMIN_KEY, LiveServer
from tests.models.remote_servers import FakeLLMServer, Reply

SOURCE = "Thank you for your patience. Your order will arrive tomorrow."
HUMAN = "Gracias por su paciencia. Su pedido llegará mañana."
MAJOR = '{"errors": [{"category": "accuracy/mistranslation", "severity": "major", "span": "pedido"}]}'


@dataclass
class Stack:
    api: httpx.Client
    llm: FakeLLMServer


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from gateway.app import create_app
    from gateway.settings import load_settings

    root = tmp_path_factory.mktemp("llm-review")
    llm = FakeLLMServer()
    engines = root / "engines.toml"
    engines.write_text(
        f"""
[[engine]]
name = "apertium"
kind = "apertium"
pairs = ["en-es", "es-en"]

[[engine]]
name = "judge"
kind = "openai"
base_url = "{llm.url}/v1"
model = "{llm.model}"
pairs = ["en-de"]
retries = 0
"""
    )
    redis = EmbeddedRedis(root / "redis", port=free_port())
    redis.start()
    settings = load_settings(
        redis_url=redis.url, data_dir=root / "data", engines=engines, admin_key=ADMIN_KEY, reviewer="judge"
    )
    server = LiveServer(create_app(settings), free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60) as c:
            for name, review in (("careful", True), ("plain", False)):
                r = c.put(f"/v1/brands/{name}", json={"languages": ["en", "es"], "llm_review": review})
                assert r.status_code in (200, 201), r.text
            yield Stack(c, llm)
    finally:
        server.stop()
        redis.stop()
        llm.close()


def quality(stack: Stack, brand: str) -> dict:
    body = {"source": SOURCE, "translation": HUMAN, "source_lang": "en", "target_lang": "es", "brand": brand}
    r = stack.api.post("/v1/quality", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def signals(result: dict) -> dict[str, str]:
    return {s["name"]: s["detail"] for s in result["signals"]}


def test_a_major_error_the_llm_finds_holds_the_translation(stack):
    asked = len(stack.llm.chat_requests())
    plain = quality(stack, "plain")
    assert len(stack.llm.chat_requests()) == asked  # a brand that did not ask is not reviewed
    stack.llm.script.append(Reply(content=MAJOR))
    careful = quality(stack, "careful")
    assert "major accuracy/mistranslation 'pedido'" in signals(careful)["llm_review"]
    assert careful["confidence"] < plain["confidence"] and careful["needs_review"] and not plain["needs_review"]
    prompt = stack.llm.chat_requests()[-1]["messages"]
    assert "MQM" in prompt[0]["content"] and HUMAN in prompt[-1]["content"]


def test_a_clean_verdict_and_a_failed_reviewer_leave_the_score_alone(stack):
    base = quality(stack, "plain")["confidence"]
    stack.llm.script.append(Reply(content='{"errors": []}'))
    clean = quality(stack, "careful")
    assert "found no error" in signals(clean)["llm_review"] and clean["confidence"] == base
    stack.llm.script.append(Reply(status=500, message="overloaded"))
    failed = quality(stack, "careful")
    assert "could not judge" in signals(failed)["llm_review"] and failed["confidence"] == base


def test_translations_of_the_brand_are_reviewed_too(stack):
    stack.llm.script.append(Reply(content=MAJOR))
    r = stack.api.post(
        "/v1/translate",
        json={"text": "Your parcel is late.", "source_lang": "en", "target_lang": "es", "brand": "careful"},
    )
    assert r.status_code == 200, r.text
    [t] = r.json()["translations"]
    assert "llm_review" in signals(t) and t["needs_review"]


def test_a_reviewer_that_is_not_an_llm_engine_is_refused_by_name():
    class Plain:
        name = "apertium"

    with pytest.raises(ConfigError, match="engines that can: none"):
        find_reviewer([Plain()], "apertium")
