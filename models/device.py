"""Pick the compute device: `auto` means CUDA when a GPU is visible, else CPU."""

from __future__ import annotations

from typing import Literal

from models.errors import ConfigError


def cuda_available(backend: Literal["torch", "ctranslate2"]) -> bool:
    if backend == "ctranslate2":
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    import torch

    return torch.cuda.is_available()


def resolve_device(requested: str, backend: Literal["torch", "ctranslate2"]) -> str:
    if requested == "cpu":
        return "cpu"
    has_cuda = cuda_available(backend)
    if requested == "cuda" and not has_cuda:
        raise ConfigError('device = "cuda" was requested but no CUDA device is visible; use "auto" or "cpu"')
    return "cuda" if has_cuda else "cpu"
