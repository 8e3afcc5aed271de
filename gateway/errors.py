"""The gateway's domain errors: one vocabulary, no web framework.

The pipeline, stores and workers raise these; each API surface maps them to its own statuses and
bodies in one place (v1: gateway/http_errors.py; LibreTranslate and DeepL: gateway/compat/errors.py).
`status` and `type` are the v1 answer, kept here because v1 is the gateway's own vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from models.errors import ConfigError, EngineBusy, EngineFailure, ModelError, UnknownLanguage, UnsupportedPair


class GatewayError(Exception):
    status: ClassVar[int] = 500
    type: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class SettingsError(GatewayError):
    type = "settings_error"


class BadRequest(GatewayError):
    status, type = 400, "bad_request"


class InvalidInput(GatewayError):
    status, type = 422, "invalid_input"


# Two fields that must differ: rules a JSON schema cannot state, so clients learn them from these
# types (the API contract test accepts them as the only 422s for schema-valid requests).
class SameLanguage(InvalidInput):
    type = "same_language"


class SameText(InvalidInput):
    type = "same_text"


class InvalidExpiry(InvalidInput):
    """A key's expiry in the past, or given twice (expires_at and ttl_s): rules a schema cannot state."""

    type = "invalid_expiry"


class Unauthorized(GatewayError):
    status, type = 401, "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class SignatureInvalid(GatewayError):
    """A webhook whose signature, timestamp or token does not check out."""

    status, type = 401, "invalid_signature"


class Forbidden(GatewayError):
    status, type = 403, "forbidden"


class NotFound(GatewayError):
    status, type = 404, "not_found"


class Conflict(GatewayError):
    status, type = 409, "conflict"


class PayloadTooLarge(GatewayError):
    status, type = 413, "payload_too_large"


class UnsupportedMediaType(GatewayError):
    status, type = 415, "unsupported_media_type"


class Overloaded(GatewayError):
    status, type = 429, "overloaded"

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_s)})


class QuotaExceeded(GatewayError):
    """A key has used its characters for this month (TONEGATE_CHARACTER_LIMIT)."""

    status, type = 429, "quota_exceeded"


class Unavailable(GatewayError):
    status, type = 503, "unavailable"


def model_error_status(exc: ModelError) -> tuple[int, str]:
    if isinstance(exc, UnsupportedPair):
        return 422, "unsupported_pair"
    if isinstance(exc, UnknownLanguage):
        return 422, "unknown_language"
    if isinstance(exc, EngineBusy):
        return 429, "overloaded"  # the same answer as Overloaded: back off and retry
    if isinstance(exc, EngineFailure):
        return 503, "engine_failure"
    if isinstance(exc, ConfigError):
        return 500, "configuration_error"
    return 500, "model_error"


def error_body(type_: str, message: str) -> dict:
    return {"error": {"type": type_, "message": message}}


# Pydantic puts these before the message of a ValueError / assert in a validator: library words, not ours.
_LIBRARY_PREFIXES = ("Value error, ", "Assertion failed, ")


def plain_message(msg: object) -> str:
    """A validation message without pydantic's prefix ("Value error, too long" → "too long")."""
    text = str(msg)
    for prefix in _LIBRARY_PREFIXES:
        text = text.removeprefix(prefix)
    return text


def problems(errors: Iterable[Mapping[str, Any]], root: str = "body") -> str:
    """Pydantic's errors as one line a person can act on: `field.path: what is wrong; …`
    (`root` names the whole object where an error belongs to no field)."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or root}: {plain_message(e['msg'])}" for e in errors)
