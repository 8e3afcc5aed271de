"""The openai engine against a real OpenAI-compatible server: `transformers serve` on a tiny chat model.

The model's weights are random, so its answers are noise; what is tested is the protocol, the
concurrency, the timeouts, the parsing and the scoring around it. Log-probabilities, 429s and
chatty answers, which this server cannot show, are tested against tests/models/remote_servers.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.embedded_redis import free_port
from models.base import LanguagePair, TranslationRules
from models.config import EngineSpec
from models.errors import EngineFailure
from models.remote.openai_engine import NO_LOGPROBS_SCORE, OpenAIEngine

EN_DE = LanguagePair("en", "de")


@pytest.fixture(scope="module")
def transformers_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base_url, model) of a `transformers serve` process pinned to a tiny model built here."""
    pytest.importorskip("transformers")
    from tests.models.tinymodels import build_causal_lm

    root = tmp_path_factory.mktemp("transformers-serve")
    model = build_causal_lm(root / "tiny-chat")
    port = free_port()
    exe = shutil.which("transformers", path=str(Path(sys.executable).parent)) or "transformers"
    # Offline, and no PyPI version check by the CLI: a test never reaches the network.
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "HF_HOME": str(root / "hf-home"),
    }
    log = (root / "serve.log").open("w")
    proc = subprocess.Popen(
        [exe, "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited: {(root / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not start: {(root / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield f"{url}/v1", str(model)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def engine_for(base_url: str, model: str, **settings) -> OpenAIEngine:
    spec = EngineSpec(
        name="llm", kind="openai", base_url=base_url, model=model, pairs=["en-de"], max_length=12, **settings
    )
    return OpenAIEngine.from_spec(spec)


def test_translates_through_a_real_server_concurrently(transformers_serve):
    base_url, model = transformers_serve
    engine = engine_for(base_url, model, max_concurrency=4)
    rules = TranslationRules(register="formal", forbidden=("doof",))
    try:
        hyps = engine.translate_with_rules(
            ["Hello, how can I help you today?", "", "⟦0⟧ The package was shipped yesterday.", "Thanks"],
            EN_DE,
            rules,
        )
        health = engine.health()
    finally:
        engine.close()
    assert len(hyps) == 4 and hyps[1].text == ""
    for h in (hyps[0], hyps[2], hyps[3]):
        assert h.text.strip()  # noise from random weights, but an answer, parsed
        # transformers serve returns no log-probabilities: the neutral prior, never a false certainty
        assert h.score == pytest.approx(NO_LOGPROBS_SCORE)
    assert health.state == "ok" and health.requests == 3 and health.failures == 0


def test_the_same_request_gives_the_same_answer_at_temperature_0(transformers_serve):
    base_url, model = transformers_serve
    engine = engine_for(base_url, model)
    try:
        first = engine.translate(["My order has not arrived yet."], EN_DE)
        second = engine.translate(["My order has not arrived yet."], EN_DE)
    finally:
        engine.close()
    assert first[0].text == second[0].text


def test_a_model_the_server_does_not_serve_fails_clearly(transformers_serve):
    base_url, _ = transformers_serve
    engine = engine_for(base_url, "someone/else", retries=0)
    try:
        with pytest.raises(EngineFailure, match="HTTP 4"):
            engine.translate(["Hello"], EN_DE)
    finally:
        engine.close()


def test_an_unreachable_server_is_retried_then_reported(transformers_serve):
    _, model = transformers_serve
    # A port nothing listens on: connection refused is retried, then reported.
    dead = f"http://127.0.0.1:{free_port()}/v1"
    engine = engine_for(dead, model, retries=1)
    try:
        with pytest.raises(EngineFailure, match="cannot reach"):
            engine.translate(["Hello"], EN_DE)
        assert engine.health().retries == 1
    finally:
        engine.close()
