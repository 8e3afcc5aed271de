"""A neural engine behind the gateway: a tiny Marian model, converted with `tonegate models convert`,
declared in an engines file beside Apertium, serving its pair directly and as a pivot hop."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.embedded_redis import EmbeddedRedis, free_port
from tests.conftest import ADMIN_KEY, LiveServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def neural_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    pytest.importorskip("ctranslate2")
    from gateway.app import create_app
    from gateway.settings import load_settings
    from tests.models.tinymodels import build_marian

    root = tmp_path_factory.mktemp("neural-gateway")
    hf_dir = build_marian(root / "opus-mt-en-de", source_lang="en", target_lang="de")
    ct2_dir = root / "opus-mt-en-de-ct2"
    convert = subprocess.run(
        [sys.executable, "-m", "gateway", "models", "convert", str(hf_dir), str(ct2_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert convert.returncode == 0, convert.stderr
    assert (ct2_dir / "model.bin").is_file()

    engines = root / "engines.toml"
    engines.write_text(
        f"""
[[engine]]
name = "apertium"
kind = "apertium"
pairs = ["en-es", "es-en"]

[[engine]]
name = "tiny-ct2"
kind = "ctranslate2"
model = "{ct2_dir}"
pairs = ["en-de"]
device = "auto"
threads = 1
beam_size = 2
max_length = 16
"""
    )
    redis = EmbeddedRedis(root / "redis", port=free_port())
    redis.start()
    settings = load_settings(
        redis_url=redis.url, data_dir=root / "data", engines=engines, admin_key=ADMIN_KEY, languages=("en", "es", "de")
    )
    server = LiveServer(create_app(settings), free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60) as c:
            yield c
    finally:
        server.stop()
        redis.stop()


def test_neural_pair_is_served_with_a_model_score(neural_gateway):
    r = neural_gateway.post(
        "/v1/translate", json={"text": "Where is my order?", "source_lang": "en", "target_lang": "de"}
    )
    assert r.status_code == 200, r.text
    [t] = r.json()["translations"]
    assert t["engine"] == "tiny-ct2:en-de"
    assert isinstance(t["text"], str)
    assert 0.0 <= t["confidence"] <= 1.0
    # Random weights give a low mean log-probability: the confidence must say so.
    assert t["confidence"] < 0.9 and any(s["name"] == "engine_score" for s in t["signals"])


def test_apertium_then_neural_as_a_pivot(neural_gateway):
    r = neural_gateway.post("/v1/translate", json={"text": "Muchas gracias.", "source_lang": "es", "target_lang": "de"})
    assert r.status_code == 200, r.text
    assert r.json()["translations"][0]["engine"] == "apertium:es-en>tiny-ct2:en-de"


def test_languages_lists_the_neural_pair(neural_gateway):
    pairs = {(p["source"], p["target"]): p["engine"] for p in neural_gateway.get("/v1/languages").json()["pairs"]}
    assert pairs[("en", "de")] == "tiny-ct2:en-de"
    assert pairs[("es", "de")] == "apertium:es-en>tiny-ct2:en-de"


def test_glossary_holds_with_a_neural_engine(neural_gateway):
    # A random-weight model never produces the term by itself: the post-edit finds nothing to
    # replace, so the masked retry must put the brand's target (and the dnt name) in.
    assert neural_gateway.put("/v1/brands/neural").status_code in (200, 201)
    for entry in (
        {"kind": "dnt", "source": "Shop Pay"},
        {"kind": "term", "source": "order", "target": "Bestellung", "source_lang": "en", "target_lang": "de"},
    ):
        assert neural_gateway.post("/v1/brands/neural/glossary", json=entry).status_code == 201
    r = neural_gateway.post(
        "/v1/translate",
        json={
            "text": "Where is my order? I paid with Shop Pay.",
            "source_lang": "en",
            "target_lang": "de",
            "brand": "neural",
        },
    )
    assert r.status_code == 200, r.text
    [t] = r.json()["translations"]
    assert "Bestellung" in t["text"] and "Shop Pay" in t["text"], t["text"]
    assert {(e["source"], e["applied"]) for e in t["terms"]} == {("order", True), ("Shop Pay", True)}, t["text"]
