"""Brands: settings (languages, tone profile, thresholds) and their lifecycle."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import ValidationError

from gateway.brands import BRAND_NAME, Brand, settings_schema
from gateway.deps import AdminKey, EditorKey, ServicesDep, load_brand
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
    return await services.brands.names()


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
    await services.brands.put(settings)
    response.status_code = 200 if existed else 201
    return await brand_out(services, settings)


@router.get("/v1/brands/{brand}", response_model=BrandOut)
async def get_brand(brand: str, services: ServicesDep, key: EditorKey) -> BrandOut:
    found = await load_brand(services, brand)
    assert found is not None
    return await brand_out(services, found)


@router.delete("/v1/brands/{brand}", status_code=204)
async def delete_brand(brand: str, services: ServicesDep, key: AdminKey) -> Response:
    await load_brand(services, brand)
    await services.termbases.drop(brand)
    await services.brands.delete(brand)
    return Response(status_code=204)


@router.get("/v1/brands/{brand}/tone", response_model=ToneBody)
async def get_tone(brand: str, services: ServicesDep, key: EditorKey) -> ToneBody:
    found = await load_brand(services, brand)
    assert found is not None
    return ToneBody(registers=found.tone)


@router.put("/v1/brands/{brand}/tone", response_model=ToneBody)
async def put_tone(brand: str, body: ToneBody, services: ServicesDep, key: AdminKey) -> ToneBody:
    found = await load_brand(services, brand)
    assert found is not None
    try:
        updated = Brand.model_validate({**found.model_dump(), "tone": body.registers})
    except ValidationError as exc:
        raise _validation(exc) from None
    await services.brands.put(updated)
    return ToneBody(registers=updated.tone)
