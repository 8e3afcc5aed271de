"""Admins: the engines' own corrections — see them, switch them off and on, add and remove their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from gateway.deps import ServicesDep
from gateway.errors import InvalidInput, Unavailable
from gateway.keys import normalize_pair
from gateway.ui.web import AdminViewer, GlobalAdminViewer, UIRoute, redirect, render, sessions
from glossary.corrections import InvalidCorrection, shipped_pairs
from glossary.corrections.store import CorrectionNotFound, CorrectionStore

router = APIRouter(route_class=UIRoute)
Text = Annotated[str, Form(max_length=2000)]


def _store(services) -> CorrectionStore:
    store = getattr(services, "corrections", None)
    if store is None:
        raise Unavailable("engine corrections are not available on this gateway")
    return store


def _pair(engine: str, pair: str) -> tuple[str, str, str]:
    if not engine.replace("-", "").replace("_", "").isalnum() or len(engine) > 32:
        raise InvalidInput(f"unknown engine kind {engine!r}")
    try:
        source, _, target = normalize_pair(pair).partition("-")
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return engine, source, target


def _here(engine: str, source: str, target: str, q: str = "") -> str:
    return f"/ui/corrections/{engine}/{source}-{target}" + (f"?q={q}" if q else "")


@router.get("/ui/corrections", include_in_schema=False)
async def first_pair(services: ServicesDep, viewer: AdminViewer) -> Response:
    pairs = shipped_pairs(_store(services).data_dir)
    engine, source, target = pairs[0] if pairs else ("apertium", "en", "es")
    return redirect(_here(engine, source, target))


@router.get("/ui/corrections/{engine}/{pair}", include_in_schema=False)
async def corrections_page(
    request: Request, engine: str, pair: str, services: ServicesDep, viewer: AdminViewer, q: str = ""
) -> Response:
    engine, source, target = _pair(engine, pair)
    store = _store(services)
    version, corrections = await store.list(engine, source, target)
    needle = q.strip().casefold()
    shown = [
        c for c in corrections if not needle or any(needle in s.casefold() for s in (c.id, c.match, c.replace, c.note))
    ]
    history = (await store.history(engine, source, target))[-10:][::-1]
    context = {
        "section": "corrections",
        "engine": engine,
        "source": source,
        "target": target,
        "pairs": shipped_pairs(store.data_dir),
        "version": version,
        "corrections": shown,
        "total": len(corrections),
        "active": sum(c.enabled for c in corrections),
        "q": q,
        "history": history,
    }
    return await render(request, "corrections.html", context)


@router.post("/ui/corrections/{engine}/{pair}/{correction_id}/switch", include_in_schema=False)
async def switch(
    engine: str, pair: str, correction_id: str, services: ServicesDep, viewer: GlobalAdminViewer, enabled: Text = ""
) -> Response:
    engine, source, target = _pair(engine, pair)
    on = enabled == "true"
    try:
        version = await _store(services).switch(engine, source, target, correction_id, on, viewer.who)
    except (InvalidCorrection, CorrectionNotFound) as exc:
        await sessions(services).flash(viewer.session, str(exc), "error")
    else:
        state = "on" if on else "off"
        await sessions(services).flash(viewer.session, f"Switched {correction_id} {state} (version {version}).")
    return redirect(_here(engine, source, target))


@router.post("/ui/corrections/{engine}/{pair}", include_in_schema=False)
async def add(
    engine: str,
    pair: str,
    services: ServicesDep,
    viewer: GlobalAdminViewer,
    correction_id: Annotated[str, Form(alias="id", max_length=64)] = "",
    kind: Text = "",
    match: Text = "",
    replace: Text = "",
    note: Text = "",
) -> Response:
    engine, source, target = _pair(engine, pair)
    data = {"id": correction_id.strip(), "kind": kind, "match": match, "replace": replace, "note": note}
    try:
        version, c = await _store(services).add(engine, source, target, data, viewer.who)
    except InvalidCorrection as exc:
        await sessions(services).flash(viewer.session, f"Not added: {exc}", "error")
    else:
        await sessions(services).flash(viewer.session, f"Added {c.id} (version {version}).")
    return redirect(_here(engine, source, target))


@router.post("/ui/corrections/{engine}/{pair}/{correction_id}/delete", include_in_schema=False)
async def remove(
    engine: str, pair: str, correction_id: str, services: ServicesDep, viewer: GlobalAdminViewer
) -> Response:
    engine, source, target = _pair(engine, pair)
    try:
        version = await _store(services).delete(engine, source, target, correction_id, viewer.who)
    except (InvalidCorrection, CorrectionNotFound) as exc:
        await sessions(services).flash(viewer.session, str(exc), "error")
    else:
        await sessions(services).flash(viewer.session, f"Removed {correction_id} (version {version}).")
    return redirect(_here(engine, source, target))
