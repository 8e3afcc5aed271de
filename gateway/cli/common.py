"""What every `tonegate` subcommand shares: readable errors, settings, logging, and Redis."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio
import typer
from rich.console import Console

from gateway.errors import GatewayError, SettingsError
from gateway.settings import Settings, load_settings
from models.errors import ModelError

err = Console(stderr=True, soft_wrap=True, highlight=False)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn configuration and input errors into one readable line and exit code 2."""
    try:
        yield
    except (GatewayError, ModelError) as exc:
        err.print(f"[bold red]error:[/] {getattr(exc, 'message', None) or exc}")
        raise typer.Exit(2) from None


def cli_settings(**overrides: object) -> Settings:
    with friendly_errors():
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@asynccontextmanager
async def cli_redis(settings: Settings) -> AsyncIterator[object]:
    """The configured Redis; else the embedded one in the data folder (started for this command if not running)."""
    from redis.asyncio import Redis

    from gateway.embedded_redis import EmbeddedRedis

    embedded = None
    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir, binary=settings.redis_server)
        url = embedded.url
        probe = Redis.from_url(url)
        try:
            await probe.ping()
            embedded = None  # `tonegate serve` is running: use its Redis
        except Exception:
            await anyio.to_thread.run_sync(embedded.start)
        finally:
            await probe.aclose()
    client = Redis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        raise SettingsError(f"TONEGATE_REDIS_URL: cannot reach Redis at {url}: {exc}") from None
    try:
        yield client
    finally:
        await client.aclose()
        if embedded is not None:
            embedded.stop()
