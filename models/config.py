"""Engine declarations: the `[[engine]]` tables of the engines TOML file, validated."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.errors import ConfigError

# kind -> "module:Class", imported only when an engine of that kind is built, so that
# declaring Apertium alone never imports torch.
ENGINE_KINDS: dict[str, str] = {
    "apertium": "models.apertium:ApertiumEngine",
    "transformers": "models.transformers_engine:TransformersEngine",
    "ctranslate2": "models.ct2:CTranslate2Engine",
    "openai": "models.remote.openai_engine:OpenAIEngine",
    "deepl": "models.remote.deepl:DeepLEngine",
    "libretranslate": "models.remote.libretranslate:LibreTranslateEngine",
    # Not an engine of its own: its `engines` are tried in order (models/fallback.py).
    "fallback": "models.fallback:FallbackEngine",
}
REMOTE_KINDS = frozenset({"openai", "deepl", "libretranslate"})


class EngineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: str
    # "en-es" style pairs; ["auto"] asks the engine for everything it can serve (Apertium: the
    # installed modes; neural: the languages the model declares).
    pairs: tuple[str, ...] = ("auto",)
    # A local folder, or a hub id (downloaded only when allow_download is true).
    model: str | None = None
    allow_download: bool = False
    family: Literal["auto", "marian", "nllb", "m2m100"] = "auto"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = "auto"  # CTranslate2: auto = int8 on CPU, int8_float16 on CUDA
    max_batch_size: int = Field(default=32, ge=1, le=4096)
    max_batch_tokens: int = Field(default=4096, ge=16)
    beam_size: int = Field(default=4, ge=1, le=16)
    max_length: int = Field(default=256, ge=8, le=4096)
    threads: int = Field(default=0, ge=0)  # 0 = let the engine fit the host
    # CTranslate2: batches decoded at once, each with `threads` threads (0: the cores / inter_threads).
    # 1 gives the lowest latency per batch; cores/1 the most throughput on small CPUs (bench/README.md).
    inter_threads: int = Field(default=1, ge=1, le=64)
    # Apertium only.
    modes_dir: str = "/usr/share/apertium/modes"
    processes: int = Field(default=1, ge=1, le=16)
    timeout_s: float = Field(default=30.0, gt=0)
    # Dynamic batching (models/batching.py); unset = the engine kind's default: neural engines
    # wait 5 ms for company and run one batch at a time, Apertium dispatches at once and runs a
    # batch per pair pipeline side by side.
    batch_wait_ms: float | None = Field(default=None, ge=0, le=1000)
    # A pair's batch goes out as soon as this many tokens are queued; unset = max_batch_tokens.
    batch_tokens: int | None = Field(default=None, ge=16)
    batch_workers: int | None = Field(default=None, ge=1, le=64)  # batches in flight at once
    max_pending: int = Field(default=4096, ge=1)  # queued segments before callers get 429 (EngineBusy)
    # Remote engines (openai, deepl, libretranslate; docs/engines.md). The key is never written
    # here: `api_key_env` names the environment variable that holds it.
    base_url: str | None = None  # deepl: "free", "pro" or a URL; unset = chosen from the key
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    headers: dict[str, str] = Field(default_factory=dict)  # sent with every request
    max_concurrency: int = Field(default=8, ge=1, le=1024)  # requests in flight; the server batches
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    logprobs: bool = True  # ask for token log-probabilities (the engine's score) when the server has them
    retries: int = Field(default=2, ge=0, le=10)  # after the first attempt, on 429 / 5xx / timeouts
    failure_threshold: int = Field(default=5, ge=1)  # failed calls in a row that open the circuit
    reset_after_s: float = Field(default=30.0, gt=0)  # how long an open circuit refuses calls
    # kind = "fallback": the engines tried in order for each of its pairs.
    engines: tuple[str, ...] = ()

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in ENGINE_KINDS:
            raise ValueError(f"unknown engine kind {v!r}; valid kinds: {', '.join(sorted(ENGINE_KINDS))}")
        return v

    @field_validator("engines", mode="before")
    @classmethod
    def _engines(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v

    @field_validator("pairs", mode="before")
    @classmethod
    def _pairs(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v


def parse_engine_specs(data: dict, source: str = "engines file") -> list[EngineSpec]:
    tables = data.get("engine")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{source}: declare at least one [[engine]] table")
    specs: list[EngineSpec] = []
    for i, table in enumerate(tables):
        try:
            specs.append(EngineSpec.model_validate(table))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'engine'}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            label = table.get("name", f"#{i + 1}") if isinstance(table, dict) else f"#{i + 1}"
            raise ConfigError(f"{source}: engine {label}: {problems}") from None
    names = [s.name for s in specs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"{source}: engine names must be unique, repeated: {', '.join(sorted(dupes))}")
    kinds = {s.name: s.kind for s in specs}
    for spec in specs:
        if spec.kind != "fallback":
            if spec.engines:
                raise ConfigError(f'{source}: engine {spec.name}: `engines` belongs to kind = "fallback" only')
            continue
        if len(spec.engines) < 2:
            raise ConfigError(
                f"{source}: engine {spec.name}: a fallback lists at least two engines, first choice first"
            )
        for member in spec.engines:
            if kinds.get(member) is None or kinds[member] == "fallback":
                valid = ", ".join(sorted(n for n, k in kinds.items() if k != "fallback"))
                raise ConfigError(
                    f"{source}: engine {spec.name}: unknown engine {member!r} in engines; declared: {valid}"
                )
    return specs


def load_engine_specs(path: Path) -> list[EngineSpec]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"engines file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"engines file {path} is not valid TOML: {exc}") from None
    return parse_engine_specs(data, str(path))
