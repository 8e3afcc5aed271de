"""The v1 surface's one mapping from errors to HTTP answers (`{"error": {"type", "message"}}`)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from gateway.errors import GatewayError, error_body, model_error_status, plain_message
from glossary.errors import DuplicateTerm, GlossaryError, ImportFailed, InvalidTerm
from models.errors import EngineBusy, ModelError

log = logging.getLogger("gateway.errors")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        where = ".".join(loc) or "body"
        if err.get("type") == "json_invalid":
            return "the request body is not valid JSON: " + str(err.get("ctx", {}).get("error", "parse error"))
        parts.append(f"{where}: {plain_message(err.get('msg'))}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def _gateway(request: Request, exc: GatewayError) -> JSONResponse:
        if exc.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc.message)
        return JSONResponse(error_body(exc.type, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(ModelError)
    async def _model(request: Request, exc: ModelError) -> JSONResponse:
        status, type_ = model_error_status(exc)
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, EngineBusy) else None
        return JSONResponse(error_body(type_, str(exc)), status_code=status, headers=headers)

    @app.exception_handler(GlossaryError)
    async def _glossary(request: Request, exc: GlossaryError) -> JSONResponse:
        from glossary.store import TermNotFound, VersionNotFound

        if isinstance(exc, ImportFailed):
            body = error_body("import_failed", str(exc))
            body["error"]["errors"] = [{"line": line, "message": msg} for line, msg in exc.errors]
            return JSONResponse(body, status_code=422)
        if isinstance(exc, (TermNotFound, VersionNotFound)):
            return JSONResponse(error_body("not_found", str(exc)), status_code=404)
        if isinstance(exc, DuplicateTerm):
            return JSONResponse(error_body("duplicate", str(exc)), status_code=409)
        if isinstance(exc, InvalidTerm):
            return JSONResponse(error_body("invalid_term", str(exc)), status_code=422)
        return JSONResponse(error_body("conflict", str(exc)), status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        kinds = {e.get("type") for e in exc.errors()}
        invalid_json = "json_invalid" in kinds
        # Only language codes wrong (gateway.contract.language_type): the same type as an engine's.
        type_ = (
            "invalid_json" if invalid_json else "unknown_language" if kinds == {"unknown_language"} else "invalid_input"
        )
        return JSONResponse(
            error_body(type_, _validation_message(exc)),
            status_code=400 if invalid_json else 422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        types = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        message = "no such endpoint" if exc.status_code == 404 and exc.detail == "Not Found" else str(exc.detail)
        return JSONResponse(
            error_body(types.get(exc.status_code, "http_error"), message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The caller hung up before sending the whole body: nothing was read, so nothing was
        # accepted, and nobody is left to read an answer.
        log.info("%s %s: the client disconnected before sending its body", request.method, request.url.path)
        return JSONResponse(error_body("bad_request", "the request body was cut off"), status_code=400)

    @app.exception_handler(RedisConnectionError)
    async def _redis_down(request: Request, exc: RedisConnectionError) -> JSONResponse:
        # Nothing was accepted: say so with a status helpdesks retry on, rather than a bare 500.
        log.error("%s %s: Redis unreachable: %s", request.method, request.url.path, exc)
        return JSONResponse(
            error_body("unavailable", "Redis is unreachable; nothing was stored, try again shortly"),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "internal error; see the gateway log"), status_code=500)
