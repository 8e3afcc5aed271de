"""The review queue for editors, and the outbox the helpdesk (or any API caller) reads."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query

from gateway.contract import STREAM_CURSOR, LanguageCode
from gateway.deps import EditorKey, HelpdeskKey, JsonBody, ReviewItemDep, ServicesDep
from gateway.keys import ApiKey, Role
from gateway.review import OPEN, STATUSES, ReviewItem
from gateway.schemas import (
    ApproveBody,
    ClaimBody,
    OutboxPage,
    RejectBody,
    ReviewDetail,
    ReviewItemOut,
    ReviewPage,
)

router = APIRouter(tags=["review"])


def who(key: ApiKey) -> str:
    return f"key:{key.id}"


def _out(item: ReviewItem) -> ReviewItemOut:
    return ReviewItemOut(**item.model_dump(exclude={"callback_url"}))


async def _audit(services, key: ApiKey, action: str, item: ReviewItem) -> ReviewItem:
    await services.audit.record(key, "review", action, item.id, [item.brand], {"status": item.status})
    return item


@router.get("/v1/review", response_model=ReviewPage)
async def list_items(
    services: ServicesDep,
    key: EditorKey,
    brand: str | None = None,
    source_lang: LanguageCode | None = None,
    target_lang: LanguageCode | None = None,
    status: Annotated[
        list[Literal[*STATUSES, "all"]] | None, Query(description="repeatable; default: pending and claimed")
    ] = None,
    deadline_before: Annotated[float | None, Query(description="unix seconds", allow_inf_nan=False)] = None,
    deadline_after: Annotated[float | None, Query(description="unix seconds", allow_inf_nan=False)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ReviewPage:
    pair = None
    allowed = () if key.role == Role.admin else key.pairs
    if source_lang and target_lang:
        pair = f"{source_lang}-{target_lang}"
    elif source_lang or target_lang:
        # One side of the pair: every pair with items that has it (within the key's pairs).
        found = await services.review.pairs()
        wanted = [
            p
            for p in found
            if p.split("-")[0] == (source_lang or p.split("-")[0])
            and p.split("-")[1] == (target_lang or p.split("-")[1])
            and (not allowed or p in allowed)
        ]
        if not wanted:
            return ReviewPage(total=0, offset=offset, limit=limit, items=[])
        allowed = tuple(wanted)
    statuses = list(OPEN) if not status else [] if "all" in status else list(status)
    page = await services.review.list(
        statuses=statuses,
        brand=brand,
        pair=pair,
        allowed_pairs=allowed,
        allowed_brands=key.brands,
        deadline_before=deadline_before,
        deadline_after=deadline_after,
        offset=offset,
        limit=limit,
    )
    return ReviewPage(total=page.total, offset=offset, limit=limit, items=[_out(i) for i in page.items])


@router.get("/v1/review/{item_id}", response_model=ReviewDetail)
async def get_item(item_id: str, services: ServicesDep, key: EditorKey, item: ReviewItemDep) -> ReviewDetail:
    history = await services.review.history(item_id)
    return ReviewDetail(**_out(item).model_dump(), history=history)


@router.post("/v1/review/{item_id}/claim", response_model=ReviewItemOut)
async def claim(
    item_id: str,
    services: ServicesDep,
    key: EditorKey,
    _item: ReviewItemDep,
    body: Annotated[ClaimBody | None, Body()] = None,
) -> ReviewItemOut:
    # An empty body is fine here: the lease has a sensible default.
    item = await services.review.claim(item_id, who(key), (body or ClaimBody()).lease_s)
    return _out(await _audit(services, key, "claim", item))


@router.post("/v1/review/{item_id}/release", response_model=ReviewItemOut)
async def release(item_id: str, services: ServicesDep, key: EditorKey, _item: ReviewItemDep) -> ReviewItemOut:
    item = await services.review.release(item_id, who(key), key.role == Role.admin)
    return _out(await _audit(services, key, "release", item))


@router.post("/v1/review/{item_id}/approve", response_model=ReviewItemOut, dependencies=[JsonBody])
async def approve(
    item_id: str, body: ApproveBody, services: ServicesDep, key: EditorKey, _item: ReviewItemDep
) -> ReviewItemOut:
    item = await services.approve_review(item_id, who(key), key.role == Role.admin, body.text)
    return _out(await _audit(services, key, "approve", item))


@router.post("/v1/review/{item_id}/reject", response_model=ReviewItemOut, dependencies=[JsonBody])
async def reject(
    item_id: str, body: RejectBody, services: ServicesDep, key: EditorKey, _item: ReviewItemDep
) -> ReviewItemOut:
    item = await services.review.reject(item_id, who(key), key.role == Role.admin, body.reason)
    return _out(await _audit(services, key, "reject", item))


@router.get("/v1/outbox", response_model=OutboxPage)
async def outbox(
    services: ServicesDep,
    key: HelpdeskKey,
    after: Annotated[
        str | None,
        Query(description="the `next` cursor of the previous page", json_schema_extra={"pattern": STREAM_CURSOR}),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> OutboxPage:
    # A key of some brands reads those brands' messages only (customer conversations are tenant data).
    messages, cursor = await services.outbox.read(after, limit, key.brands)
    return OutboxPage(messages=messages, next=cursor)
