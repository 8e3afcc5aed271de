"""The dashboard (charts over a chosen period) and, for admins, the integrations with their health."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from gateway.deps import ServicesDep, authorize_integration
from gateway.errors import Conflict, InvalidInput, problems
from gateway.integrations.base import KINDS
from gateway.integrations.config import Integration, IntegrationFields
from gateway.stats import PERIODS
from gateway.ui.web import AdminViewer, EditorViewer, PageError, UIRoute, Viewer, redirect, render, sessions

router = APIRouter(route_class=UIRoute)
LETTERS_PAGE = 50
Text = Annotated[str, Form(max_length=2000)]


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


@router.get("/ui/dashboard", include_in_schema=False)
async def dashboard(request: Request, services: ServicesDep, viewer: EditorViewer, period: str = "24h") -> Response:
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}")
    # A key of some brands sees the counters of those brands only (each brand keeps its own).
    board = await services.stats.dashboard(period, brands=viewer.key.brands)  # type: ignore[arg-type]
    volume = sum(t["volume"] for t in board.totals.values())
    flagged = sum(t["flagged"] for t in board.totals.values())
    latency = {engine: _mean(values) for engine, values in board.latency_ms.items()}
    context = {
        "section": "dashboard",
        "period": period,
        "periods": PERIODS,
        "data": board.to_json(),
        "totals": board.totals,
        "volume": volume,
        "flagged_share": flagged / volume if volume else None,
        "approval_s": _mean(board.approval_s),
        "latency_mean": _mean(list(latency.values())),
        "slowest": max(((e, ms) for e, ms in latency.items() if ms is not None), key=lambda x: x[1], default=None),
    }
    return await render(request, "dashboard.html", context)


@router.get("/ui/integrations", include_in_schema=False)
async def integrations(
    request: Request, services: ServicesDep, viewer: AdminViewer, integration: str = "", after: str = ""
) -> Response:
    store = services.integrations
    rows = [
        {**found.public(), "health": await store.health(found.name)}
        for found in await store.all()
        if viewer.key.sees(found.brand)
    ]
    letters, dead_total = [], 0
    if viewer.key.all_brands:  # a dead letter may hold any brand's conversation
        letters, dead_total = await services.jobs.dead_letters(
            integration=integration or None, after=after or None, limit=LETTERS_PAGE
        )
    context = {
        "section": "integrations",
        "rows": rows,
        "letters": letters,
        "dead_total": dead_total,
        "integration": integration,
        "after": after,
        "more": len(letters) == LETTERS_PAGE,
        "kinds": KINDS,
        "brands": [b for b in await services.brands.names() if viewer.key.sees(b)],
    }
    return await render(request, "integrations.html", context)


@router.post("/ui/integrations", include_in_schema=False)
async def create_integration(
    request: Request,
    services: ServicesDep,
    viewer: AdminViewer,
    name: Text = "",
    kind: Text = "",
    base_url: Text = "",
    api_token: Text = "",
    webhook_secret: Text = "",
    brand: Text = "",
    agent_lang: Text = "",
) -> Response:
    """Connect a helpdesk: the same checks as POST /v1/integrations, the errors as a message."""
    store = services.integrations
    given = {"name": name, "kind": kind, "base_url": base_url, "api_token": api_token,
             "webhook_secret": webhook_secret, "brand": brand, "agent_lang": agent_lang}  # fmt: skip
    flash = sessions(services).flash
    try:
        integration = Integration.model_validate({k: v.strip() for k, v in given.items() if v.strip()})
        if await services.brands.get(integration.brand) is None or not viewer.key.sees(integration.brand):
            raise InvalidInput(f"brand: no brand named {integration.brand!r}; create it on the Brands page first")
        await store.create(integration)
        await services.audit.record(viewer.key, "integration", "create", integration.name, [integration.brand])
    except ValidationError as exc:
        await flash(viewer.session, f"Not created: {problems(exc.errors(), 'form')}", "error")
        return redirect("/ui/integrations")
    except (InvalidInput, Conflict) as exc:
        await flash(viewer.session, f"Not created: {exc.message}", "error")
        return redirect("/ui/integrations")
    url = str(request.base_url).rstrip("/") + f"/v1/webhooks/{integration.name}"
    await flash(viewer.session, f"Created {integration.name}: point the helpdesk's webhook at {url}.")
    return redirect("/ui/integrations")


@router.post("/ui/integrations/{name}/delete", include_in_schema=False)
async def delete_integration(name: str, services: ServicesDep, viewer: AdminViewer) -> Response:
    store = services.integrations
    found = await authorize_integration(services, viewer.key, name)
    try:
        await store.delete(name)
    except Conflict as exc:  # declared in the TONEGATE_INTEGRATIONS file
        await sessions(services).flash(viewer.session, f"Not deleted: {exc.message}", "error")
        return redirect("/ui/integrations")
    await services.audit.record(viewer.key, "integration", "delete", name, [found.brand], {"via": "web"})
    await sessions(services).flash(viewer.session, f"Deleted {name}: its webhooks are refused from now on.")
    return redirect("/ui/integrations")


@router.post("/ui/integrations/{name}", include_in_schema=False)
async def update_integration(
    name: str, services: ServicesDep, viewer: AdminViewer, enabled: Text = "", api_token: Text = ""
) -> Response:
    """The two fixes an admin makes from here: switch it off or on, and replace a refused API token."""
    store = services.integrations
    found = await authorize_integration(services, viewer.key, name)
    fields: dict[str, object] = {}
    if enabled in ("yes", "no"):
        fields["enabled"] = enabled == "yes"
    if api_token.strip():
        fields["api_token"] = api_token.strip()
    flash = sessions(services).flash
    if not fields:
        await flash(viewer.session, "Nothing to change: give a new API token.", "error")
        return redirect("/ui/integrations")
    try:
        await store.update(name, IntegrationFields.model_validate(fields))
    except ValidationError as exc:
        await flash(viewer.session, f"Not saved: {problems(exc.errors(), 'form')}", "error")
        return redirect("/ui/integrations")
    except Conflict as exc:  # declared in the TONEGATE_INTEGRATIONS file
        await flash(viewer.session, f"Not saved: {exc.message}", "error")
        return redirect("/ui/integrations")
    await services.audit.record(
        viewer.key, "integration", "update", name, [found.brand], {"fields": sorted(fields), "via": "web"}
    )
    said = [("enabled" if fields["enabled"] else "disabled")] if "enabled" in fields else []
    said += ["new API token saved"] if "api_token" in fields else []
    await flash(viewer.session, f"{name}: {', '.join(said)}.")
    return redirect("/ui/integrations")


@router.post("/ui/integrations/deadletters/{entry_id}/redrive", include_in_schema=False)
async def redrive(entry_id: str, services: ServicesDep, viewer: AdminViewer, integration: Text = "") -> Response:
    _all_brands(viewer)
    job_id = await services.jobs.redrive(entry_id)
    await sessions(services).flash(viewer.session, f"Sent dead letter {entry_id} back to work as job {job_id}.")
    return redirect(_letters_url(integration))


@router.post("/ui/integrations/deadletters/redrive", include_in_schema=False)
async def redrive_all(services: ServicesDep, viewer: AdminViewer, integration: Text = "") -> Response:
    _all_brands(viewer)
    moved = await services.jobs.redrive_all(integration or None)
    await sessions(services).flash(viewer.session, f"Sent {len(moved)} dead letters back to work.")
    return redirect(_letters_url(integration))


def _all_brands(viewer: Viewer) -> None:
    if not viewer.key.all_brands:
        raise PageError(403, "Dead letters may hold any brand's conversations: they need a key for all brands.")


def _letters_url(integration: str) -> str:
    return "/ui/integrations" + (f"?{urlencode({'integration': integration})}#dead-letters-h" if integration else "")
