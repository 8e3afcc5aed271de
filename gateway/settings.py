"""Settings from TONEGATE_* environment variables and an optional TOML file (TONEGATE_CONFIG)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from gateway.errors import SettingsError


def default_data_dir() -> Path:
    """Where the embedded Redis keeps its files when TONEGATE_DATA_DIR is unset: one place per user
    (the XDG data folder), so every `tonegate` command finds the same data whatever the current
    directory is."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tonegate"


# Settings that would be unsafe to accept from a copy-pasted example.
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "admin", "password", "example", "xxx"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TONEGATE_", extra="forbid", validate_default=True)

    # Redis: when unset, `tonegate serve` starts a private redis-server with append-only
    # persistence in data_dir (made absolute, so a later `cd` cannot point elsewhere).
    redis_url: str | None = None
    # Topology (gateway/redis_topology.py): `single` Redis; `sentinel` = follow the master that the
    # Sentinels (host:port list) name for `redis_sentinel_master`, across failovers; `cluster` = a
    # Redis Cluster found from the seed node `redis_url`.
    redis_mode: Literal["single", "sentinel", "cluster"] = "single"
    redis_sentinels: str = ""
    redis_sentinel_master: str | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    engines: Path | None = Field(default=None, description="engines TOML file; default: embedded Apertium")
    # An `openai` engine of the engines file that also judges translations, MQM style, for the
    # brands that ask for it (`llm_review`); none by default.
    reviewer: str | None = None
    admin_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    redis_server: str = "redis-server"  # the binary used for the embedded Redis

    detector: Literal["lingua", "langdetect"] = "lingua"
    languages: tuple[str, ...] = ()  # detection default set; empty = the detector's ~30 languages
    pivots: tuple[str, ...] = ("en", "es")

    max_text_chars: int = Field(default=20_000, ge=1)
    max_request_bytes: int = Field(default=1_000_000, ge=1024)
    max_texts: int = Field(default=256, ge=1)
    # None: each engine kind's default, fitted so that at most 5 % of unreviewed replies are unfit
    # (gateway/defaults/fit_model.json, bench/fit.py). A number here overrides it for every brand.
    review_below: float | None = Field(default=None, ge=0.0, le=1.0)
    round_trip: bool = True  # translate back to score confidence; also skipped per request under load
    demo_brand: bool = True
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # Peak load (docs/architecture.md, Performance): whole-text results cached in Redis for this
    # long (0 = no cache), and texts translating at once before /v1/translate answers 429.
    cache_ttl_s: int = Field(default=86_400, ge=0)
    max_inflight: int = Field(default=512, ge=1)
    # Characters one key may translate per calendar month through the LibreTranslate and DeepL
    # APIs (DeepL answers 456 past it, and reports it in /v2/usage); 0 = no limit.
    character_limit: int = Field(default=0, ge=0)

    # Helpdesk integrations: declared in this TOML file ([[integration]] tables) and/or via the API.
    integrations: Path | None = None
    workers: int = Field(default=1, ge=0)  # job workers inside `tonegate serve`; 0 = API only
    worker_concurrency: int = Field(default=8, ge=1, le=256)  # jobs in flight per worker
    job_max_attempts: int = Field(default=8, ge=1)  # then the job goes to the dead letters
    job_backoff_first_s: float = Field(default=1.0, gt=0)  # doubles per attempt, with jitter
    job_backoff_max_s: float = Field(default=300.0, gt=0)
    job_reclaim_idle_s: float = Field(default=30.0, gt=0)  # a dead worker's jobs move on after this
    max_queued_jobs: int = Field(default=100_000, ge=0)  # webhooks get 429 beyond it; 0 = unbounded
    # Embedded Redis only: "always" fsyncs each write, so an accepted webhook survives a power cut.
    redis_fsync: Literal["always", "everysec"] = "always"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("TONEGATE_CONFIG")
        if config:
            # Environment variables win over the file, so one value can be overridden per host.
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return v or None

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinel_list(cls, v: str) -> str:
        from gateway.redis_topology import parse_sentinels

        parse_sentinels(v)  # raises ValueError naming the bad entry
        return v.strip()

    @model_validator(mode="after")
    def _topology_complete(self) -> Settings:
        # Each error names the missing setting, so a half-configured topology fails at start.
        from gateway.redis_topology import parse_sentinels

        if self.redis_mode == "sentinel":
            if not parse_sentinels(self.redis_sentinels):
                raise ValueError(
                    "TONEGATE_REDIS_MODE=sentinel needs TONEGATE_REDIS_SENTINELS (host:port,host:port,...)"
                )
            if not self.redis_sentinel_master:
                raise ValueError(
                    "TONEGATE_REDIS_MODE=sentinel needs TONEGATE_REDIS_SENTINEL_MASTER (the master's name "
                    "in the Sentinels' configuration, e.g. mymaster)"
                )
            if self.redis_url is not None:
                raise ValueError(
                    "TONEGATE_REDIS_MODE=sentinel takes the master's address from the Sentinels; "
                    "unset TONEGATE_REDIS_URL"
                )
        elif self.redis_mode == "cluster":
            if self.redis_url is None:
                raise ValueError("TONEGATE_REDIS_MODE=cluster needs TONEGATE_REDIS_URL naming one node (a seed)")
            if self.redis_url.startswith("unix://"):
                raise ValueError("TONEGATE_REDIS_MODE=cluster needs a redis:// or rediss:// seed, not a socket")
        elif self.redis_sentinels or self.redis_sentinel_master:
            raise ValueError(
                "TONEGATE_REDIS_SENTINELS / TONEGATE_REDIS_SENTINEL_MASTER need TONEGATE_REDIS_MODE=sentinel"
            )
        return self

    @property
    def embedded_redis(self) -> bool:
        """True when `tonegate serve` runs its own redis-server (single mode, no URL)."""
        return self.redis_mode == "single" and self.redis_url is None

    @field_validator("admin_key")
    @classmethod
    def _strong_admin_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return None
        key = v.get_secret_value()
        if key.lower() in _PLACEHOLDER_SECRETS or len(key) < 24:
            raise ValueError("must be at least 24 random characters (e.g. `openssl rand -hex 24`)")
        return v

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, v: Path) -> Path:
        return v.expanduser().absolute()

    @field_validator("integrations")
    @classmethod
    def _integrations_exists(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_file():
            raise ValueError(f"file {v} does not exist")
        return v

    @field_validator("engines")
    @classmethod
    def _engines_exists(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_file():
            raise ValueError(f"file {v} does not exist")
        return v

    @property
    def engines_file(self) -> Path:
        if self.engines is not None:
            return self.engines
        return Path(__file__).resolve().parent / "defaults" / "engines.toml"


def _setting_name(loc: tuple) -> str:
    return "TONEGATE_" + "_".join(str(p) for p in loc[:1]).upper() if loc else "settings"


def load_settings(**overrides: object) -> Settings:
    """Build the settings, or raise SettingsError naming each bad setting."""
    config = os.environ.get("TONEGATE_CONFIG")
    if config and not Path(config).is_file():
        raise SettingsError(f"TONEGATE_CONFIG: file {config} does not exist")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = _setting_name(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown setting"
            # A check across settings (no loc) names its settings in the message itself.
            problems.append(f"{name}: {msg}" if err["loc"] else msg)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
    except ValueError as exc:  # e.g. a TOML file that does not parse
        raise SettingsError(f"invalid settings: {exc}") from None
