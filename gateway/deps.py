"""FastAPI dependencies: the services, the caller's key and role, and a loaded brand."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.brands import Brand
from gateway.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)
from gateway.keys import ApiKey, Role
from gateway.services import Services


def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise Unavailable("the gateway is still starting")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def require(role: Role):
    async def authorize(request: Request, services: ServicesDep) -> ApiKey:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise Unauthorized("missing API key: send the header 'Authorization: Bearer <key>'")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("malformed Authorization header: use 'Bearer <key>'")
        key = await services.keys.authenticate(token.strip())
        if key is None:
            raise Unauthorized("unknown or revoked API key")
        if not key.role.allows(role):
            raise Forbidden(f"this needs a key with the {role.value} role; yours has {key.role.value}")
        return key

    return authorize


HelpdeskKey = Annotated[ApiKey, Depends(require(Role.helpdesk))]
EditorKey = Annotated[ApiKey, Depends(require(Role.editor))]
AdminKey = Annotated[ApiKey, Depends(require(Role.admin))]


def json_body(request: Request) -> None:
    """Bodies must be declared as JSON: a form post or plain text gets a clear 415."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";", 1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(
            f"send the body as JSON with 'Content-Type: application/json' (got {ctype or 'none'!r})"
        )


JsonBody = Depends(json_body)


def texts_within_limits(text: str | list[str], services: Services) -> list[str]:
    """The request's texts as a list, refused when there are too many or one is too long."""
    texts = [text] if isinstance(text, str) else text
    limits = services.settings
    if len(texts) > limits.max_texts:
        raise InvalidInput(f"at most {limits.max_texts} texts per request (TONEGATE_MAX_TEXTS); split the batch")
    for i, t in enumerate(texts):
        if len(t) > limits.max_text_chars:
            raise PayloadTooLarge(
                f"text[{i}] has {len(t)} characters; the limit is {limits.max_text_chars} (TONEGATE_MAX_TEXT_CHARS)"
            )
    return texts


async def load_brand(services: Services, name: str | None) -> Brand | None:
    if name is None:
        return None
    brand = await services.brands.get(name)
    if brand is None:
        raise NotFound(f"no brand named {name!r}; create it with PUT /v1/brands/{name}")
    return brand
