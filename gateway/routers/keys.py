from __future__ import annotations

from fastapi import APIRouter, Response

from gateway.deps import AdminKey, JsonBody, ServicesDep, load_brand
from gateway.errors import NotFound
from gateway.keys import Role
from gateway.schemas import KeyCreate, KeyCreated, KeyOut

router = APIRouter(tags=["keys"])


@router.post("/v1/keys", response_model=KeyCreated, status_code=201, dependencies=[JsonBody])
async def create_key(body: KeyCreate, services: ServicesDep, caller: AdminKey) -> KeyCreated:
    await load_brand(services, body.brand)  # 404 for a brand that does not exist
    key, token = await services.keys.create(
        Role(body.role), body.label, created_by=f"key:{caller.id}", pairs=tuple(body.pairs), brand=body.brand
    )
    return KeyCreated(
        id=key.id, key=token, role=key.role.value, label=key.label, pairs=list(key.pairs), brand=key.brand
    )


@router.get("/v1/keys", response_model=list[KeyOut])
async def list_keys(services: ServicesDep, caller: AdminKey) -> list[KeyOut]:
    return [
        KeyOut(
            id=k.id,
            role=k.role.value,
            label=k.label,
            created_at=k.created_at,
            created_by=k.created_by,
            pairs=list(k.pairs),
            brand=k.brand,
        )
        for k in await services.keys.list()
    ]


@router.delete("/v1/keys/{key_id}", status_code=204)
async def revoke_key(key_id: str, services: ServicesDep, caller: AdminKey) -> Response:
    if not await services.keys.revoke(key_id):
        raise NotFound(f"no API key with id {key_id!r}")
    return Response(status_code=204)
