"""`tonegate models pull`: a local model folder becomes a declared, checked CTranslate2 engine;
a hub id with the hub out of reach, or a folder that is not there, gets a message saying what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.config import load_engine_specs

ROOT = Path(__file__).resolve().parents[2]


def tonegate(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "TONEGATE_ENGINES"}
    environ.update(TONEGATE_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", HF_HUB_DISABLE_UPDATE_CHECK="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "gateway", "models", "pull", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=600,
    )


def test_pull_from_a_local_folder_converts_checks_and_declares(tmp_path: Path):
    pytest.importorskip("ctranslate2")
    from tests.models.tinymodels import build_marian

    folder = build_marian(tmp_path / "opus-mt-en-es")
    data = tmp_path / "data"
    done = tonegate(str(folder), data_dir=data)
    assert done.returncode == 0, done.stderr
    engines = data / "engines.toml"
    specs = {s.name: s for s in load_engine_specs(engines)}
    assert "apertium" in specs  # the file was created from the built-in engines, which stay
    pulled = specs["opus-mt-en-es"]
    assert pulled.kind == "ctranslate2" and pulled.pairs == ("en-es",)
    assert (Path(pulled.model) / "model.bin").is_file()
    assert "from " + str(folder) in engines.read_text()
    assert "checked: en-es" in done.stderr and f"TONEGATE_ENGINES={engines}" in done.stderr

    again = tonegate(str(folder), data_dir=data)
    assert again.returncode == 2 and "already declares an engine named 'opus-mt-en-es'; pass --name" in again.stderr
    renamed = tonegate(str(folder), "--name", "es-2", "--engines", str(engines), data_dir=data)
    assert renamed.returncode == 0, renamed.stderr
    assert {"apertium", "opus-mt-en-es", "es-2"} <= {s.name for s in load_engine_specs(engines)}


def test_pull_from_the_hub_offline_says_what_to_do(tmp_path: Path):
    done = tonegate("Helsinki-NLP/opus-mt-en-de", data_dir=tmp_path / "data")
    assert done.returncode == 2
    assert "cannot fetch Helsinki-NLP/opus-mt-en-de" in done.stderr
    assert "huggingface-cli download Helsinki-NLP/opus-mt-en-de --local-dir DIR" in done.stderr
    assert not (tmp_path / "data" / "engines.toml").exists()  # nothing declared


def test_pull_of_a_missing_folder_is_refused(tmp_path: Path):
    done = tonegate(str(tmp_path / "no-such-model"), data_dir=tmp_path / "data")
    assert done.returncode == 2 and "is neither a model folder nor a hub id" in done.stderr
