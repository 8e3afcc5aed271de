"""The FastAPI app: wiring only. Routes live in gateway/routers, state in gateway/services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from fastapi import FastAPI

from gateway.compat import deepl as deepl_api
from gateway.compat import deepl_glossaries, libretranslate
from gateway.contract import install_openapi
from gateway.http_errors import install_error_handlers
from gateway.integrations.worker import JobWorker, timing_from
from gateway.limits import BodySizeLimit
from gateway.outbox import ReviewWorker
from gateway.routers import (
    audit,
    brands,
    corrections,
    detect,
    glossary,
    integrations,
    keys,
    memory,
    meta,
    quality,
    review,
    translate,
)
from gateway.services import Services, open_services
from gateway.settings import Settings, load_settings
from gateway.ui import install as install_ui

log = logging.getLogger("tonegate")

ServicesFactory = Callable[[Settings], AbstractAsyncContextManager[Services]]


def provided(services: Services) -> ServicesFactory:
    """A factory that hands over services opened elsewhere (the CLI opens them before serving)."""

    @asynccontextmanager
    async def factory(_: Settings) -> AsyncIterator[Services]:
        yield services

    return factory


def create_app(settings: Settings | None = None, services_factory: ServicesFactory = open_services) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with services_factory(settings) as services:
            app.state.services = services
            if services.first_admin_key:
                log.warning(
                    "\n\n  First start: an admin API key was created. It is shown only this once:\n\n"
                    "    %s\n\n  Create more with `tonegate keys create --role editor`.\n",
                    services.first_admin_key,
                )
            # Review deadlines and outbox callbacks run beside the API and stop with it.
            async with anyio.create_task_group() as tg:
                tg.start_soon(ReviewWorker(services.redis, services.review).run)
                for _ in range(settings.workers):
                    tg.start_soon(JobWorker(services, timing_from(settings)).run)
                yield
                tg.cancel_scope.cancel()

    app = FastAPI(
        title="Tonegate",
        version="0.1.0",
        summary="Self-hosted translation gateway for customer support",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    install_error_handlers(app)
    for router in (
        translate.router,
        detect.router,
        meta.router,
        keys.router,
        brands.router,
        glossary.router,
        corrections.router,
        memory.router,
        review.router,
        quality.router,
        integrations.router,
        audit.router,
        # Drop-in APIs (docs/compat.md): left out of the v1 OpenAPI document and its contract test.
        libretranslate.router,
        deepl_api.router,
        deepl_glossaries.router,
    ):
        app.include_router(router)
    install_ui(app)
    install_openapi(app, max_texts=settings.max_texts, max_text_chars=settings.max_text_chars)
    return app
