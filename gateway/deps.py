"""FastAPI dependencies: the services, the caller's key and role, and what it may see.

Tenancy is enforced here and only here: `authorize_brand` (and the dependencies built on it) loads a
brand, a review item or an integration and refuses one of a brand the key does not serve with the
very answer a missing one gets (404, same message), so a key of brand A cannot learn that brand B
or its items exist. Routes take `EditorBrand`, `AdminBrand`, `ReviewItemDep` or `IntegrationDep`
instead of loading these themselves; `tests/gateway/test_tenancy.py` checks that every route with
a `{brand}`, `{item_id}` or integration `{name}` in its path does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

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
from gateway.integrations.config import Integration
from gateway.keys import ApiKey, Role
from gateway.review import ReviewItem
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
            raise Unauthorized("unknown or revoked API key, or an expired one")
        if not key.role.allows(role):
            raise Forbidden(f"this needs a key with the {role.value} role; yours has {key.role.value}")
        return key

    return authorize


# One authorizer per role, so FastAPI runs it once per request however many dependencies use it.
AUTHORIZE = {role: require(role) for role in Role}
HelpdeskKey = Annotated[ApiKey, Depends(AUTHORIZE[Role.helpdesk])]
EditorKey = Annotated[ApiKey, Depends(AUTHORIZE[Role.editor])]
AdminKey = Annotated[ApiKey, Depends(AUTHORIZE[Role.admin])]


async def global_admin(key: AdminKey) -> ApiKey:
    """Settings that apply to every brand (engine corrections, dead letters, creating brands)."""
    if not key.all_brands:
        raise Forbidden("this needs an admin key for all brands; yours is scoped to " + ", ".join(key.brands or ()))
    return key


GlobalAdminKey = Annotated[ApiKey, Depends(global_admin)]


async def key_brands(services: Services, caller: ApiKey, asked: list[str] | str | None) -> tuple[str, ...] | None:
    """The brands a new key gets: never more than the creating key's own."""
    if asked is None:
        return caller.brands
    if asked == "all":
        if not caller.all_brands:
            raise Forbidden('only an admin key for all brands may create keys for "all" brands; name your brands')
        return None
    for name in asked:
        await authorize_brand(services, caller, name)  # 404 for a brand missing or not the caller's
    return tuple(asked)


def brand_not_found(name: str) -> NotFound:
    # The same words whether the brand is missing or belongs to another tenant.
    return NotFound(f"no brand named {name!r}; create it with PUT /v1/brands/{name}")


async def authorize_brand(services: Services, key: ApiKey, name: str) -> Brand:
    """The brand, if it exists and the key serves it; 404 otherwise (never 403: do not confirm it exists)."""
    if not key.sees(name):
        # Decided before any read: another tenant's brand and one that does not exist take the same
        # path, so neither the answer nor its timing tells them apart (bench/tenancy_timing.py).
        raise brand_not_found(name)
    brand = await services.brands.get(name)
    if brand is None:
        raise brand_not_found(name)
    return brand


async def load_brand(services: Services, name: str | None, key: ApiKey) -> Brand | None:
    """A brand named in a request body (translate, quality, keys); None when none is named."""
    if name is None:
        return None
    return await authorize_brand(services, key, name)


BrandPath = Annotated[str, Path(description="the brand (tenant)")]


async def editor_brand(brand: BrandPath, services: ServicesDep, key: EditorKey) -> Brand:
    return await authorize_brand(services, key, brand)


async def admin_brand(brand: BrandPath, services: ServicesDep, key: AdminKey) -> Brand:
    return await authorize_brand(services, key, brand)


BRAND_DEPENDENCIES = {Role.editor: editor_brand, Role.admin: admin_brand}
EditorBrand = Annotated[Brand, Depends(BRAND_DEPENDENCIES[Role.editor])]
AdminBrand = Annotated[Brand, Depends(BRAND_DEPENDENCIES[Role.admin])]


async def authorize_item(services: Services, key: ApiKey, item_id: str) -> ReviewItem:
    """A review item of one of the key's brands, within its language pairs."""
    # Only the item's brand is read first (one short field, or nothing): the whole item is loaded
    # for the key's own brands only, so another brand's item costs what a missing one does.
    if not key.sees(await services.review.brand_of(item_id)):
        raise NotFound(f"no review item {item_id!r}")
    item = await services.review.get(item_id)
    if not key.may_review(item.pair):
        raise Forbidden(f"your key reviews {', '.join(key.pairs)} only; item {item_id} is {item.pair}")
    return item


async def review_item(item_id: str, services: ServicesDep, key: EditorKey) -> ReviewItem:
    return await authorize_item(services, key, item_id)


ReviewItemDep = Annotated[ReviewItem, Depends(review_item)]


async def authorize_integration(services: Services, key: ApiKey, name: str) -> Integration:
    found = await services.integrations.get(name)
    if found is None or not key.sees(found.brand):
        raise NotFound(f"no integration named {name!r}; GET /v1/integrations lists them")
    return found


async def integration(name: str, services: ServicesDep, key: AdminKey) -> Integration:
    return await authorize_integration(services, key, name)


IntegrationDep = Annotated[Integration, Depends(integration)]


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
