"""A brand's translation memory: entries, fuzzy suggestions, TMX, and canned replies in bulk."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from gateway.contract import LanguageCode, LanguagePair, file_body, file_response, non_blank
from gateway.deps import AdminBrand, AdminKey, EditorBrand, EditorKey, JsonBody, ServicesDep
from gateway.errors import NotFound, SameLanguage, UnsupportedMediaType
from gateway.memory import MemoryEntry
from gateway.pipeline import TranslateJob
from gateway.routers.translate import translation_out
from gateway.schemas import TranslationOut, _Body

router = APIRouter(tags=["memory"])
_TMX_TYPES = {"application/x-tmx+xml", "application/xml", "text/xml", "application/x-tmx"}


class MemoryIn(_Body):
    source_lang: LanguageCode = Field(description="differs from target_lang")
    target_lang: LanguageCode
    source: str = Field(min_length=1, max_length=20_000)
    target: str = Field(min_length=1, max_length=20_000)


class MemoryEntryOut(BaseModel):
    id: str
    pair: str = Field(description="source-target, as in DELETE /v1/brands/{brand}/memory/{pair}/{id}")
    source: str
    target: str
    who: str
    at: float
    origin: str


class MemoryPage(BaseModel):
    source_lang: str
    target_lang: str
    total: int
    entries: list[MemoryEntryOut]


class SuggestionOut(BaseModel):
    id: str
    score: float
    source: str
    target: str
    text: str = Field(description="the remembered target with this message's numbers, URLs and names put in")


class PrepareIn(_Body):
    source_lang: LanguageCode = Field(description="differs from target_lang")
    target_lang: LanguageCode
    texts: list[non_blank("text", 20_000)] = Field(min_length=1, max_length=500)


class PairIn(_Body):
    source: str = Field(min_length=1, max_length=20_000)
    target: str = Field(min_length=1, max_length=20_000)


class ApproveIn(_Body):
    source_lang: LanguageCode = Field(description="differs from target_lang")
    target_lang: LanguageCode
    pairs: list[PairIn] = Field(min_length=1, max_length=5_000)


def _langs(src: str, tgt: str) -> tuple[str, str]:
    """Both are normalized codes already (LanguageCode); a memory keeps one pair of two languages."""
    if src == tgt:
        raise SameLanguage("source_lang and target_lang must differ")
    return src, tgt


def _entry_out(e: MemoryEntry, src: str, tgt: str) -> MemoryEntryOut:
    return MemoryEntryOut(
        id=e.id, pair=f"{src}-{tgt}", source=e.source, target=e.target, who=e.who, at=e.at, origin=e.origin
    )


def _who(key) -> str:
    return f"key:{key.id}"


@router.get("/v1/brands/{brand}/memory", response_model=MemoryPage)
async def list_memory(
    brand: str,
    services: ServicesDep,
    key: EditorKey,
    _brand: EditorBrand,
    source_lang: LanguageCode,
    target_lang: LanguageCode,
    q: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> MemoryPage:
    # A memory holds two languages; for one language on both sides there is simply nothing.
    src, tgt = source_lang, target_lang
    entries = await services.memory.entries(brand, src, tgt) if src != tgt else []
    if q:
        needle = q.casefold()
        entries = [e for e in entries if needle in e.source.casefold() or needle in e.target.casefold()]
    return MemoryPage(
        source_lang=src,
        target_lang=tgt,
        total=len(entries),
        entries=[_entry_out(e, src, tgt) for e in entries[offset : offset + limit]],
    )


@router.post("/v1/brands/{brand}/memory", response_model=MemoryEntryOut, status_code=201, dependencies=[JsonBody])
async def add_memory(
    brand: str, body: MemoryIn, services: ServicesDep, key: EditorKey, _brand: EditorBrand
) -> MemoryEntryOut:
    src, tgt = _langs(body.source_lang, body.target_lang)
    entry = await services.memory.add(brand, src, tgt, body.source, body.target, who=_who(key), origin="api")
    return _entry_out(entry, src, tgt)


@router.delete("/v1/brands/{brand}/memory/{pair}/{entry_id}", status_code=204)
async def delete_memory(
    brand: str, pair: LanguagePair, entry_id: str, services: ServicesDep, key: AdminKey, _brand: AdminBrand
) -> Response:
    src, tgt = _langs(*pair.split("-"))
    if not await services.memory.delete(brand, src, tgt, entry_id):
        raise NotFound(f"no memory entry {entry_id!r} for {src}-{tgt}")
    return Response(status_code=204)


@router.get("/v1/brands/{brand}/memory/suggest", response_model=list[SuggestionOut])
async def suggest(
    brand: str,
    services: ServicesDep,
    key: EditorKey,
    _brand: EditorBrand,
    source_lang: LanguageCode,
    target_lang: LanguageCode,
    text: Annotated[str, Query(min_length=1, max_length=20_000)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[SuggestionOut]:
    if source_lang == target_lang:
        return []  # nothing to suggest: a memory holds two languages
    found = await services.memory.suggest(brand, source_lang, target_lang, text, limit)
    return [
        SuggestionOut(id=s.entry.id, score=s.score, source=s.entry.source, target=s.entry.target, text=s.text)
        for s in found
    ]


@router.post("/v1/brands/{brand}/memory/import", openapi_extra=file_body(*sorted(_TMX_TYPES)))
async def import_tmx(
    brand: str,
    request: Request,
    services: ServicesDep,
    key: AdminKey,
    _brand: AdminBrand,
    source_lang: LanguageCode | None = None,
    target_lang: LanguageCode | None = None,
) -> dict:
    """TMX 1.4; every unit is checked first and nothing is stored if any is wrong."""
    from glossary.tmx import parse_tmx

    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype not in _TMX_TYPES:
        raise UnsupportedMediaType(f"send a TMX file as application/x-tmx+xml (got {ctype or 'none'!r})")
    raw = await request.body()
    units = await anyio.to_thread.run_sync(lambda: parse_tmx(raw, source_lang, target_lang))
    by_pair: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for u in units:
        by_pair.setdefault((u.source_lang, u.target_lang), []).append((u.source, u.target))
    for (src, tgt), pairs in by_pair.items():
        await services.memory.add_many(brand, src, tgt, pairs, who=_who(key), origin="import")
    return {"imported": len(units), "pairs": sorted(f"{s}-{t}" for s, t in by_pair)}


@router.get("/v1/brands/{brand}/memory/export", responses=file_response("application/x-tmx+xml"))
async def export_tmx(
    brand: str,
    services: ServicesDep,
    key: EditorKey,
    _brand: EditorBrand,
    source_lang: LanguageCode,
    target_lang: LanguageCode,
) -> Response:
    from glossary.tmx import Unit, write_tmx

    src, tgt = source_lang, target_lang
    entries = await services.memory.entries(brand, src, tgt) if src != tgt else []
    body = write_tmx((Unit(src, tgt, e.source, e.target) for e in entries), src)
    return Response(
        body,
        media_type="application/x-tmx+xml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{brand}-memory-{src}-{tgt}.tmx"'},
    )


@router.post("/v1/brands/{brand}/memory/prepare", response_model=list[TranslationOut], dependencies=[JsonBody])
async def prepare(
    brand: str, body: PrepareIn, services: ServicesDep, key: EditorKey, found: EditorBrand
) -> list[TranslationOut]:
    """Machine-translate canned replies (macros) with the brand's glossary and tone, for bulk review."""
    src, tgt = _langs(body.source_lang, body.target_lang)
    job = TranslateJob(texts=tuple(body.texts), target=tgt, source=src, brand=found)
    return [translation_out(t) for t in await services.pipeline.translate(job)]


@router.post("/v1/brands/{brand}/memory/approve", dependencies=[JsonBody])
async def approve_bulk(brand: str, body: ApproveIn, services: ServicesDep, key: EditorKey, _brand: EditorBrand) -> dict:
    """Store reviewed canned replies in the memory: from now on they are reused without translation."""
    src, tgt = _langs(body.source_lang, body.target_lang)
    n = await services.memory.add_many(
        brand, src, tgt, [(p.source, p.target) for p in body.pairs], who=_who(key), origin="bulk"
    )
    return {"stored": n}
