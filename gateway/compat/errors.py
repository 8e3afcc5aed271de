"""The one place each foreign API surface turns the gateway's errors into its own answers.

Every route of a surface uses that surface's route class, which catches whatever the route raised
(domain errors, engine errors, glossary errors, request validation) and answers in the foreign
shape: LibreTranslate `{"error": "…"}` with 400/403/429/500, DeepL `{"message": "…"}` with
400/403/404/413/429/456/503. Every answer carries an `X-Trace-ID` header, as DeepL's does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from gateway.errors import GatewayError, QuotaExceeded, model_error_status, problems
from glossary.errors import DuplicateTerm, GlossaryError, ImportFailed, InvalidTerm
from models.errors import EngineBusy, ModelError

log = logging.getLogger("gateway.compat")


def classify(exc: Exception) -> tuple[int, str, dict[str, str] | None]:
    """The gateway's own (v1) status of an error, its message and headers: what both surfaces map from."""
    if isinstance(exc, GatewayError):
        return exc.status, exc.message, exc.headers
    if isinstance(exc, ModelError):
        status, _ = model_error_status(exc)
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, EngineBusy) else None
        return status, str(exc), headers
    if isinstance(exc, GlossaryError):
        from glossary.store import TermNotFound, VersionNotFound

        if isinstance(exc, ImportFailed):
            detail = "; ".join(f"line {line}: {msg}" for line, msg in exc.errors[:5])
            return 422, f"{exc}: {detail}" if detail else str(exc), None
        if isinstance(exc, (TermNotFound, VersionNotFound)):
            return 404, str(exc), None
        if isinstance(exc, (DuplicateTerm, InvalidTerm)):
            return 422, str(exc), None
        return 409, str(exc), None
    if isinstance(exc, RequestValidationError):
        return 400, problems(exc.errors(), root="parameters"), None
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, str(exc.detail), getattr(exc, "headers", None)
    if isinstance(exc, ClientDisconnect):
        return 400, "the request body was cut off", None
    if isinstance(exc, RedisConnectionError):
        log.error("Redis unreachable: %s", exc)
        return 503, "Redis is unreachable; nothing was stored, try again shortly", {"Retry-After": "5"}
    log.exception("unhandled error in a drop-in API")
    return 500, "internal error; see the gateway log", None


def libretranslate_answer(exc: Exception) -> JSONResponse:
    """LibreTranslate answers 400 for anything wrong with a request, 403 for keys, 429 to slow down
    and 500 when translation fails."""
    status, message, headers = classify(exc)
    if status in (401, 403):
        status = 403
    elif status == 429:
        status = 429
    elif status >= 500:
        status = 500
    else:
        status = 400
    if status == 429 and not message.startswith("Slowdown"):
        message = f"Slowdown: {message}"  # LibreTranslate's prefix for rate limits
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def deepl_answer(exc: Exception) -> JSONResponse:
    """DeepL: 400 bad request, 403 authorization, 404 not found, 413 too large, 429 too many
    requests, 456 quota exceeded, 503 unavailable (each client retries 429 and 503)."""
    status, message, headers = classify(exc)
    if isinstance(exc, QuotaExceeded):
        status = 456
    elif status in (401, 403):
        status = 403
    elif status in (404, 413, 429, 503):
        pass
    elif status >= 500:
        status = 500
    else:
        status = 400
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def surface_route(answer: Callable[[Exception], Response], headers: dict[str, str] | None = None) -> type[APIRoute]:
    """A route class whose every error is answered by `answer`, with a trace id and `headers` on
    every response."""

    class SurfaceRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                trace_id = uuid.uuid4().hex
                request.state.trace_id = trace_id
                try:
                    response = await handler(request)
                except Exception as exc:  # every error, answered in the surface's shape
                    response = answer(exc)
                    if response.status_code >= 500:
                        log.error("%s %s [%s]: %s", request.method, request.url.path, trace_id, exc)
                response.headers["X-Trace-ID"] = trace_id
                for name, value in (headers or {}).items():
                    response.headers[name] = value
                return response

            return handle

    return SurfaceRoute
