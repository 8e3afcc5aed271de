"""The `tonegate` command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.embedded_redis import free_port
from tests.conftest import ADMIN_KEY

ROOT = Path(__file__).resolve().parents[2]


def tonegate(
    *args: str, env: dict | None = None, stdin: str | None = None, timeout: float = 180, cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TONEGATE_")}
    full_env["PYTHONPATH"] = str(ROOT)  # the package, whatever folder the command runs in
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def seed_data_dir(data_dir: Path) -> None:
    """What a first `tonegate serve` leaves behind: the embedded Redis's append-only files."""
    from gateway.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(data_dir, fsync="everysec")
    server.start()
    server.stop()


def test_translate_prints_spanish():
    r = tonegate("translate", "--to", "es", "Hi, where is my order #48213? I paid with Shop Pay.")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("Hola, dónde")
    assert "#48213" in r.stdout


def test_translate_says_it_loads_the_engines_itself_without_a_gateway():
    r = tonegate("translate", "--to", "es", "--from", "en", "Thank you very much.")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Muchas gracias.\n"
    assert "translating in this process" in r.stderr and "TONEGATE_URL" in r.stderr


@pytest.mark.parametrize("texts", [[""], ["   "], ["Hello", ""]])
def test_empty_text_is_an_error_as_in_the_api(texts):
    r = tonegate("translate", "--to", "es", *texts)
    assert r.returncode == 2 and r.stdout == ""
    assert "empty: nothing to translate" in r.stderr


def test_translate_uses_a_running_gateway_when_one_is_configured(admin, gateway):
    # A brand term only the gateway knows: the output shows which side translated.
    assert admin.put("/v1/brands/cli-remote", json={"languages": ["en", "es"]}).status_code in (200, 201)
    term = {"kind": "term", "source": "order", "target": "encargo", "source_lang": "en", "target_lang": "es"}
    r = admin.post("/v1/brands/cli-remote/glossary", json=term)
    assert r.status_code == 201, r.text
    env = {"TONEGATE_URL": gateway.url, "TONEGATE_API_KEY": ADMIN_KEY}
    r = tonegate("translate", "--to", "es", "--brand", "cli-remote", "--json", "Where is my order?", env=env)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert "encargo" in result["text"] and result["source_lang"] == "en"
    assert any(t["target"] == "encargo" and t["applied"] for t in result["terms"])
    assert "translating in this process" not in r.stderr
    lines = [json.dumps({"text": "Good morning.", "target_lang": "es"}), json.dumps("Merci beaucoup.")]
    r = tonegate("translate", "--to", "es", stdin="\n".join(lines), env=env)
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["text"] for line in r.stdout.splitlines()] == ["Buenos días.", "Muchas gracias."]


def test_gateway_errors_are_one_line_with_a_status(gateway):
    env = {"TONEGATE_URL": gateway.url, "TONEGATE_API_KEY": "tg_000000000000_wrong"}
    r = tonegate("translate", "--to", "es", "Hello", env=env)
    assert r.returncode == 2 and "answered 401" in r.stderr and "TONEGATE_API_KEY" in r.stderr
    r = tonegate("translate", "--to", "es", "Hello", env={"TONEGATE_URL": gateway.url})
    assert r.returncode == 2 and "TONEGATE_API_KEY" in r.stderr
    r = tonegate("translate", "--to", "es", "--brand", "demo", "Hello")
    assert r.returncode == 2 and "--brand needs a running gateway" in r.stderr
    r = tonegate(
        "translate",
        "--to",
        "es",
        "Hello",
        env={"TONEGATE_URL": f"http://127.0.0.1:{free_port()}", "TONEGATE_API_KEY": ADMIN_KEY},
    )
    assert r.returncode == 2 and "cannot reach the gateway" in r.stderr and "Traceback" not in r.stderr


def test_translate_json_prints_the_whole_result():
    r = tonegate("translate", "--to", "es", "--json", "Thank you very much.")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["text"] == "Muchas gracias." and result["source_lang"] == "en"
    assert {"confidence", "band", "needs_review", "signals", "engine"} <= result.keys()


def test_json_lines_on_stdin_are_translated_as_one_batch():
    lines = [
        json.dumps({"text": "Good morning.", "target_lang": "es"}),
        json.dumps("My parcel is late."),
        json.dumps({"text": "Merci beaucoup.", "target_lang": "es"}),
    ]
    r = tonegate("translate", "--to", "es", stdin="\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["text"] for o in out] == ["Buenos días.", "Mi paquete es tarde.", "Muchas gracias."]
    assert out[2]["source_lang"] == "fr"


def test_bad_stdin_line_is_reported_with_its_number():
    r = tonegate("translate", "--to", "es", stdin='{"text": "ok"}\nnot json\n')
    assert r.returncode == 2 and "stdin line 2 is not JSON" in r.stderr


def test_unsupported_pair_is_one_clear_line():
    r = tonegate("translate", "--to", "de", "--from", "en", "Hello")
    assert r.returncode == 2 and "no engine for en→de" in r.stderr and "Traceback" not in r.stderr


def test_detect_prints_language_and_confidence():
    r = tonegate("detect", "Merci beaucoup")
    assert r.returncode == 0, r.stderr
    lang, confidence = r.stdout.split()
    assert lang == "fr" and 0.5 < float(confidence) <= 1.0


def test_short_messages_get_an_answer_not_an_error():
    # "ok" reads as Polish, "thx" as Vietnamese: the CLI, like the API, never ends in "no engine".
    r = tonegate("translate", "--to", "es", "--json", "ok", "thx", "👍")
    assert r.returncode == 0, r.stderr
    outs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["text"] for o in outs] == ["ok", "thx", "👍"]
    assert [o["detected"]["decided_by"] for o in outs] == ["agent", "agent", "no_letters"]
    r = tonegate("detect", "ok")
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith("unreliable (too_short)")


def test_bad_setting_stops_with_its_name():
    r = tonegate("detect", "hello", env={"TONEGATE_PORT": "eighty"})
    assert r.returncode == 2 and "TONEGATE_PORT" in r.stderr


def test_no_gateway_data_is_an_error_and_nothing_is_created(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "home"
    for args in (("keys", "list"), ("glossary", "list", "acme"), ("deadletters", "list"), ("integrations", "list")):
        r = tonegate(*args, cwd=elsewhere, env={"HOME": str(home), "XDG_DATA_HOME": ""})
        assert r.returncode == 2, (args, r.stderr)
        assert f"no gateway data in {home}/.local/share/tonegate" in r.stderr and "--data-dir" in r.stderr
    assert list(elsewhere.iterdir()) == [] and not home.exists()  # no ./data, no empty data folder


def test_data_dir_option_and_variable_find_the_same_data_from_any_folder(tmp_path):
    data, elsewhere = tmp_path / "gateway-data", tmp_path / "elsewhere"
    elsewhere.mkdir()
    seed_data_dir(data)
    created = tonegate("--data-dir", str(data), "keys", "create", "--label", "Bo", cwd=elsewhere)
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.strip().split("_")[1]
    listed = tonegate("keys", "list", env={"TONEGATE_DATA_DIR": str(data)})
    assert f"{key_id}\thelpdesk\tBo" in listed.stdout
    assert list(elsewhere.iterdir()) == []
    # The default folder, named by XDG_DATA_HOME, whatever the current folder.
    r = tonegate("keys", "list", cwd=elsewhere, env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert r.returncode == 2 and f"no gateway data in {tmp_path}/xdg/tonegate" in r.stderr
    (tmp_path / "xdg").mkdir()
    data.rename(tmp_path / "xdg" / "tonegate")
    r = tonegate("keys", "list", cwd=elsewhere, env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert r.returncode == 0 and f"{key_id}\thelpdesk\tBo" in r.stdout


def test_keys_create_list_revoke_on_the_embedded_redis(tmp_path):
    env = {"TONEGATE_DATA_DIR": str(tmp_path)}
    seed_data_dir(tmp_path)
    created = tonegate("keys", "create", "--role", "editor", "--label", "Ana", env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("tg_")
    key_id = token.split("_")[1]
    listed = tonegate("keys", "list", env=env)
    assert f"{key_id}\teditor\tAna" in listed.stdout and token not in listed.stdout
    assert tonegate("keys", "revoke", key_id, env=env).returncode == 0
    assert key_id not in tonegate("keys", "list", env=env).stdout
    assert tonegate("keys", "revoke", key_id, env=env).returncode == 1


def _start_serve(data_dir: Path, port: int) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEGATE_")}
    env["TONEGATE_DATA_DIR"] = str(data_dir)
    log = data_dir / f"serve-{port}.log"
    handle = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return proc, log.read_text()
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"tonegate serve did not become ready:\n{log.read_text()}")


def test_serve_on_embedded_defaults_prints_an_admin_key_once_and_persists(tmp_path):
    port = free_port()
    proc, log = _start_serve(tmp_path, port)
    try:
        keys = re.findall(r"\btg_[0-9a-f]{12}_\S+", log)
        assert len(keys) == 1, log
        admin = {"Authorization": f"Bearer {keys[0]}"}
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/translate",
            headers=admin,
            timeout=30,
            json={"text": "Where is my order?", "target_lang": "es", "brand": "demo"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["translations"][0]["text"] == "Dónde es mi orden?"
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0  # a clean shutdown, embedded Redis included
    assert (tmp_path / "appendonlydir").is_dir()  # the private Redis kept its append-only file here
    assert not (tmp_path / "redis.sock").exists()  # and it stopped with the gateway

    proc, log = _start_serve(tmp_path, port)
    try:
        assert not re.findall(r"\btg_[0-9a-f]{12}_\S+", log), "the admin key must be shown only on first start"
        r = httpx.get(f"http://127.0.0.1:{port}/v1/languages", headers=admin, timeout=30)
        assert r.status_code == 200  # the key survived the restart
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_with_unreachable_redis_names_the_setting(tmp_path):
    r = tonegate("serve", "--port", str(free_port()), env={"TONEGATE_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert r.returncode == 2
    assert "TONEGATE_REDIS_URL: cannot reach Redis" in r.stderr and "Traceback" not in r.stderr


def test_glossary_import_list_export_delete(tmp_path, redis_url):
    import redis as redis_sync

    from gateway.brands import Brand

    redis_sync.Redis.from_url(redis_url).set("tonegate:brand:cli", Brand(name="cli").model_dump_json())
    env = {"TONEGATE_REDIS_URL": redis_url}
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kind,source_lang,target_lang,source,target,case_sensitive,note\ndnt,,,Shop Pay,,true,\n"
        "term,en,es,order,,false,\n"
    )
    r = tonegate("glossary", "import", "cli", str(bad), env=env)
    assert r.returncode == 2 and "line 3:" in r.stderr and "nothing imported" in r.stderr
    good = tmp_path / "good.csv"
    good.write_text(bad.read_text().replace("order,,false", "order,pedido,false"))
    r = tonegate("glossary", "import", "cli", str(good), env=env)
    assert r.returncode == 0, r.stderr
    assert "2 added" in r.stderr
    listed = tonegate("glossary", "list", "cli", env=env).stdout.splitlines()
    assert len(listed) == 2 and any("\tterm\ten→es\torder\tpedido" in line for line in listed)
    exported = tonegate("glossary", "export", "cli", "--format", "tbx", env=env)
    assert exported.returncode == 0 and "<martif" in exported.stdout and "Shop Pay" in exported.stdout
    term_id = next(line.split("\t")[0] for line in listed if "order" in line)
    assert tonegate("glossary", "delete", "cli", term_id, env=env).returncode == 0
    assert len(tonegate("glossary", "list", "cli", env=env).stdout.splitlines()) == 1
    r = tonegate("glossary", "list", "nobrand", env=env)
    assert r.returncode == 2 and "no brand named 'nobrand'" in r.stderr


def test_local_translate_builds_only_the_engines_a_route_can_use(tmp_path):
    from gateway.cli.local import needed_registry
    from gateway.settings import load_settings

    engines = tmp_path / "engines.toml"
    engines.write_text(
        '[[engine]]\nname = "a"\nkind = "apertium"\npairs = ["en-es", "es-en"]\n'
        '[[engine]]\nname = "b"\nkind = "apertium"\npairs = ["fr-es"]\n'
        '[[engine]]\nname = "c"\nkind = "apertium"\npairs = ["es-pt"]\n'
    )
    settings = load_settings(engines=engines, data_dir=tmp_path)

    def built(pairs) -> list[str]:
        registry = needed_registry(settings, pairs)
        try:
            return [e.name for e in registry.engines]
        finally:
            registry.close()

    assert built([("en", "es")]) == ["a"]
    assert built([("en", "pt")]) == ["a", "c"]  # through the es pivot
    assert built([("eng", "spa"), ("fr", "pt")]) == ["a", "b", "c"]
    assert built([(None, "es")]) == ["a", "b", "c"]  # the source is detected later: any could serve
