"""Shared fixtures: a real redis-server on a free port, and the real gateway on a real socket."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from hypothesis import settings as hypothesis_settings

from gateway.embedded_redis import EmbeddedRedis, free_port

# Tests never reach the network: make any accidental hub access fail fast.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ADMIN_KEY = "test-admin-key-0123456789abcdef"

# CI checks the same property-test examples on every run (a submission must not pass or fail by
# luck); local runs keep exploring new examples, which is where property tests find bugs.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    # Tests need no power-cut durability; the test of that starts its own fsync=always server.
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), port=free_port(), fsync="everysec")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> Iterator[str]:
    """A clean database for each test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    yield redis_server.url


class LiveServer:
    """The gateway app under uvicorn in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, app, port: int) -> None:
        import uvicorn

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout_s: float = 120) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the gateway failed to start; see the log above")
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start in time")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def gateway_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """The live gateway's own Redis, so per-test flushes elsewhere never touch its keys."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("gateway-redis"), port=free_port(), fsync="everysec")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gateway(gateway_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from gateway.app import create_app
    from gateway.settings import load_settings

    settings = load_settings(
        redis_url=gateway_redis.url,
        data_dir=tmp_path_factory.mktemp("data"),
        admin_key=ADMIN_KEY,
        max_text_chars=2000,
        max_request_bytes=64_000,
    )
    server = LiveServer(create_app(settings), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin(gateway: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60) as c:
        yield c


@pytest.fixture(scope="session")
def helpdesk_key(admin: httpx.Client) -> str:
    r = admin.post("/v1/keys", json={"role": "helpdesk", "label": "tests"})
    assert r.status_code == 201, r.text
    return r.json()["key"]


@pytest.fixture(scope="session")
def client(gateway: LiveServer, helpdesk_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {helpdesk_key}"}, timeout=60) as c:
        yield c


@pytest.fixture(scope="session")
def anon(gateway: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=60) as c:
        yield c


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
