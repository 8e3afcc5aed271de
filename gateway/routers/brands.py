"""Brands: settings (languages, tone profile, thresholds) and their lifecycle."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import ValidationError

from gateway.brands import BRAND_NAME, Brand, settings_schema
from gateway.deps import AdminBrand, AdminKey, EditorBrand, EditorKey, GlobalAdminKey, ServicesDep, brand_not_found
from gateway.errors import BadRequest, InvalidInput, UnsupportedMediaType, problems
from gateway.schemas import BrandOut, ToneBody

router = APIRouter(tags=["brands"])


async def _json_or_empty(request: Request) -> dict:
    """An empty body means "all defaults"; anything else must be a JSON object."""
    raw = await request.body()
    if not raw.strip():
        return {}
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/json":
        raise UnsupportedMediaType("send the settings as JSON with 'Content-Type: application/json'")
    try:
        data = json.loads(raw)
    except ValueError as exc:  # not JSON, or not UTF-8 text at all
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the brand settings must be a JSON object")
    return data


def _validation(exc: ValidationError) -> InvalidInput:
    return InvalidInput(problems(exc.errors()))


async def brand_out(services, brand: Brand) -> BrandOut:
    termbase = await services.termbases.get(brand.name)
    return BrandOut(**brand.model_dump(), glossary_version=termbase.version, glossary_entries=len(termbase.terms))


@router.get("/v1/brands", response_model=list[str])
async def list_brands(services: ServicesDep, key: EditorKey) -> list[str]:
    """The brands this key serves."""
    return [name for name in await services.brands.names() if key.sees(name)]


@router.put(
    "/v1/brands/{brand}",
    response_model=BrandOut,
    responses={201: {"description": "created", "model": BrandOut}},
    # The body is read by hand (an empty one means "all defaults"), so its schema is stated here.
    openapi_extra={"requestBody": {"required": False, "content": {"application/json": {"schema": settings_schema()}}}},
)
async def put_brand(
    brand: Annotated[str, Path(json_schema_extra={"pattern": BRAND_NAME.pattern})],
    request: Request,
    response: Response,
    services: ServicesDep,
    key: AdminKey,
) -> BrandOut:
    if not BRAND_NAME.match(brand):
        raise InvalidInput("brand names use a-z, 0-9, '-' and '_' (at most 64 characters)")
    data = await _json_or_empty(request)
    if "name" in data and data["name"] != brand:
        raise InvalidInput(f"name in the body ({data['name']!r}) differs from the brand in the path ({brand!r})")
    try:
        settings = Brand.model_validate({**data, "name": brand})
    except ValidationError as exc:
        raise _validation(exc) from None
    existed = await services.brands.get(brand) is not None
    # A brand admin changes its own brands; creating one is for an all-brands admin. Either way a
    # brand the key does not serve answers as a missing one does.
    if not key.sees(brand) or (not existed and not key.all_brands):
        raise brand_not_found(brand)
    await services.brands.put(settings)
    await services.audit.record(key, "brand", "update" if existed else "create", brand, [brand])
    response.status_code = 200 if existed else 201
    return await brand_out(services, settings)


@router.get("/v1/brands/{brand}", response_model=BrandOut)
async def get_brand(brand: str, services: ServicesDep, key: EditorKey, found: EditorBrand) -> BrandOut:
    return await brand_out(services, found)


@router.delete("/v1/brands/{brand}", status_code=204)
async def delete_brand(brand: str, services: ServicesDep, key: GlobalAdminKey, _brand: AdminBrand) -> Response:
    await services.termbases.drop(brand)
    await services.brands.delete(brand)
    await services.audit.record(key, "brand", "delete", brand, [brand])
    return Response(status_code=204)


@router.get("/v1/brands/{brand}/tone", response_model=ToneBody)
async def get_tone(brand: str, services: ServicesDep, key: EditorKey, found: EditorBrand) -> ToneBody:
    return ToneBody(registers=found.tone)


@router.put("/v1/brands/{brand}/tone", response_model=ToneBody)
async def put_tone(brand: str, body: ToneBody, services: ServicesDep, key: AdminKey, found: AdminBrand) -> ToneBody:
    try:
        updated = Brand.model_validate({**found.model_dump(), "tone": body.registers})
    except ValidationError as exc:
        raise _validation(exc) from None
    await services.brands.put(updated)
    await services.audit.record(key, "brand", "tone", brand, [brand], {"tone": dict(updated.tone)})
    return ToneBody(registers=updated.tone)
