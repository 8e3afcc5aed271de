"""Shape checks shared by the webhook parsers: every failure is a 422 that names the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.integrations.base import WebhookRejected


def malformed(message: str) -> WebhookRejected:
    return WebhookRejected(f"malformed webhook: {message}", 422)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup: Starlette's Headers already are, plain dicts in tests are not."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    value = value.strip() if value is not None else None
    return value or None


def as_obj(value: Any, where: str, *, required: bool = True) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if value is None and not required:
        return {}
    raise malformed(f"{where} must be an object, got {_kind(value)}")


def as_id(value: Any, where: str) -> str:
    """Ids arrive as numbers (Zammad, Chatwoot) or strings (Zendesk placeholders, old Chatwoot)."""
    if isinstance(value, bool):  # bool is an int in Python; never a valid id
        raise malformed(f"{where} must be an id, got a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None:
        raise malformed(f"missing {where}")
    raise malformed(f"{where} must be an id (number or string), got {_kind(value)}")


def opt_id(value: Any, where: str) -> str | None:
    return None if value is None or value == "" else as_id(value, where)


def as_text(value: Any, where: str) -> str | None:
    """The message body: None when absent (an attachment-only message), a 422 when not a string."""
    if value is None or isinstance(value, str):
        return value
    raise malformed(f"{where} must be a string, got {_kind(value)}")


def opt_str(value: Any) -> str | None:
    """A descriptive field (channel, locale): used when it is a non-empty string, else ignored."""
    return value.strip() or None if isinstance(value, str) else None


def as_bool(value: Any, where: str, *, default: bool) -> bool:
    """Booleans, also as the strings Zendesk placeholders render ("true"/"false")."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise malformed(f"{where} must be true or false, got {value!r:.40}")


def as_tags(value: Any) -> tuple[str, ...]:
    """A list of strings, or one space- or comma-separated string (Zendesk's {{ticket.tags}})."""
    if isinstance(value, str):
        return tuple(t for t in value.replace(",", " ").split() if t)
    if isinstance(value, list):
        return tuple(str(t) for t in value if isinstance(t, str | int) and str(t).strip())
    return ()


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
