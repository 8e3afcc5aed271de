"""What every `tonegate` subcommand shares: readable errors, settings, logging, the data folder and Redis."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

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


def has_gateway_data(data_dir: Path) -> bool:
    """A folder `tonegate serve` has used: its Redis's append-only files, or the socket of a running one."""
    return (data_dir / "appendonlydir").is_dir() or (data_dir / "redis.sock").exists()


def require_gateway_data(settings: Settings) -> None:
    """Commands that read the gateway's data stop here rather than start an empty Redis somewhere."""
    if not settings.embedded_redis or has_gateway_data(settings.data_dir):
        return
    hint = ""
    local = Path("data").absolute()
    if local != settings.data_dir and has_gateway_data(local):
        hint = f" (there is gateway data in {local}: pass --data-dir {local})"
    raise SettingsError(
        f"no gateway data in {settings.data_dir}{hint}; pass --data-dir (or set TONEGATE_DATA_DIR) to the folder "
        "`tonegate serve` uses, start `tonegate serve` once to create it, or set TONEGATE_REDIS_URL"
    )


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@asynccontextmanager
async def cli_redis(settings: Settings) -> AsyncIterator[object]:
    """The configured Redis; else the embedded one in the data folder (started for this command if not running)."""
    from redis.asyncio import Redis

    from gateway.embedded_redis import EmbeddedRedis
    from gateway.redis_topology import open_async_redis, ping_or_explain

    require_gateway_data(settings)
    embedded = None
    url = settings.redis_url
    if settings.embedded_redis:
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
    client = open_async_redis(settings, url)
    await ping_or_explain(client, settings, url if settings.redis_mode == "single" else None)
    try:
        yield client
    finally:
        await client.aclose()
        if embedded is not None:
            embedded.stop()
