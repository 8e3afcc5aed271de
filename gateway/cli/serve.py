"""`tonegate serve`: the API, the web app and job workers in one process."""

from __future__ import annotations

import signal
from typing import Annotated

import anyio
import typer

from gateway.cli.common import cli_settings, err, friendly_errors, setup_logging


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (default: TONEGATE_HOST or 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: TONEGATE_PORT or 8000)")] = None,
) -> None:
    """Serve the v1 HTTP API and the web app (/ui/), with TONEGATE_WORKERS job workers inside
    (default 1), on an embedded Redis in the data folder (--data-dir) unless TONEGATE_REDIS_URL is set."""
    import uvicorn

    from gateway.app import create_app, provided
    from gateway.services import open_services

    settings = cli_settings(host=host, port=port)
    setup_logging(settings.log_level)
    if settings.embedded_redis:
        err.print(f"data folder: {settings.data_dir} (--data-dir or TONEGATE_DATA_DIR to change it)")

    async def run() -> None:
        # Open Redis, engines and the detector before uvicorn starts, so a bad setting ends the
        # start with one line naming it rather than a lifespan traceback.
        async with open_services(settings) as services:
            app = create_app(settings, services_factory=provided(services))
            config = uvicorn.Config(
                app, host=settings.host, port=settings.port, log_level=settings.log_level, log_config=None
            )
            # uvicorn re-raises the SIGTERM/SIGINT it handled once it has stopped; with these
            # no-op handlers that lands here harmlessly and the services (and the embedded
            # redis-server child) still close in order.
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: None)
            await uvicorn.Server(config).serve()

    with friendly_errors():
        anyio.run(run)
