"""Tiny neural models, built once per test session into temporary folders (nothing is downloaded)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Before transformers / huggingface_hub are imported by any test: a test must never reach the hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _needs_neural() -> None:
    for module in ("torch", "transformers", "sentencepiece", "ctranslate2"):
        pytest.importorskip(module)


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _needs_neural()
    return tmp_path_factory.mktemp("tiny-models")


@pytest.fixture(scope="session")
def marian_dir(tiny_root: Path) -> Path:
    """One-pair en→es Marian model; its tokenizer config names the pair."""
    from tests.models.tinymodels import build_marian

    return build_marian(tiny_root / "marian-en-es")


@pytest.fixture(scope="session")
def marian_anonymous_dir(tiny_root: Path) -> Path:
    """One-pair Marian model that declares no languages anywhere."""
    from tests.models.tinymodels import build_marian

    return build_marian(tiny_root / "tiny-marian", source_lang=None, target_lang=None, seed=1)


@pytest.fixture(scope="session")
def marian_multi_dir(tiny_root: Path) -> Path:
    """Multi-target Marian model (>>es<< and >>fr<< tokens), source English."""
    from tests.models.tinymodels import build_marian

    return build_marian(tiny_root / "marian-en-multi", target_tokens=(">>es<<", ">>fr<<"), target_lang=None, seed=2)


@pytest.fixture(scope="session")
def nllb_dir(tiny_root: Path) -> Path:
    from tests.models.tinymodels import build_nllb

    return build_nllb(tiny_root / "nllb")


@pytest.fixture(scope="session")
def m2m100_dir(tiny_root: Path) -> Path:
    from tests.models.tinymodels import build_m2m100

    return build_m2m100(tiny_root / "m2m100")


@pytest.fixture(scope="session")
def converted(tiny_root: Path) -> Callable[[Path, str], Path]:
    """convert(model_dir, quantization) -> CTranslate2 folder, each conversion done once."""
    from models.ct2 import convert

    done: dict[tuple[Path, str], Path] = {}

    def get(model_dir: Path, quantization: str = "int8") -> Path:
        key = (model_dir, quantization)
        if key not in done:
            done[key] = convert(model_dir, tiny_root / f"{model_dir.name}-ct2-{quantization}", quantization)
        return done[key]

    return get


@pytest.fixture(scope="session")
def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
