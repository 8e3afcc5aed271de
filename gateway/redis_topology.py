"""Builds the gateway's Redis clients for the configured topology (TONEGATE_REDIS_MODE).

- `single`: one Redis at TONEGATE_REDIS_URL (or the embedded one `tonegate serve` starts).
- `sentinel`: the master that the Sentinels at TONEGATE_REDIS_SENTINELS name for
  TONEGATE_REDIS_SENTINEL_MASTER; redis-py's Sentinel pool asks them again when a connection to the
  old master fails or lands on a demoted replica, so the gateway follows a failover by itself.
- `cluster`: a Redis Cluster discovered from the seed node TONEGATE_REDIS_URL.

Every place that opens a Redis for the gateway (API, workers, CLI) goes through here, so a new
topology or client option is one change. Imports of the redis clients stay inside the functions:
nothing heavy at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.errors import SettingsError

if TYPE_CHECKING:
    from gateway.settings import Settings


def parse_sentinels(raw: str) -> list[tuple[str, int]]:
    """`host:port,host:port` (spaces allowed) into pairs; raises ValueError naming the bad entry."""
    out: list[tuple[str, int]] = []
    for part in raw.replace(" ", ",").split(","):
        if not part:
            continue
        host, sep, port = part.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{part!r} is not host:port")
        out.append((host.strip("[]"), int(port)))
    return out


def describe(settings: Settings) -> str:
    """Where the gateway's Redis is, in words for error messages and logs."""
    if settings.redis_mode == "sentinel":
        return f"Redis master {settings.redis_sentinel_master!r} via Sentinels {settings.redis_sentinels}"
    if settings.redis_mode == "cluster":
        return f"Redis Cluster seeded by {settings.redis_url}"
    return f"Redis at {settings.redis_url}"


def open_async_redis(settings: Settings, url: str | None = None, **options: Any) -> Any:
    """An asyncio client for the configured topology. `url` overrides TONEGATE_REDIS_URL in single
    mode (the embedded Redis' address); `options` go to the client (e.g. max_connections).

    Returns `redis.asyncio.Redis` (single, sentinel) or `redis.asyncio.RedisCluster` (cluster); both
    speak the commands, scripts and pipelines the stores use."""
    mode = settings.redis_mode
    if mode == "sentinel":
        from redis.asyncio.sentinel import Sentinel

        sentinel = Sentinel(parse_sentinels(settings.redis_sentinels), socket_timeout=5.0)
        return sentinel.master_for(settings.redis_sentinel_master or "", **options)
    if mode == "cluster":
        from redis.asyncio.cluster import RedisCluster

        return RedisCluster.from_url(url or settings.redis_url or "", **options)
    from redis.asyncio import Redis

    target = url or settings.redis_url
    if target is None:
        raise SettingsError("TONEGATE_REDIS_URL: no Redis address to connect to")
    return Redis.from_url(target, **options)


def open_sync_redis(settings: Settings, url: str | None = None, **options: Any) -> Any:
    """The blocking twin of `open_async_redis`, for scripts and benches that are not async."""
    mode = settings.redis_mode
    if mode == "sentinel":
        from redis.sentinel import Sentinel

        sentinel = Sentinel(parse_sentinels(settings.redis_sentinels), socket_timeout=5.0)
        return sentinel.master_for(settings.redis_sentinel_master or "", **options)
    if mode == "cluster":
        from redis.cluster import RedisCluster

        return RedisCluster.from_url(url or settings.redis_url or "", **options)
    import redis

    target = url or settings.redis_url
    if target is None:
        raise SettingsError("TONEGATE_REDIS_URL: no Redis address to connect to")
    return redis.Redis.from_url(target, **options)


async def ping_or_explain(client: Any, settings: Settings, url: str | None = None) -> None:
    """PING the client; on failure raise SettingsError naming the settings to fix."""
    try:
        await client.ping()
    except Exception as exc:
        if settings.redis_mode == "sentinel":
            names = "TONEGATE_REDIS_SENTINELS / TONEGATE_REDIS_SENTINEL_MASTER"
        else:
            names = "TONEGATE_REDIS_URL"
        where = describe(settings) if url is None else f"Redis at {url}"
        raise SettingsError(f"{names}: cannot reach {where}: {exc}") from None
