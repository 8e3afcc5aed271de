"""Peak-season behaviour through the real HTTP API: the translation cache, back-pressure, /metrics.

The back-pressure tests hold Apertium at a gate (the engine waits until the test opens it) so
that "a request is in flight" is a fact, not a race; every HTTP call has a timeout, so a hang
fails the test instead of stalling the suite.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import redis.asyncio

from gateway.embedded_redis import EmbeddedRedis, free_port
from gateway.metrics import Metrics
from models.base import Engine, Hypothesis, LanguagePair
from tests.conftest import ADMIN_KEY, LiveServer

WAIT = 60  # seconds: a safety net against hangs, never a timing assertion


def metric(client: httpx.Client, name: str, **labels: str) -> float:
    """One sample of /metrics (0 when absent)."""
    text = client.get("/metrics").text
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(want) + r"\}" if labels else "") + r" (\S+)"
    m = re.search(r"^" + pattern + "$", text, re.M)
    return float(m.group(1)) if m else 0.0


def translate(client: httpx.Client, text: str | list[str], **extra: object) -> httpx.Response:
    body = {"text": text, "source_lang": "en", "target_lang": "es"} | extra
    return client.post("/v1/translate", json=body)


# --- the cache, on the session gateway ----------------------------------------------------------


def test_a_repeated_text_is_answered_from_the_cache_with_the_same_result(admin: httpx.Client) -> None:
    text = f"Your parcel number {secrets.randbelow(10**8)} left our warehouse today."
    hits = metric(admin, "tonegate_cache_hits_total")
    first = translate(admin, text)
    assert first.status_code == 200, first.text
    assert metric(admin, "tonegate_cache_hits_total") == hits
    again = translate(admin, text)
    assert again.status_code == 200, again.text
    assert metric(admin, "tonegate_cache_hits_total") == hits + 1
    assert again.json() == first.json()


def test_a_glossary_change_misses_the_cache(admin: httpx.Client) -> None:
    brand = "cache-" + secrets.token_hex(3)
    assert admin.put(f"/v1/brands/{brand}", json={"languages": ["en", "es"]}).status_code in (200, 201)
    text = "Where is my order? I have been waiting for a week."
    before = translate(admin, text, brand=brand).json()["translations"][0]
    assert "pedido" not in before["text"].lower()  # Apertium's own word for it
    assert translate(admin, text, brand=brand).json()["translations"][0] == before  # cached

    r = admin.post(
        f"/v1/brands/{brand}/glossary",
        json={"kind": "term", "source": "order", "target": "pedido", "source_lang": "en", "target_lang": "es"},
    )
    assert r.status_code == 201, r.text
    after = translate(admin, text, brand=brand).json()["translations"][0]
    assert "pedido" in after["text"]
    assert {"source": "order", "target": "pedido", "kind": "term", "applied": True} in after["terms"]


def test_a_cached_doubtful_reply_still_goes_to_review_for_each_conversation(admin: httpx.Client) -> None:
    brand = "cache-rv-" + secrets.token_hex(3)
    rules = {"chat": {"below": 1.0, "deadline_s": 600, "on_deadline": "hold"}}
    r = admin.put(f"/v1/brands/{brand}", json={"languages": ["en", "es"], "review": {"outbound": rules}})
    assert r.status_code in (200, 201), r.text
    text = "We will refund your payment as soon as the courier confirms the return."
    hits = metric(admin, "tonegate_cache_hits_total")
    ids = []
    for conversation in ("conv-a", "conv-b"):
        r = translate(
            admin,
            text,
            brand=brand,
            direction="outbound",
            channel="chat",
            conversation_id=f"{conversation}-{secrets.token_hex(3)}",
        )
        assert r.status_code == 200, r.text
        [t] = r.json()["translations"]
        assert t["needs_review"] is True
        ids.append(t["review_id"])
    assert metric(admin, "tonegate_cache_hits_total") == hits + 1  # the second came from the cache
    assert all(ids) and ids[0] != ids[1]
    for rid in ids:
        assert admin.get(f"/v1/review/{rid}").json()["mt"]


# --- /metrics -----------------------------------------------------------------------------------


def test_metrics_show_every_stage_and_every_queue(admin: httpx.Client) -> None:
    assert translate(admin, "Thank you for your patience.").status_code == 200
    text = admin.get("/metrics").text
    for stage in ("detect", "protect", "translate", "check", "score", "deliver", "cache"):
        assert f'tonegate_stage_seconds_count{{stage="{stage}"}}' in text
    assert metric(admin, "tonegate_stage_seconds_count", stage="translate") > 0
    from gateway.queues import WATCHED

    assert len(WATCHED) == 3  # jobs, outbox, dead letters
    for stream, _ in WATCHED:
        for gauge in ("tonegate_queue_depth", "tonegate_queue_pending", "tonegate_queue_lag"):
            assert re.search(rf'^{gauge}{{queue="{re.escape(stream)}"}} \d', text, re.M), (gauge, stream)
    assert 'tonegate_engine_queue_segments{engine="apertium"} 0.0' in text
    assert "tonegate_cache_misses_total" in text and "tonegate_inflight_texts 0.0" in text


async def test_queue_gauges_read_depth_pending_and_lag(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        for i in range(5):
            await client.xadd("s:grouped", {"n": i})
        await client.xgroup_create("s:grouped", "g", id="0")
        await client.xreadgroup("g", "c1", {"s:grouped": ">"}, count=2)  # 2 delivered, not acknowledged
        await client.xadd("s:nogroup", {"n": 1})
        watched = (("s:grouped", "g"), ("s:nogroup", "g"), ("s:absent", "g"), ("s:plain", None))

        class Queue:
            pending = 7

        metrics = Metrics()
        await metrics.collect_queues(client, watched, {"slow-engine": Queue()})
    finally:
        await client.aclose()

    def value(name: str, label: str, key: str = "queue") -> float | None:
        return metrics.registry.get_sample_value(name, {key: label})

    assert (value("tonegate_queue_depth", "s:grouped"), value("tonegate_queue_pending", "s:grouped")) == (5, 2)
    assert value("tonegate_queue_lag", "s:grouped") == 3
    assert [
        value(n, "s:nogroup") for n in ("tonegate_queue_depth", "tonegate_queue_pending", "tonegate_queue_lag")
    ] == [
        1,
        0,
        0,
    ]
    assert value("tonegate_queue_depth", "s:absent") == 0 and value("tonegate_queue_lag", "s:absent") == 0
    assert value("tonegate_queue_depth", "s:plain") == 0
    assert value("tonegate_engine_queue_segments", "slow-engine", "engine") == 7


# --- back-pressure, on a gateway whose Apertium waits at a gate ---------------------------------


class Gate:
    """Wraps the real engine; every call waits until the test opens the gate."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name, self.kind, self.pairs = engine.name, engine.kind, engine.pairs
        self.open = threading.Event()
        self.entered = threading.Semaphore(0)

    def translate(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        self.entered.release()
        assert self.open.wait(WAIT), "the test never opened the gate"
        return self.engine.translate(segments, pair)

    def score(self, sources, targets, pair) -> list[float]:
        return self.engine.score(sources, targets, pair)

    def close(self) -> None:
        self.engine.close()


class Gated:
    def __init__(self, server: LiveServer, client: httpx.Client, app) -> None:
        self.server, self.client, self.app = server, client, app

    @property
    def batcher(self):
        return self.app.state.services.registry.batchers["apertium"]

    @property
    def gate(self) -> Gate:
        return self.batcher.engine


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gated]:
    from gateway.app import create_app
    from gateway.services import open_services
    from gateway.settings import load_settings

    root = tmp_path_factory.mktemp("gated")
    engines = root / "engines.toml"
    # At most 2 queued segments before the engine refuses; 4 texts in flight before the gateway does.
    engines.write_text(
        '[[engine]]\nname = "apertium"\nkind = "apertium"\npairs = ["en-es", "es-en"]\nmax_pending = 2\n'
    )

    @asynccontextmanager
    async def gated_services(settings) -> AsyncIterator:
        async with open_services(settings) as services:
            batcher = services.registry.batchers["apertium"]
            batcher.engine = Gate(batcher.engine)
            yield services

    server_redis = EmbeddedRedis(root / "redis", port=free_port())
    server_redis.start()
    settings = load_settings(
        redis_url=server_redis.url,
        data_dir=root / "data",
        engines=engines,
        admin_key=ADMIN_KEY,
        detector="langdetect",
        languages=("en", "es"),
        round_trip=False,
        max_inflight=4,
    )
    app = create_app(settings, gated_services)
    server = LiveServer(app, free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=WAIT) as c:
            yield Gated(server, c, app)
    finally:
        app.state.services.registry.batchers["apertium"].engine.open.set()
        server.stop()
        server_redis.stop()


def wait_until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_overload_answers_429_with_retry_after_and_nothing_hangs(gated: Gated) -> None:
    gate, client = gated.gate, gated.client
    gate.open.clear()
    with ThreadPoolExecutor(4) as pool:
        held: Future = pool.submit(translate, client, "Where is my parcel?")
        assert gate.entered.acquire(timeout=WAIT)  # in the engine: 1 text in flight, nothing queued
        queued: Future = pool.submit(translate, client, ["My card was declined.", "I want a refund."])
        wait_until(lambda: gated.batcher.pending == 2)  # queued behind it: 3 texts in flight

        # The engine's queue is full (2 segments): refused by the batcher.
        busy = translate(client, "Can I change my address?")
        assert busy.status_code == 429, busy.text
        assert busy.json()["error"]["type"] == "overloaded" and "busy" in busy.json()["error"]["message"]
        assert int(busy.headers["Retry-After"]) >= 1

        # 3 texts in flight + 2 more passes the gateway's limit of 4: refused before any work.
        full = translate(client, ["Hello there.", "Good morning."])
        assert full.status_code == 429, full.text
        assert "in flight" in full.json()["error"]["message"] and int(full.headers["Retry-After"]) >= 1
        assert metric(client, "tonegate_rejected_total", reason="inflight") == 1
        assert metric(client, "tonegate_engine_queue_segments", engine="apertium") == 2
        assert metric(client, "tonegate_inflight_texts") == 3

        gate.open.set()
        assert held.result(WAIT).status_code == 200
        r = queued.result(WAIT)
        assert r.status_code == 200 and len(r.json()["translations"]) == 2
    # Drained: the refused requests go through now.
    assert translate(client, "Can I change my address?").status_code == 200
    assert translate(client, ["Hello there.", "Good morning."]).status_code == 200
    assert metric(client, "tonegate_inflight_texts") == 0


def test_a_held_engine_leaves_cached_texts_and_health_answering(gated: Gated) -> None:
    gate, client = gated.gate, gated.client
    gate.open.set()
    cached = translate(client, "Thank you for waiting.")
    assert cached.status_code == 200
    gate.open.clear()
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(translate, client, "Is my order on its way?")
        assert gate.entered.acquire(timeout=WAIT)
        # The event loop is free: health, metrics and cached answers do not wait for the engine.
        assert client.get("/healthz").status_code == 200
        assert translate(client, "Thank you for waiting.").json() == cached.json()
        gate.open.set()
        assert held.result(WAIT).status_code == 200


def test_settings_reject_bad_limits(tmp_path: Path) -> None:
    from gateway.errors import SettingsError
    from gateway.settings import load_settings

    with pytest.raises(SettingsError, match="TONEGATE_MAX_INFLIGHT"):
        load_settings(max_inflight=0)
    with pytest.raises(SettingsError, match="TONEGATE_CACHE_TTL_S"):
        load_settings(cache_ttl_s=-1)
    assert load_settings(cache_ttl_s=0).cache_ttl_s == 0
