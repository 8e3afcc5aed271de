"""TONEGATE_REDIS_MODE=cluster against a real three-master Redis Cluster on 127.0.0.1.

Today only the parts whose keys share one slot run on a cluster: the gateway starts (demo brand,
bootstrap), translates and caches. Stores that write keys of different slots in one transaction
(API keys, audit log, memory, glossaries, DeepL glossaries, integrations, the outbox -> jobs
handoff) still fail with CROSSSLOT; issue 15 tracks their key layout, and this test grows with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.embedded_redis import free_port
from gateway.settings import load_settings
from tests.conftest import ADMIN_KEY, LiveServer
from tests.redis_topologies import ClusterSetup


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[ClusterSetup]:
    setup = ClusterSetup(tmp_path / "cluster")
    yield setup
    setup.stop()


def test_gateway_starts_and_translates_on_a_cluster(cluster: ClusterSetup, tmp_path: Path) -> None:
    from gateway.app import create_app

    settings = load_settings(
        redis_mode="cluster", redis_url=cluster.url, data_dir=tmp_path / "data", admin_key=ADMIN_KEY, workers=0
    )
    server = LiveServer(create_app(settings), free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60) as admin:
            body = {"text": "Good morning", "source_lang": "en", "target_lang": "es"}
            first = admin.post("/v1/translate", json=body)
            assert first.status_code == 200, first.text
            again = admin.post("/v1/translate", json=body)
            assert (
                again.status_code == 200
                and again.json()["translations"][0]["text"] == first.json()["translations"][0]["text"]
            )
    finally:
        server.stop()
    # The data is spread over the masters, not all on the seed node.
    holding = [s.port for s in cluster.servers if s.client.dbsize() > 0]
    assert len(holding) >= 2, holding
