"""`tonegate worker`, `tonegate deadletters ...` and `tonegate integrations list`."""

from __future__ import annotations

import json
import signal
from typing import Annotated

import anyio
import typer

from gateway.cli.common import cli_redis, cli_settings, err, friendly_errors, setup_logging
from gateway.errors import SettingsError
from gateway.settings import Settings

deadletters_app = typer.Typer(
    help="Jobs that failed every attempt (the helpdesk refused or stayed down): list, re-drive, drop.",
    no_args_is_help=True,
)
integrations_app = typer.Typer(help="Helpdesk integrations (manage them with the API or a TOML file).")


async def _shared_redis_settings(settings: Settings) -> Settings:
    """Workers must share the API's Redis: the configured one, or the embedded one `serve` runs."""
    if not settings.embedded_redis:  # a URL, Sentinels or a Cluster: the same for API and workers
        return settings
    from redis.asyncio import Redis

    from gateway.embedded_redis import EmbeddedRedis

    url = EmbeddedRedis(settings.data_dir).url
    probe = Redis.from_url(url)
    try:
        await probe.ping()
    except Exception:
        raise SettingsError(
            "TONEGATE_REDIS_URL is not set and no `tonegate serve` is running with the data folder "
            f"{settings.data_dir}; start the gateway first or point TONEGATE_REDIS_URL at its Redis"
        ) from None
    finally:
        await probe.aclose()
    return settings.model_copy(update={"redis_url": url})


def worker(
    workers: Annotated[
        int | None, typer.Option("--workers", "-n", help="workers in this process (default: TONEGATE_WORKERS or 1)")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="jobs in flight per worker (default: TONEGATE_WORKER_CONCURRENCY)")
    ] = None,
) -> None:
    """Work the job stream without serving the API: translate helpdesk messages and post them back.

    Run as many as the load needs, on any host that reaches the gateway's Redis (GPU hosts for
    neural engines); they share the work through a Redis consumer group."""
    from gateway.integrations.worker import JobWorker, timing_from
    from gateway.outbox import ReviewWorker
    from gateway.services import open_services

    settings = cli_settings(workers=workers, worker_concurrency=concurrency)
    setup_logging(settings.log_level)

    async def run() -> None:
        shared = await _shared_redis_settings(settings)
        async with open_services(shared, bootstrap=False) as services:
            async with anyio.create_task_group() as tg:

                async def stop_on_signal() -> None:
                    # Unacknowledged jobs stay pending; another worker (or this one, restarted) takes them.
                    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                        async for _ in signals:
                            tg.cancel_scope.cancel()
                            return

                tg.start_soon(stop_on_signal)
                tg.start_soon(ReviewWorker(services.redis, services.review).run)
                for _ in range(max(1, shared.workers)):
                    tg.start_soon(JobWorker(services, timing_from(shared)).run)
                err.print(f"tonegate worker: {max(1, shared.workers)} worker(s) on the job stream; Ctrl-C stops")

    with friendly_errors():
        anyio.run(run)


@deadletters_app.command("list")
def deadletters_list(
    integration: Annotated[str | None, typer.Option(help="only this integration's")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """List dead letters, oldest first, with the error that ended each."""
    from gateway.integrations.jobs import JobQueue

    settings = cli_settings()

    async def run():
        async with cli_redis(settings) as redis:
            return await JobQueue(redis).dead_letters(integration=integration, limit=limit)

    with friendly_errors():
        letters, total = anyio.run(run)
    for d in letters:
        if as_json:
            typer.echo(json.dumps(d, ensure_ascii=False))
        else:
            job = d["job"]
            typer.echo(f"{d['id']}\t{job['integration']}\t{job['kind']}\t{job['conversation_id']}\t{d['error']}")
    err.print(f"{len(letters)} shown of {total}")


@deadletters_app.command("redrive")
def deadletters_redrive(
    ids: Annotated[list[str] | None, typer.Argument(help="dead-letter ids; none with --all")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every dead letter (of --integration)")] = False,
    integration: Annotated[str | None, typer.Option(help="with --all: only this integration's")] = None,
) -> None:
    """Queue dead letters again as fresh jobs (after fixing what made them fail)."""
    from gateway.integrations.jobs import JobQueue

    if bool(ids) == all_:
        raise typer.BadParameter("give dead-letter ids, or --all")
    settings = cli_settings()

    async def run() -> list[str]:
        async with cli_redis(settings) as redis:
            queue = JobQueue(redis)
            if all_:
                return await queue.redrive_all(integration)
            return [await queue.redrive(i) for i in ids or []]

    with friendly_errors():
        moved = anyio.run(run)
    err.print(f"re-drove {len(moved)} job(s)")


@deadletters_app.command("drop")
def deadletters_drop(ids: Annotated[list[str], typer.Argument(help="dead-letter ids")]) -> None:
    """Delete dead letters for good."""
    from gateway.integrations.jobs import JobQueue

    settings = cli_settings()

    async def run() -> None:
        async with cli_redis(settings) as redis:
            for i in ids:
                await JobQueue(redis).drop(i)

    with friendly_errors():
        anyio.run(run)
    err.print(f"dropped {len(ids)}")


@integrations_app.command("list")
def integrations_list() -> None:
    """List integrations with their webhook path and health counters (never their secrets)."""
    from gateway.integrations.store import IntegrationStore

    settings = cli_settings()

    async def run() -> list[tuple[dict, dict]]:
        async with cli_redis(settings) as redis:
            store = IntegrationStore(redis)
            return [(i.public(), await store.health(i.name)) for i in await store.all()]

    with friendly_errors():
        rows = anyio.run(run)
    for public, health in rows:
        typer.echo(
            f"{public['name']}\t{public['kind']}\t/v1/webhooks/{public['name']}\t"
            f"accepted={health['accepted']} delivered={health['delivered']} dead={health['dead']}"
        )
    if not rows:
        err.print("no integrations; POST /v1/integrations or set TONEGATE_INTEGRATIONS")
