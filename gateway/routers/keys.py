"""API keys: an admin creates, lists and revokes the keys of its own brands (all of them for a global admin)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response

from gateway.deps import AdminKey, JsonBody, ServicesDep, key_brands, load_brand
from gateway.errors import InvalidExpiry, InvalidInput, NotFound
from gateway.keys import ApiKey, Role
from gateway.schemas import KeyCreate, KeyCreated, KeyOut

router = APIRouter(tags=["keys"])


def expiry(expires_at: float | None, ttl_s: int | None) -> float | None:
    if expires_at is not None and ttl_s is not None:
        raise InvalidExpiry("give expires_at or ttl_s, not both")
    if ttl_s is not None:
        return time.time() + ttl_s
    if expires_at is not None and expires_at <= time.time():
        raise InvalidExpiry("expires_at is in the past; give a later time or ttl_s")
    return expires_at


def key_out(k: ApiKey) -> KeyOut:
    return KeyOut(
        id=k.id,
        role=k.role.value,
        label=k.label,
        created_at=k.created_at,
        created_by=k.created_by,
        pairs=list(k.pairs),
        brand=k.brand,
        brands=None if k.brands is None else list(k.brands),
        expires_at=k.expires_at,
    )


@router.post("/v1/keys", response_model=KeyCreated, status_code=201, dependencies=[JsonBody])
async def create_key(body: KeyCreate, services: ServicesDep, caller: AdminKey) -> KeyCreated:
    brands = await key_brands(services, caller, body.brands)
    await load_brand(services, body.brand, caller)  # 404 for a brand that does not exist (or is not the caller's)
    if body.brand is not None and brands is not None and body.brand not in brands:
        raise InvalidInput(f"brand: the default brand {body.brand!r} must be one of the key's brands")
    key, token = await services.keys.create(
        Role(body.role),
        body.label,
        created_by=f"key:{caller.id}",
        pairs=tuple(body.pairs),
        brand=body.brand,
        brands=brands,
        expires_at=expiry(body.expires_at, body.ttl_s),
    )
    await services.audit.record(
        caller, "key", "create", key.id, key.brands or (), {"role": key.role.value, "label": key.label}
    )
    return KeyCreated(**key_out(key).model_dump(exclude={"created_at", "created_by"}), key=token)


@router.get("/v1/keys", response_model=list[KeyOut])
async def list_keys(services: ServicesDep, caller: AdminKey) -> list[KeyOut]:
    """The keys this admin may manage: for a brand admin, those of its brands only."""
    return [key_out(k) for k in await services.keys.list() if caller.covers(k)]


@router.delete("/v1/keys/{key_id}", status_code=204)
async def revoke_key(key_id: str, services: ServicesDep, caller: AdminKey) -> Response:
    found = await services.keys.get(key_id, live=False)
    if found is None or not caller.covers(found) or not await services.keys.revoke(key_id):
        raise NotFound(f"no API key with id {key_id!r}")
    await services.audit.record(caller, "key", "revoke", key_id, found.brands or ())
    return Response(status_code=204)
