"""GET /v1/audit: who changed which key, brand, glossary, integration or review item, and when."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from gateway.brands import BRAND_NAME
from gateway.deps import AdminKey, ServicesDep, authorize_brand

router = APIRouter(tags=["audit"])


class AuditEntry(BaseModel):
    id: str
    at: float = Field(description="unix seconds")
    kind: Literal["key", "brand", "glossary", "integration", "review"]
    action: str = Field(description="create, update, delete, revoke, add, import, restore, tone, claim, approve, …")
    target: str = Field(description="what changed: a key id, brand, term id, integration or review item id")
    brands: list[str]
    key_id: str = Field(description="the key that made the change")
    key_label: str
    detail: dict


class AuditPage(BaseModel):
    entries: list[AuditEntry]


@router.get("/v1/audit", response_model=AuditPage)
async def audit(
    services: ServicesDep,
    key: AdminKey,
    brand: Annotated[str | None, Query(pattern=BRAND_NAME.pattern)] = None,
    kind: Literal["key", "brand", "glossary", "integration", "review"] | None = None,
    since: Annotated[float | None, Query(description="unix seconds", ge=0, le=1e11, allow_inf_nan=False)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Newest first. A brand admin reads its brands' entries; an all-brands admin reads every entry."""
    if brand is not None:
        await authorize_brand(services, key, brand)
        brands: tuple[str, ...] | None = (brand,)
    else:
        brands = key.brands
    entries = await services.audit.read(brands=brands, kind=kind, since=since, limit=limit)
    return AuditPage(entries=[AuditEntry(**e) for e in entries])
