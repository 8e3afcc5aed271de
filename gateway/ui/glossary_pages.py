"""Admins: a brand's glossary as a searchable table — add, edit, delete, import (with line errors), export."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from gateway.deps import ServicesDep, load_brand
from gateway.errors import InvalidInput
from gateway.services import Services
from gateway.ui.web import AdminViewer, UIRoute, Viewer, redirect, render, sessions
from glossary.errors import GlossaryError, ImportFailed
from glossary.terms import KINDS, Term, make_term

router = APIRouter(route_class=UIRoute)
PAGE_SIZE = 50
_EXPORT_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "tbx": "application/x-tbx"}
_TABLES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": "\t"}
_TBX = (".tbx", ".xml")
Text = Annotated[str, Form(max_length=2000)]


def _who(viewer: Viewer) -> str:
    return f"key:{viewer.key.id}" + (f" ({viewer.key.label})" if viewer.key.label else "")


async def _term_form(
    kind: Text = "term",
    source: Text = "",
    target: Text = "",
    source_lang: Text = "",
    target_lang: Text = "",
    case: Text = "",
    variants: Text = "",
    note: Text = "",
) -> dict[str, object]:
    """The add and edit forms' fields, as `make_term` takes them (blank means unset)."""
    data: dict[str, object] = {
        "kind": kind,
        "source": source,
        "target": target or None,
        "source_lang": source_lang or None,
        "target_lang": target_lang or None,
        "case_sensitive": {"yes": True, "no": False}.get(case),
        "variants": [v.strip() for v in variants.split("|") if v.strip()],
        "note": note,
    }
    return {k: v for k, v in data.items() if v is not None}


TermForm = Annotated[dict[str, object], Depends(_term_form)]


def _search(terms: tuple[Term, ...], q: str, kind: str) -> list[Term]:
    found = [t for t in terms if not kind or t.kind == kind]
    if q:
        needle = q.casefold()
        found = [
            t for t in found if any(needle in (s or "").casefold() for s in (t.source, t.target, t.note, *t.variants))
        ]
    return sorted(found, key=lambda t: (t.source.casefold(), t.kind, t.target_lang or ""))


async def _page(
    request: Request,
    services: Services,
    brand: str,
    q: str = "",
    kind: str = "",
    offset: int = 0,
    import_errors: list[tuple[int, str]] | None = None,
    status: int = 200,
) -> Response:
    await load_brand(services, brand, request.state.viewer.key)
    termbase = await services.termbases.get(brand)
    terms = _search(termbase.terms, q.strip(), kind)
    context = {
        "section": "brands",
        "brand": brand,
        "version": termbase.version,
        "total": len(termbase.terms),
        "matching": len(terms),
        "terms": terms[offset : offset + PAGE_SIZE],
        "q": q,
        "kind": kind,
        "kinds": KINDS,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "import_errors": import_errors,
    }
    return await render(request, "glossary.html", context, status=status)


@router.get("/ui/brands/{brand}/glossary", include_in_schema=False)
async def glossary(
    request: Request,
    brand: str,
    services: ServicesDep,
    viewer: AdminViewer,
    q: str = "",
    kind: str = "",
    offset: int = 0,
) -> Response:
    return await _page(request, services, brand, q, kind if kind in KINDS else "", max(0, offset))


@router.post("/ui/brands/{brand}/glossary", include_in_schema=False)
async def add_term(brand: str, services: ServicesDep, viewer: AdminViewer, form: TermForm) -> Response:
    await load_brand(services, brand, viewer.key)
    store = sessions(services)
    try:
        term = make_term(form)
        termbase, _ = await services.termbases.add(brand, term, _who(viewer))
        await services.audit.record(
            viewer.key, "glossary", "add", term.id, [brand], {"version": termbase.version, "via": "web"}
        )
        await store.flash(viewer.session, f"Added “{term.source}” (version {termbase.version}).")
    except GlossaryError as exc:
        await store.flash(viewer.session, f"Not added: {exc}", "error")
    return redirect(f"/ui/brands/{brand}/glossary")


@router.get("/ui/brands/{brand}/glossary/export", include_in_schema=False)
async def export(brand: str, services: ServicesDep, viewer: AdminViewer, format: Literal["csv", "tsv", "tbx"] = "csv"):
    from glossary.io import write_table, write_tbx

    await load_brand(services, brand, viewer.key)
    termbase = await services.termbases.get(brand)
    body = (
        write_tbx(termbase.terms, brand)
        if format == "tbx"
        else write_table(termbase.terms, "," if format == "csv" else "\t")
    )
    return Response(
        body,
        media_type=f"{_EXPORT_TYPES[format]}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{brand}-glossary-v{termbase.version}.{format}"'},
    )


@router.post("/ui/brands/{brand}/glossary/import", include_in_schema=False)
async def import_file(
    request: Request,
    brand: str,
    services: ServicesDep,
    viewer: AdminViewer,
    file: Annotated[UploadFile, File()],
    mode: Annotated[Literal["merge", "replace"], Form()] = "merge",
    source_lang: Text = "",
    target_lang: Text = "",
) -> Response:
    from glossary.io import decode_table, parse_table, parse_tbx

    await load_brand(services, brand, viewer.key)
    name = (file.filename or "").lower()
    raw = await file.read()
    try:
        if not raw.strip():
            raise InvalidInput("the file is empty")
        if name.endswith(_TBX):
            terms = await anyio.to_thread.run_sync(parse_tbx, raw)
        elif ext := next((e for e in _TABLES if name.endswith(e)), None):
            # The file's own delimiter wins (Excel's ".csv" is often semicolon-separated); the name breaks ties.
            terms = await anyio.to_thread.run_sync(
                lambda: parse_table(
                    decode_table(raw),
                    source_lang=source_lang or None,
                    target_lang=target_lang or None,
                    default=_TABLES[ext],
                )
            )
        else:
            raise InvalidInput("choose a .csv, .tsv or .tbx file")
    except ImportFailed as exc:
        return await _page(request, services, brand, import_errors=exc.errors, status=422)
    except InvalidInput as exc:
        return await _page(request, services, brand, import_errors=[(0, exc.message)], status=422)
    termbase, change = await services.termbases.import_terms(brand, terms, mode, _who(viewer))
    await services.audit.record(
        viewer.key, "glossary", "import", brand, [brand], {"version": termbase.version, "via": "web"}
    )
    if not (change.added or change.changed or change.removed):
        message = (
            f"Nothing changed: the glossary already holds the file's {len(terms)} entries"
            f" (version {termbase.version} kept)."
        )
    else:
        message = (
            f"Imported {len(terms)} entries ({mode}): {len(change.added)} added, {len(change.changed)} updated, "
            f"{len(change.removed)} removed. Now version {termbase.version}."
        )
    await sessions(services).flash(viewer.session, message)
    return redirect(f"/ui/brands/{brand}/glossary")


@router.get("/ui/brands/{brand}/glossary/{term_id}", include_in_schema=False)
async def edit_page(request: Request, brand: str, term_id: str, services: ServicesDep, viewer: AdminViewer) -> Response:
    from glossary.store import TermNotFound

    await load_brand(services, brand, viewer.key)
    term = (await services.termbases.get(brand)).by_id(term_id)
    if term is None:
        raise TermNotFound(term_id)
    return await render(request, "term_edit.html", {"section": "brands", "brand": brand, "t": term, "kinds": KINDS})


@router.post("/ui/brands/{brand}/glossary/{term_id}", include_in_schema=False)
async def update_term(brand: str, term_id: str, services: ServicesDep, viewer: AdminViewer, form: TermForm) -> Response:
    await load_brand(services, brand, viewer.key)
    store = sessions(services)
    try:
        term = make_term(form, id=term_id)
        termbase, _ = await services.termbases.update(brand, term, _who(viewer))
        await services.audit.record(
            viewer.key, "glossary", "update", term.id, [brand], {"version": termbase.version, "via": "web"}
        )
    except GlossaryError as exc:
        await store.flash(viewer.session, f"Not saved: {exc}", "error")
        return redirect(f"/ui/brands/{brand}/glossary/{term_id}")
    await store.flash(viewer.session, f"Saved “{term.source}” (version {termbase.version}).")
    return redirect(f"/ui/brands/{brand}/glossary")


@router.post("/ui/brands/{brand}/glossary/{term_id}/delete", include_in_schema=False)
async def delete_term(brand: str, term_id: str, services: ServicesDep, viewer: AdminViewer) -> Response:
    await load_brand(services, brand, viewer.key)
    termbase, change = await services.termbases.delete(brand, term_id, _who(viewer))
    await services.audit.record(
        viewer.key, "glossary", "delete", term_id, [brand], {"version": termbase.version, "via": "web"}
    )
    gone = change.removed[0]["source"] if change.removed else term_id
    await sessions(services).flash(viewer.session, f"Deleted “{gone}” (version {termbase.version}).")
    return redirect(f"/ui/brands/{brand}/glossary")
