"""Helpdesk integrations (admins of their brand), the webhooks helpdesks call, and the dead letters
(all-brands admins: a dead letter may hold any brand's conversation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from gateway.contract import STREAM_ID
from gateway.deps import AdminKey, GlobalAdminKey, IntegrationDep, JsonBody, ServicesDep, authorize_brand
from gateway.errors import Conflict, InvalidInput, problems
from gateway.integrations.config import Integration, IntegrationFields

router = APIRouter(tags=["integrations"])
# Checked by JobQueue (with a message that says what an id looks like); the schema says the same.
EntryId = Annotated[
    str, Path(description="a dead letter's id, from GET /v1/deadletters", json_schema_extra={"pattern": STREAM_ID})
]


async def _public(services, integration: Integration) -> dict:
    out = integration.public()
    out["webhook_path"] = f"/v1/webhooks/{integration.name}"
    out["health"] = await services.integrations.health(integration.name)
    return out


async def _brand_exists(services, key, name: str | None) -> None:
    if name is not None:
        # As everywhere a request names a brand that does not exist or is not the key's: 404.
        await authorize_brand(services, key, name)


@router.post("/v1/integrations", status_code=201, dependencies=[JsonBody])
async def create(body: Integration, services: ServicesDep, key: AdminKey) -> dict:
    if body.source != "api":
        raise InvalidInput("source: set by the gateway; leave it out")
    await _brand_exists(services, key, body.brand)
    await services.integrations.create(body)
    await services.audit.record(key, "integration", "create", body.name, [body.brand], {"kind": body.kind})
    return await _public(services, body)


@router.get("/v1/integrations")
async def list_all(services: ServicesDep, key: AdminKey) -> dict:
    """The integrations of the key's brands."""
    found = [i for i in await services.integrations.all() if key.sees(i.brand)]
    return {"integrations": [await _public(services, i) for i in found]}


@router.get("/v1/integrations/{name}")
async def get_one(name: str, services: ServicesDep, key: AdminKey, found: IntegrationDep) -> dict:
    return await _public(services, found)


@router.patch("/v1/integrations/{name}", dependencies=[JsonBody])
async def patch(
    name: str, body: IntegrationFields, services: ServicesDep, key: AdminKey, _found: IntegrationDep
) -> dict:
    await _brand_exists(services, key, body.brand)
    try:
        updated = await services.integrations.update(name, body)
    except ValidationError as exc:  # the patched whole no longer validates (e.g. the token removed)
        # A well-formed patch that does not fit what is stored: a conflict with the resource's state.
        raise Conflict(f"the integration would be incomplete: {problems(exc.errors())}") from None
    await services.audit.record(
        key, "integration", "update", name, [_found.brand, updated.brand], {"fields": sorted(body.model_fields_set)}
    )
    return await _public(services, updated)


@router.delete("/v1/integrations/{name}", status_code=204)
async def delete(name: str, services: ServicesDep, key: AdminKey, found: IntegrationDep) -> Response:
    await services.integrations.delete(name)
    await services.audit.record(key, "integration", "delete", name, [found.brand])
    return Response(status_code=204)


@router.post(
    "/v1/webhooks/{name}",
    status_code=202,
    # The helpdesk's own payload, signed: what it must hold is the helpdesk's format (docs/integrations.md).
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}},
)
async def webhook(name: str, request: Request, services: ServicesDep) -> JSONResponse:
    """Called by the helpdesk; authenticated by its signature (or opt-in token), not an API key.

    202 once the job is queued; 200 for a duplicate or an event that needs no work, so the
    helpdesk does not retry it."""
    raw = await request.body()
    outcome = await services.intake.accept(name, raw, request.headers, request.query_params.get("token"))
    body = {"status": outcome.status}
    if outcome.job_id:
        body["job_id"] = outcome.job_id
    if outcome.reason:
        body["reason"] = outcome.reason
    return JSONResponse(body, status_code=202 if outcome.status == "queued" else 200)


@router.get("/v1/deadletters")
async def dead_letters(
    services: ServicesDep,
    key: GlobalAdminKey,
    integration: str | None = None,
    after: Annotated[
        str | None,
        Query(description="cursor: the last id of the previous page", json_schema_extra={"pattern": STREAM_ID}),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    letters, total = await services.jobs.dead_letters(integration=integration, after=after, limit=limit)
    return {"total": total, "items": letters, "next": letters[-1]["id"] if len(letters) == limit else None}


@router.post("/v1/deadletters/{entry_id}/redrive")
async def redrive(entry_id: EntryId, services: ServicesDep, key: GlobalAdminKey) -> dict:
    return {"job_id": await services.jobs.redrive(entry_id)}


@router.post("/v1/deadletters/redrive")
async def redrive_all(services: ServicesDep, key: GlobalAdminKey, integration: str | None = None) -> dict:
    moved = await services.jobs.redrive_all(integration)
    return {"redriven": len(moved), "job_ids": moved}


@router.delete("/v1/deadletters/{entry_id}", status_code=204)
async def drop(entry_id: EntryId, services: ServicesDep, key: GlobalAdminKey) -> Response:
    await services.jobs.drop(entry_id)
    return Response(status_code=204)
