"""`tonegate corrections`, run as a user runs it, against a real Redis."""

from __future__ import annotations

from tests.gateway.test_cli import tonegate


def _listed(env: dict) -> dict[str, list[str]]:
    r = tonegate("corrections", "list", env=env)
    assert r.returncode == 0, r.stderr
    return {line.split("\t")[0]: line.split("\t") for line in r.stdout.splitlines()}


def test_list_switch_add_remove_and_history(redis_url):
    env = {"TONEGATE_REDIS_URL": redis_url}
    before = _listed(env)
    assert before["grifo"][1:4] == ["on", "target", "shipped"]

    r = tonegate("corrections", "off", "grifo", env=env)
    assert r.returncode == 0 and "switched off (version 1)" in r.stderr
    assert _listed(env)["grifo"][1] == "off"

    r = tonegate(
        "corrections", "add", "--id", "tap-mine", "--kind", "source", "--match", "tap", "--replace", "pulsa", env=env
    )
    assert r.returncode == 0, r.stderr
    assert _listed(env)["tap-mine"][1:] == ["on", "source", "admin", "tap", "pulsa"]

    bad = tonegate("corrections", "add", "--id", "x", "--kind", "target", "--match", "(", "--replace", "y", env=env)
    assert bad.returncode == 2 and "regular expression" in bad.stderr and "Traceback" not in bad.stderr
    shipped = tonegate("corrections", "remove", "grifo", env=env)
    assert shipped.returncode == 2 and "switch it off" in shipped.stderr

    assert tonegate("corrections", "remove", "tap-mine", env=env).returncode == 0
    assert tonegate("corrections", "on", "grifo", env=env).returncode == 0
    history = tonegate("corrections", "history", env=env).stdout.splitlines()
    assert [h.split("\t")[2] for h in history] == ["off", "add", "delete", "on"]
    assert all(h.split("\t")[1] == "cli" for h in history)
    assert _listed(env) == before


def test_an_unknown_id_and_a_bad_pair_are_one_clear_line(redis_url):
    env = {"TONEGATE_REDIS_URL": redis_url}
    r = tonegate("corrections", "off", "no-such-id", env=env)
    assert r.returncode == 2 and "no correction with id 'no-such-id'" in r.stderr
    r = tonegate("corrections", "list", "--pair", "english", env=env)
    assert r.returncode == 2 and "source-target" in r.stderr
