"""Admins: brands (settings and tone profile), API keys, and the audit log."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from gateway.brands import BRAND_NAME, Brand
from gateway.deps import ServicesDep, key_brands, load_brand
from gateway.errors import Forbidden, InvalidInput, NotFound, problems
from gateway.keys import Role, normalize_pair
from gateway.ui.web import AdminViewer, UIRoute, redirect, render, sessions
from glossary.tone import TONE_LANGUAGES

router = APIRouter(route_class=UIRoute)
Text = Annotated[str, Form(max_length=5000)]


def _problems(exc: ValidationError) -> str:
    return problems(exc.errors(), "settings")


@router.get("/ui/brands", include_in_schema=False)
async def brands(request: Request, services: ServicesDep, viewer: AdminViewer) -> Response:
    rows = []
    for name in await services.brands.names():
        if not viewer.key.sees(name):
            continue
        brand = await services.brands.get(name)
        termbase = await services.termbases.get(name)
        if brand is not None:
            rows.append((brand, len(termbase.terms)))
    return await render(request, "brands.html", {"section": "brands", "rows": rows})


@router.post("/ui/brands", include_in_schema=False)
async def create_brand(services: ServicesDep, viewer: AdminViewer, name: Text = "") -> Response:
    name = name.strip().lower()
    if not viewer.key.all_brands:
        await sessions(services).flash(viewer.session, "Only an admin key for all brands creates brands.", "error")
        return redirect("/ui/brands")
    if not BRAND_NAME.match(name):
        await sessions(services).flash(viewer.session, "Brand names use a-z, 0-9, '-' and '_' (at most 64).", "error")
        return redirect("/ui/brands")
    if not await services.brands.add_if_missing(Brand(name=name)):
        await sessions(services).flash(viewer.session, f"A brand named {name!r} exists already.", "error")
        return redirect("/ui/brands")
    await services.audit.record(viewer.key, "brand", "create", name, [name], {"via": "web"})
    await sessions(services).flash(viewer.session, f"Created {name}: set its languages and tone below.")
    return redirect(f"/ui/brands/{name}")


@router.get("/ui/brands/{brand}", include_in_schema=False)
async def brand_page(request: Request, brand: str, services: ServicesDep, viewer: AdminViewer) -> Response:
    found = await load_brand(services, brand, viewer.key)
    assert found is not None
    termbase = await services.termbases.get(brand)
    context = {
        "section": "brands",
        "b": found,
        "entries": len(termbase.terms),
        "tone_languages": TONE_LANGUAGES,
        "review_json": json.dumps(found.model_dump(mode="json")["review"], indent=2) if found.review else "",
    }
    return await render(request, "brand.html", context)


@router.post("/ui/brands/{brand}", include_in_schema=False)
async def save_brand(request: Request, brand: str, services: ServicesDep, viewer: AdminViewer) -> Response:
    found = await load_brand(services, brand, viewer.key)
    assert found is not None
    form = await request.form()
    field = lambda name: str(form.get(name, "")).strip()  # noqa: E731
    tone = {lang: field(f"tone_{lang}") for lang in TONE_LANGUAGES if field(f"tone_{lang}") in ("formal", "informal")}
    try:
        review = json.loads(field("review")) if field("review") else {}
        below = float(field("review_below")) if field("review_below") else None
        updated = Brand.model_validate(
            {
                **found.model_dump(),
                "display_name": field("display_name"),
                "languages": [c for c in field("languages").replace(",", " ").split() if c],
                "agent_lang": field("agent_lang") or "en",
                "review_below": below,
                "tone": tone,
                "review": review,
            }
        )
    except ValidationError as exc:
        await sessions(services).flash(viewer.session, "Not saved: " + _problems(exc), "error")
        return redirect(f"/ui/brands/{brand}")
    except ValueError as exc:  # JSON or a number that does not parse
        await sessions(services).flash(viewer.session, f"Not saved: {exc}", "error")
        return redirect(f"/ui/brands/{brand}")
    await services.brands.put(updated)
    await services.audit.record(viewer.key, "brand", "update", brand, [brand], {"via": "web"})
    await sessions(services).flash(viewer.session, f"Saved the settings of {brand}.")
    return redirect(f"/ui/brands/{brand}")


@router.post("/ui/brands/{brand}/delete", include_in_schema=False)
async def delete_brand(brand: str, services: ServicesDep, viewer: AdminViewer) -> Response:
    await load_brand(services, brand, viewer.key)
    if not viewer.key.all_brands:
        raise Forbidden("Only an admin key for all brands deletes brands.")
    await services.termbases.drop(brand)
    await services.brands.delete(brand)
    await services.audit.record(viewer.key, "brand", "delete", brand, [brand], {"via": "web"})
    await sessions(services).flash(viewer.session, f"Deleted {brand} and its glossary.")
    return redirect("/ui/brands")


@router.get("/ui/keys", include_in_schema=False)
async def keys(request: Request, services: ServicesDep, viewer: AdminViewer) -> Response:
    listed = sorted((k for k in await services.keys.list() if viewer.key.covers(k)), key=lambda k: -k.created_at)
    return await render(request, "keys.html", {"section": "keys", "keys": listed, "roles": [r.value for r in Role]})


@router.post("/ui/keys", include_in_schema=False)
async def create_key(
    request: Request,
    services: ServicesDep,
    viewer: AdminViewer,
    role: Text = "editor",
    label: Text = "",
    pairs: Text = "",
    brands: Text = "",
) -> Response:
    try:
        chosen = Role(role)
        wanted = tuple(normalize_pair(p) for p in pairs.replace(",", " ").split())
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    names = [b for b in brands.replace(",", " ").split() if b]
    # Blank: the brands of the admin who makes it; the same rules as POST /v1/keys otherwise.
    asked = None if not names else "all" if names == ["all"] else names
    scope = await key_brands(services, viewer.key, asked)
    key, token = await services.keys.create(
        chosen, label.strip()[:200], created_by=f"key:{viewer.key.id}", pairs=wanted, brands=scope
    )
    await services.audit.record(
        viewer.key, "key", "create", key.id, key.brands or (), {"role": key.role.value, "via": "web"}
    )
    return await render(request, "key_created.html", {"section": "keys", "key": key, "token": token})


@router.post("/ui/keys/{key_id}/revoke", include_in_schema=False)
async def revoke_key(key_id: str, services: ServicesDep, viewer: AdminViewer) -> Response:
    found = await services.keys.get(key_id, live=False)
    if found is None or not viewer.key.covers(found) or not await services.keys.revoke(key_id):
        raise NotFound(f"no API key with id {key_id!r}")
    await services.audit.record(viewer.key, "key", "revoke", key_id, found.brands or (), {"via": "web"})
    await sessions(services).flash(viewer.session, f"Revoked key {key_id}: its sessions end at their next request.")
    return redirect("/ui/keys")


@router.get("/ui/audit", include_in_schema=False)
async def audit(
    request: Request, services: ServicesDep, viewer: AdminViewer, brand: str = "", kind: str = ""
) -> Response:
    """The audit log of the admin's brands (every brand for an all-brands admin), as GET /v1/audit."""
    from gateway.audit import KINDS

    if kind and kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}")
    if brand:
        await load_brand(services, brand, viewer.key)  # another tenant's brand: not found
    scope = (brand,) if brand else viewer.key.brands
    entries = await services.audit.read(brands=scope, kind=kind or None, limit=200)
    context = {
        "section": "audit",
        "entries": entries,
        "brands": [b for b in await services.brands.names() if viewer.key.sees(b)],
        "brand": brand,
        "kind": kind,
        "kinds": KINDS,
    }
    return await render(request, "audit.html", context)
