"""TONEGATE_REDIS_MODE=sentinel against a real master, replica and Sentinel: the gateway translates and
reviews, the master is killed, the Sentinel promotes the replica, and the gateway carries on against
the new master without a restart."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.embedded_redis import free_port
from gateway.errors import SettingsError
from gateway.settings import load_settings
from tests.conftest import ADMIN_KEY, LiveServer
from tests.gateway.test_review import DOUBTFUL
from tests.redis_topologies import MASTER_NAME, SentinelSetup, wait_until


@pytest.fixture
def sentinel_setup(tmp_path: Path) -> Iterator[SentinelSetup]:
    setup = SentinelSetup(tmp_path / "redis")
    yield setup
    setup.stop()


def _review_brand(admin: httpx.Client) -> str:
    name = "sn-" + secrets.token_hex(4)
    rules = {"chat": {"below": 1.0, "deadline_s": 600, "on_deadline": "hold"}}
    r = admin.put(f"/v1/brands/{name}", json={"languages": ["en", "es"], "review": {"outbound": rules}})
    assert r.status_code in (200, 201), r.text
    return name


def _queue_for_review(client: httpx.Client, brand: str) -> str:
    r = client.post(
        "/v1/translate",
        json={
            "text": DOUBTFUL,
            "source_lang": "en",
            "target_lang": "es",
            "brand": brand,
            "direction": "outbound",
            "channel": "chat",
            "conversation_id": "conv-" + secrets.token_hex(3),
        },
    )
    assert r.status_code == 200, r.text
    t = r.json()["translations"][0]
    assert t["needs_review"] is True, t
    return t["review_id"]


def test_gateway_follows_a_sentinel_failover(sentinel_setup: SentinelSetup, tmp_path: Path) -> None:
    from gateway.app import create_app

    settings = load_settings(
        redis_mode="sentinel",
        redis_sentinels=sentinel_setup.sentinels,
        redis_sentinel_master=MASTER_NAME,
        data_dir=tmp_path / "data",
        admin_key=ADMIN_KEY,
        workers=0,
    )
    server = LiveServer(create_app(settings), free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60) as admin:
            # Before: the data lands on the master the Sentinel names.
            r = admin.post("/v1/translate", json={"text": "Good morning", "source_lang": "en", "target_lang": "es"})
            assert r.status_code == 200, r.text
            brand = _review_brand(admin)
            before = _queue_for_review(admin, brand)
            assert sentinel_setup.master.client.exists(f"tonegate:{{review}}:item:{before}") == 1
            # Replicated before the crash, so the promoted replica holds it (WAIT is what makes
            # an acknowledged write survive a master's death; without it the last writes may not).
            assert sentinel_setup.master.client.execute_command("WAIT", 1, 10_000) == 1

            sentinel_setup.kill_master_and_wait_for_promotion()

            # After: the gateway's pool asks the Sentinel again and reaches the new master. The
            # first requests may meet the dead connection (503, nothing stored); poll until it heals.
            def translated() -> bool:
                r = admin.post("/v1/translate", json={"text": "Good evening", "source_lang": "en", "target_lang": "es"})
                assert r.status_code in (200, 503), r.text
                return r.status_code == 200

            wait_until(translated, "the gateway to translate again after the failover", timeout_s=60)

            # What was written before the failover is there, and review state changes work.
            r = admin.post(f"/v1/review/{before}/approve", json={"text": "Hola, su pedido zorblax ha sido enviado."})
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "approved"
            after = _queue_for_review(admin, _review_brand(admin))
            r = admin.post(f"/v1/review/{after}/reject", json={"reason": "checked after the failover"})
            assert r.status_code == 200, r.text
            # ... and it all went to the promoted replica, not somewhere else.
            assert sentinel_setup.replica.client.hget(f"tonegate:{{review}}:item:{before}", "status") == b"approved"
            assert sentinel_setup.replica.client.exists(f"tonegate:{{review}}:item:{after}") == 1
    finally:
        server.stop()


def test_sentinel_and_cluster_settings_are_validated(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="needs TONEGATE_REDIS_SENTINELS"):
        load_settings(redis_mode="sentinel", redis_sentinel_master="m", data_dir=tmp_path)
    with pytest.raises(SettingsError, match="needs TONEGATE_REDIS_SENTINEL_MASTER"):
        load_settings(redis_mode="sentinel", redis_sentinels="127.0.0.1:26379", data_dir=tmp_path)
    with pytest.raises(SettingsError, match="TONEGATE_REDIS_SENTINELS: 'nowhere' is not host:port"):
        load_settings(redis_mode="sentinel", redis_sentinels="nowhere", redis_sentinel_master="m", data_dir=tmp_path)
    with pytest.raises(SettingsError, match="unset TONEGATE_REDIS_URL"):
        load_settings(
            redis_mode="sentinel",
            redis_sentinels="127.0.0.1:26379",
            redis_sentinel_master="m",
            redis_url="redis://127.0.0.1:6379/0",
            data_dir=tmp_path,
        )
    with pytest.raises(SettingsError, match="cluster needs TONEGATE_REDIS_URL"):
        load_settings(redis_mode="cluster", data_dir=tmp_path)
    with pytest.raises(SettingsError, match="need TONEGATE_REDIS_MODE=sentinel"):
        load_settings(redis_sentinels="127.0.0.1:26379", data_dir=tmp_path)
    ok = load_settings(
        redis_mode="sentinel",
        redis_sentinels="10.0.0.1:26379, 10.0.0.2:26379",
        redis_sentinel_master="m",
        data_dir=tmp_path,
    )
    assert ok.redis_mode == "sentinel" and not ok.embedded_redis


def test_unreachable_sentinels_name_the_settings(tmp_path: Path) -> None:
    import anyio

    from gateway.services import open_services

    settings = load_settings(
        redis_mode="sentinel",
        redis_sentinels=f"127.0.0.1:{free_port()}",
        redis_sentinel_master="m",
        data_dir=tmp_path,
        admin_key=ADMIN_KEY,
    )

    async def start() -> None:
        async with open_services(settings):
            pass

    with pytest.raises(SettingsError, match="TONEGATE_REDIS_SENTINELS / TONEGATE_REDIS_SENTINEL_MASTER: cannot reach"):
        anyio.run(start)
