"""`tonegate translate --local` with an engines file holding an LLM server and a fallback chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.models.remote_servers import FakeLLMServer, Reply

ROOT = Path(__file__).resolve().parents[2]


def test_one_shot_translate_uses_the_chain_and_falls_back(tmp_path: Path):
    llm = FakeLLMServer()
    engines = tmp_path / "engines.toml"
    engines.write_text(
        f"""
[[engine]]
name = "apertium"
kind = "apertium"
pairs = ["en-es", "es-en"]

[[engine]]
name = "llm"
kind = "openai"
base_url = "{llm.url}/v1"
model = "{llm.model}"
pairs = ["en-es"]
retries = 0

[[engine]]
name = "llm-first"
kind = "fallback"
engines = ["llm", "apertium"]
pairs = ["en-es"]
"""
    )
    env = {**os.environ, "TONEGATE_ENGINES": str(engines), "TONEGATE_DATA_DIR": str(tmp_path / "data")}
    env.pop("TONEGATE_URL", None)
    cmd = [sys.executable, "-m", "gateway", "translate", "--local", "--json", "-f", "en", "-t", "es"]
    try:
        served = subprocess.run([*cmd, "thanks"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
        assert served.returncode == 0, served.stderr
        first = json.loads(served.stdout)
        assert first["engine"] == "llm-first:en-es" and first["text"] == "gracias"
        assert len(llm.chat_requests()) == 1
        llm.script.append(Reply(status=503))
        fallback = subprocess.run([*cmd, "thanks"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
        assert fallback.returncode == 0, fallback.stderr
        second = json.loads(fallback.stdout)
        assert any(s["name"] == "engine_fallback" for s in second["signals"]), second
    finally:
        llm.close()
