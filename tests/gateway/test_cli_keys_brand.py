"""`tonegate keys create --brand`: a key whose brand's glossary and tone apply on the drop-in APIs."""

from __future__ import annotations

import redis

from gateway.brands import Brand
from gateway.embedded_redis import EmbeddedRedis
from tests.gateway.test_cli import tonegate


def test_keys_create_with_a_brand(tmp_path):
    env = {"TONEGATE_DATA_DIR": str(tmp_path)}
    server = EmbeddedRedis(tmp_path, fsync="everysec")
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        client.set("tonegate:brand:acme", Brand(name="acme").model_dump_json())
        client.close()
    finally:
        server.stop()
    missing = tonegate("keys", "create", "--brand", "nope", env=env)
    assert missing.returncode != 0 and "no brand named 'nope'" in missing.stderr, missing.stderr
    created = tonegate("keys", "create", "--label", "app", "--brand", "acme", env=env)
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.strip().split("_")[1]
    listed = tonegate("keys", "list", env=env)
    assert f"{key_id}\thelpdesk\tapp\tbrand=acme" in listed.stdout, listed.stdout
