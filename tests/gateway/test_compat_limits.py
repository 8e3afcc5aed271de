"""Quota and load on the drop-in APIs, on a gateway of their own: TONEGATE_CHARACTER_LIMIT answered
as DeepL's 456 and LibreTranslate's 429, and a gateway at its in-flight limit answered 429 by both."""

from __future__ import annotations

from collections.abc import Iterator

import deepl
import httpx
import pytest

from gateway.embedded_redis import free_port
from tests.conftest import ADMIN_KEY, LiveServer


@pytest.fixture(scope="module")
def limited(gateway_redis, tmp_path_factory) -> Iterator[LiveServer]:
    from gateway.app import create_app
    from gateway.settings import load_settings

    settings = load_settings(
        redis_url=gateway_redis.url,
        data_dir=tmp_path_factory.mktemp("limited"),
        admin_key=ADMIN_KEY,
        character_limit=30,
        max_inflight=4,
        workers=0,
    )
    server = LiveServer(create_app(settings), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def key(limited: LiveServer) -> str:
    r = httpx.post(
        f"{limited.url}/v1/keys", json={"role": "helpdesk"}, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert r.status_code == 201, r.text
    return r.json()["key"]


def test_deepl_quota_is_456_and_usage_shows_the_limit(limited, key):
    client = deepl.DeepLClient(key, server_url=limited.url, send_platform_info=False)
    client.translate_text("Thank you for your patience.", source_lang="EN", target_lang="ES")  # 28 characters
    usage = client.get_usage()
    assert (usage.character.count, usage.character.limit) == (28, 30)
    with pytest.raises(deepl.QuotaExceededException):
        client.translate_text("Hello.", source_lang="EN", target_lang="ES")
    # Nothing was translated, so nothing was counted.
    assert client.get_usage().character.count == 28


def test_libretranslate_quota_is_429(limited, key):
    ok = httpx.post(f"{limited.url}/translate", data={"q": "Hello.", "source": "en", "target": "es", "api_key": key})
    assert ok.status_code == 200, ok.text
    r = httpx.post(
        f"{limited.url}/translate",
        data={"q": "Thank you for your patience.", "source": "en", "target": "es", "api_key": key},
    )
    assert r.status_code == 429 and r.json()["error"].startswith("Slowdown:"), r.text


def test_a_gateway_at_its_limit_answers_429_with_retry_after(limited, key):
    # Four texts are in flight (as if other requests held them): the next one is refused at once.
    admission = limited.server.config.app.state.services.admission
    admission.inflight = 4
    try:
        lt = httpx.post(f"{limited.url}/translate", data={"q": "Hi", "source": "en", "target": "es", "api_key": key})
        dl = httpx.post(
            f"{limited.url}/v2/translate",
            json={"text": ["Hi"], "target_lang": "ES"},
            headers={"Authorization": f"DeepL-Auth-Key {key}"},
        )
    finally:
        admission.inflight = 0
    assert lt.status_code == 429 and "Slowdown" in lt.json()["error"]
    assert dl.status_code == 429 and "limit" in dl.json()["message"]
    assert dl.headers["retry-after"].isdigit()
