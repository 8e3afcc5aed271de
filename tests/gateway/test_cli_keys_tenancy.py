"""`tonegate keys create --brands/--ttl`, `keys list` and `keys rotate`, with the audit entries they leave."""

from __future__ import annotations

import redis

from gateway.brands import Brand
from gateway.embedded_redis import EmbeddedRedis
from tests.gateway.test_cli import tonegate


def _key_id(stdout: str) -> str:
    return stdout.strip().split("_")[1]


def test_keys_scoped_expiring_and_rotated(tmp_path):
    env = {"TONEGATE_DATA_DIR": str(tmp_path)}
    server = EmbeddedRedis(tmp_path, fsync="everysec")
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        client.set("tonegate:brand:acme", Brand(name="acme").model_dump_json())
        client.close()
    finally:
        server.stop()
    missing = tonegate("keys", "create", "--brands", "acme,nope", env=env)
    assert missing.returncode != 0 and "no brand named 'nope'" in missing.stderr, missing.stderr
    bad_ttl = tonegate("keys", "create", "--ttl", "soon", env=env)
    assert bad_ttl.returncode != 0 and "--ttl" in bad_ttl.stderr
    made = tonegate(
        "keys", "create", "--role", "editor", "--label", "acme desk", "--brands", "acme", "--ttl", "30d", env=env
    )
    assert made.returncode == 0, made.stderr
    old = _key_id(made.stdout)
    listed = tonegate("keys", "list", env=env).stdout
    line = next(x for x in listed.splitlines() if x.startswith(old))
    assert "\teditor\tacme desk\tbrands=acme\texpires " in line, line
    everyone = tonegate("keys", "create", env=env)
    assert everyone.returncode == 0
    assert f"{_key_id(everyone.stdout)}\thelpdesk\t\tbrands=all" in tonegate("keys", "list", env=env).stdout
    # An all-brands key (as every key made before brands were scoped) is narrowed in place.
    wide = _key_id(everyone.stdout)
    assert tonegate("keys", "scope", wide, "--brands", "nope", env=env).returncode != 0
    narrowed = tonegate("keys", "scope", wide, "--brands", "acme", env=env)
    assert narrowed.returncode == 0 and "now serves acme" in narrowed.stderr, narrowed.stderr
    assert f"{wide}\thelpdesk\t\tbrands=acme" in tonegate("keys", "list", env=env).stdout

    # With a grace period the old key is still listed, now with an expiry; the new one has its scope.
    rotated = tonegate("keys", "rotate", old, "--grace", "1h", env=env)
    assert rotated.returncode == 0, rotated.stderr
    new = _key_id(rotated.stdout)
    assert new != old and f"{old} stops working at" in rotated.stderr
    listed = tonegate("keys", "list", env=env).stdout
    assert f"{new}\teditor\tacme desk\tbrands=acme\texpires " in listed, listed
    assert any(x.startswith(old) and "expires" in x for x in listed.splitlines())
    # Without one the old key is revoked at once.
    again = tonegate("keys", "rotate", new, "--grace", "0", env=env)
    assert again.returncode == 0, again.stderr
    assert not any(x.startswith(new) for x in tonegate("keys", "list", env=env).stdout.splitlines())
    assert tonegate("keys", "rotate", "nokey", env=env).returncode != 0
    added = tonegate("glossary", "add", "acme", "--kind", "dnt", "--source", "HOLIDAY25", env=env)
    assert added.returncode == 0, added.stderr
    term_id = added.stdout.strip()

    server = EmbeddedRedis(tmp_path, fsync="everysec")
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        entries = [{k.decode(): v.decode() for k, v in f.items()} for _, f in client.xrange("tonegate:audit")]
        acme = [{k.decode(): v.decode() for k, v in f.items()} for _, f in client.xrange("tonegate:audit:brand:acme")]
        client.close()
    finally:
        server.stop()
    actions = [(e["kind"], e["action"], e["target"], e["key_label"]) for e in entries]
    assert ("key", "create", old, "tonegate CLI") in actions
    assert ("key", "rotate", old, "tonegate CLI") in actions and ("key", "rotate", new, "tonegate CLI") in actions
    assert {e["target"] for e in acme} >= {old, new}
    assert all(e["brands"] == "acme" for e in acme)
    assert ("glossary", "add", term_id, "tonegate CLI") in actions
