"""A brand's termbase: entries, search and paging, import and export, versions and restore."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Path, Query, Request, Response

from gateway.contract import LanguageCode, file_body, file_response
from gateway.deps import AdminBrand, AdminKey, EditorBrand, EditorKey, JsonBody, ServicesDep
from gateway.errors import InvalidInput, SameLanguage, SameText, UnsupportedMediaType
from gateway.schemas import GlossaryPage, ImportResult, TermChanged, TermIn, TermOutFull, VersionsPage
from glossary.terms import Term, make_term

router = APIRouter(tags=["glossary"])
# As glossary.terms checks an entry's id (PUT may create one with the id given).
TermId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]

_TABLE_TYPES = {"text/csv": ",", "text/tab-separated-values": "\t"}
_TBX_TYPES = {"application/x-tbx", "application/xml", "text/xml", "application/tbx+xml"}
_EXPORT_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "tbx": "application/x-tbx"}


def _out(term: Term) -> TermOutFull:
    return TermOutFull(**term.to_dict())


def _term(body, term_id: str | None = None) -> Term:
    """The entry, after the two rules that compare fields (the schema states every other one)."""
    if body.kind == "term" and body.source_lang == body.target_lang:
        raise SameLanguage("a term's source_lang and target_lang must differ")
    if body.kind == "forbidden" and body.target.strip().casefold() == body.source.strip().casefold():
        raise SameText("the replacement of a forbidden word must differ from it")
    return make_term(body.model_dump(exclude_none=True), id=term_id)


def _who(key) -> str:
    return f"key:{key.id}" + (f" ({key.label})" if key.label else "")


@router.get("/v1/brands/{brand}/glossary", response_model=GlossaryPage)
async def list_terms(
    brand: str,
    services: ServicesDep,
    key: EditorKey,
    _brand: EditorBrand,
    q: Annotated[str | None, Query(max_length=200, description="search source, target, variants and note")] = None,
    kind: Literal["dnt", "term", "forbidden"] | None = None,
    source_lang: LanguageCode | None = None,
    target_lang: LanguageCode | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> GlossaryPage:
    termbase = await services.termbases.get(brand)
    terms = list(termbase.terms)
    if kind:
        terms = [t for t in terms if t.kind == kind]
    if source_lang:
        terms = [t for t in terms if t.source_lang == source_lang]
    if target_lang:
        terms = [t for t in terms if t.target_lang == target_lang]
    if q:
        needle = q.casefold()
        terms = [
            t for t in terms if any(needle in (s or "").casefold() for s in (t.source, t.target, t.note, *t.variants))
        ]
    terms.sort(key=lambda t: (t.source.casefold(), t.kind, t.target_lang or ""))
    return GlossaryPage(
        brand=brand,
        version=termbase.version,
        total=len(terms),
        offset=offset,
        limit=limit,
        terms=[_out(t) for t in terms[offset : offset + limit]],
    )


@router.post("/v1/brands/{brand}/glossary", response_model=TermChanged, status_code=201, dependencies=[JsonBody])
async def add_term(brand: str, body: TermIn, services: ServicesDep, key: AdminKey, _brand: AdminBrand) -> TermChanged:
    term = _term(body)
    termbase, _ = await services.termbases.add(brand, term, _who(key))
    await services.audit.record(key, "glossary", "add", term.id, [brand], {"version": termbase.version})
    return TermChanged(term=_out(term), version=termbase.version)


@router.get("/v1/brands/{brand}/glossary/terms/{term_id}", response_model=TermOutFull)
async def get_term(brand: str, term_id: str, services: ServicesDep, key: EditorKey, _brand: EditorBrand) -> TermOutFull:
    from glossary.store import TermNotFound

    term = (await services.termbases.get(brand)).by_id(term_id)
    if term is None:
        raise TermNotFound(term_id)
    return _out(term)


@router.put("/v1/brands/{brand}/glossary/terms/{term_id}", response_model=TermChanged, dependencies=[JsonBody])
async def update_term(
    brand: str, term_id: TermId, body: TermIn, services: ServicesDep, key: AdminKey, _brand: AdminBrand
) -> TermChanged:
    term = _term(body, term_id)
    termbase, _ = await services.termbases.update(brand, term, _who(key))
    await services.audit.record(key, "glossary", "update", term.id, [brand], {"version": termbase.version})
    return TermChanged(term=_out(term), version=termbase.version)


@router.delete("/v1/brands/{brand}/glossary/terms/{term_id}", response_model=TermChanged)
async def delete_term(
    brand: str, term_id: str, services: ServicesDep, key: AdminKey, _brand: AdminBrand
) -> TermChanged:
    termbase, _ = await services.termbases.delete(brand, term_id, _who(key))
    await services.audit.record(key, "glossary", "delete", term_id, [brand], {"version": termbase.version})
    return TermChanged(term=None, version=termbase.version)


@router.post(
    "/v1/brands/{brand}/glossary/import",
    response_model=ImportResult,
    openapi_extra=file_body("text/csv", "text/tab-separated-values", "application/x-tbx", "application/xml"),
)
async def import_terms(
    brand: str,
    request: Request,
    services: ServicesDep,
    key: AdminKey,
    _brand: AdminBrand,
    mode: Literal["merge", "replace"] = "merge",
    source_lang: LanguageCode | None = None,
    target_lang: LanguageCode | None = None,
) -> ImportResult:
    """CSV, TSV (header kind,source_lang,target_lang,source,target,case_sensitive,note, or two
    columns source,target with source_lang and target_lang given here) or TBX. Every row is
    checked first; any error imports nothing and lists the lines to fix. A table may be separated
    by commas, semicolons or tabs (found from the file), in UTF-8 or UTF-16 with a byte-order
    mark, as Excel saves it. An import that changes nothing keeps the version."""
    from glossary.io import decode_table, parse_table, parse_tbx

    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    raw = await request.body()
    if not raw.strip():
        raise InvalidInput("the file is empty")
    if ctype in _TABLE_TYPES:
        # The content type only sets the default: a ".csv" from Excel is often semicolon-separated.
        terms = await anyio.to_thread.run_sync(
            lambda: parse_table(
                decode_table(raw), source_lang=source_lang, target_lang=target_lang, default=_TABLE_TYPES[ctype]
            )
        )
    elif ctype in _TBX_TYPES:
        terms = await anyio.to_thread.run_sync(parse_tbx, raw)
    else:
        raise UnsupportedMediaType(
            f"send text/csv, text/tab-separated-values or application/x-tbx (got {ctype or 'none'!r})"
        )
    termbase, change = await services.termbases.import_terms(brand, terms, mode, _who(key))
    await services.audit.record(
        key, "glossary", "import", brand, [brand], {"version": termbase.version, "mode": mode, "rows": len(terms)}
    )
    return ImportResult(
        version=termbase.version,
        mode=mode,
        imported=len(terms),
        added=len(change.added),
        updated=len(change.changed),
        removed=len(change.removed),
    )


@router.get("/v1/brands/{brand}/glossary/export", responses=file_response(*_EXPORT_TYPES.values()))
async def export_terms(
    brand: str, services: ServicesDep, key: EditorKey, _brand: EditorBrand, format: Literal["csv", "tsv", "tbx"] = "csv"
) -> Response:
    from glossary.io import write_table, write_tbx

    termbase = await services.termbases.get(brand)
    if format == "tbx":
        body = write_tbx(termbase.terms, brand)
    else:
        body = write_table(termbase.terms, "," if format == "csv" else "\t")
    filename = f"{brand}-glossary-v{termbase.version}.{format}"
    return Response(
        body,
        media_type=f"{_EXPORT_TYPES[format]}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Glossary-Version": str(termbase.version),
        },
    )


@router.get("/v1/brands/{brand}/glossary/versions", response_model=VersionsPage)
async def list_versions(
    brand: str,
    services: ServicesDep,
    key: EditorKey,
    _brand: EditorBrand,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> VersionsPage:
    total, changes = await services.termbases.changes(brand, offset, limit)
    return VersionsPage(total=total, versions=[c.to_dict() for c in changes])


@router.post("/v1/brands/{brand}/glossary/versions/{version}/restore", response_model=TermChanged)
async def restore_version(
    brand: str, version: int, services: ServicesDep, key: AdminKey, _brand: AdminBrand
) -> TermChanged:
    termbase, _ = await services.termbases.restore(brand, version, _who(key))
    await services.audit.record(
        key, "glossary", "restore", brand, [brand], {"version": termbase.version, "restored": version}
    )
    return TermChanged(term=None, version=termbase.version)
