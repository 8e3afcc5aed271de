"""Faults the issue names, with real processes: a worker killed with SIGKILL in the middle of 200
messages, and Redis killed and restarted from its append-only file. Every accepted message must
reach the helpdesk exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from gateway.embedded_redis import free_port
from gateway.queues import JOBS, JOBS_GROUP
from tests.conftest import ADMIN_KEY, repo_root
from tests.helpdesks import FakeHelpdesk
from tests.integration_stack import (
    QUICK,
    Sender,
    add_integration,
    admin_client,
    chatwoot_message,
    start_gateway,
    start_redis,
    wait_for,
)

TEXT = "Hola, ¿dónde está mi pedido? Lo compré hace una semana."
# Workers and gateways here only need Spanish→English: two pipelines load in a second.
ENGINES = """
[[engine]]
name = "apertium"
kind = "apertium"
pairs = ["es-en", "en-es"]
"""


@pytest.fixture
def engines_file(tmp_path: Path) -> Path:
    path = tmp_path / "engines.toml"
    path.write_text(ENGINES)
    return path


@pytest.fixture
def chatwoot() -> Iterator[FakeHelpdesk]:
    # Chatwoot ignores Idempotency-Key (so does its fake): only the worker's own check stops a
    # second note after a crash.
    desk = FakeHelpdesk("chatwoot", token="cw-fault-token").start()
    yield desk
    desk.stop()


def start_worker(redis_url: str, data_dir: Path, engines: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "TONEGATE_REDIS_URL": redis_url,
        "TONEGATE_DATA_DIR": str(data_dir),
        "TONEGATE_ENGINES": str(engines),
        "TONEGATE_LANGUAGES": '["en", "es"]',
        "TONEGATE_WORKER_CONCURRENCY": "8",
        "TONEGATE_LOG_LEVEL": "warning",
        **{f"TONEGATE_{k.upper()}": str(v) for k, v in QUICK.items()},
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "worker"], cwd=repo_root(), env=env, stdout=subprocess.DEVNULL
    )


def consumers(client: redis.Redis) -> int:
    try:
        return len(client.xinfo_consumers(JOBS, JOBS_GROUP))
    except redis.ResponseError:  # no group yet
        return 0


def one_note_each(desk: FakeHelpdesk, conversations: range) -> None:
    counts = {c: len(desk.messages(str(c))) for c in conversations}
    assert all(n == 1 for n in counts.values()), {c: n for c, n in counts.items() if n != 1}


def test_killed_worker_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, engines_file: Path, chatwoot: FakeHelpdesk
) -> None:
    store = start_redis(tmp_path / "redis")
    client = redis.Redis.from_url(store.url)
    # The API process only accepts; the two worker processes do the work.
    gateway = start_gateway(store.url, tmp_path / "api", workers=0, engines=engines_file, languages=("en", "es"))
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with admin_client(gateway.url) as admin:
            add_integration(admin, "cw", chatwoot, api_token="cw-fault-token")
        workers = [start_worker(store.url, tmp_path / f"w{i}", engines_file) for i in range(2)]
        wait_for(lambda: consumers(client) == 2, timeout_s=120, what="both workers reading the stream")
        conversations = range(5000, 5200)
        send = Sender(gateway.url, "cw", "chatwoot")

        def post(c: int) -> int:
            return send.send(chatwoot_message(c, c, TEXT)).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(post, conversations))
        assert statuses == [202] * len(conversations)
        wait_for(lambda: len(chatwoot.messages()) >= 40, what="the first notes")

        def held_by_first() -> int:
            # Consumer names carry the process id: the first worker's jobs read, not yet acknowledged.
            mine = f"-{workers[0].pid}-"
            return sum(c["pending"] for c in client.xinfo_consumers(JOBS, JOBS_GROUP) if mine in c["name"].decode())

        wait_for(lambda: held_by_first() > 0, what="the first worker holding jobs")
        workers[0].send_signal(signal.SIGKILL)  # mid-batch: it holds jobs it has not acknowledged
        workers[0].wait(10)
        assert held_by_first() > 0  # its jobs are pending, not done
        wait_for(
            lambda: all(chatwoot.messages(str(c)) for c in conversations),
            timeout_s=180,
            what="every conversation's note",
        )
        wait_for(lambda: client.xlen(JOBS) == 0, what="the stream to drain")
        one_note_each(chatwoot, conversations)
        assert client.xpending(JOBS, JOBS_GROUP)["pending"] == 0  # the survivor claimed and finished them
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
                w.wait(30)
        gateway.stop()
        store.stop()


def test_redis_killed_and_restarted_from_its_append_only_file_loses_nothing(
    tmp_path: Path, engines_file: Path, chatwoot: FakeHelpdesk
) -> None:
    port = free_port()
    store = start_redis(tmp_path / "redis", port=port, fsync="always")
    gateway = start_gateway(store.url, tmp_path / "api", workers=0, engines=engines_file, languages=("en", "es"))
    try:
        with admin_client(gateway.url) as admin:
            add_integration(admin, "cw", chatwoot, api_token="cw-fault-token")
        send = Sender(gateway.url, "cw", "chatwoot")
        conversations = range(7000, 7050)
        for c in conversations:
            assert send.send(chatwoot_message(c, c, TEXT)).status_code == 202
        assert store.proc is not None
        store.proc.kill()  # SIGKILL: no chance to flush anything on the way out
        store.proc.wait(10)
        # While Redis is away, webhooks are refused (the helpdesk will retry), never "accepted".
        down = send.send(chatwoot_message(7999, 7999, TEXT))
        assert down.status_code == 503 and "Redis" in down.json()["error"]["message"]
        store = start_redis(tmp_path / "redis", port=port, fsync="always")
        assert redis.Redis.from_url(store.url).xlen(JOBS) == len(conversations)
        worker = start_gateway(store.url, tmp_path / "worker", workers=1, engines=engines_file, languages=("en", "es"))
        try:
            wait_for(lambda: all(chatwoot.messages(str(c)) for c in conversations), timeout_s=120, what="every note")
            one_note_each(chatwoot, conversations)
        finally:
            worker.stop()
    finally:
        gateway.stop()
        store.stop()


def test_worker_command_needs_the_gateways_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEGATE_")}
    env |= {"TONEGATE_DATA_DIR": str(tmp_path), "TONEGATE_ADMIN_KEY": ADMIN_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "worker"], cwd=repo_root(), env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert b"TONEGATE_REDIS_URL" in done.stderr
