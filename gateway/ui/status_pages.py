"""The dashboard (charts over a chosen period) and, for admins, the integrations with their health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.deps import ServicesDep
from gateway.errors import InvalidInput
from gateway.services import Services
from gateway.stats import PERIODS
from gateway.ui.web import AdminViewer, EditorViewer, UIRoute, redirect, render, sessions

router = APIRouter(route_class=UIRoute)


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


@router.get("/ui/dashboard", include_in_schema=False)
async def dashboard(request: Request, services: ServicesDep, viewer: EditorViewer, period: str = "24h") -> Response:
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}")
    board = await services.stats.dashboard(period)  # type: ignore[arg-type]
    volume = sum(t["volume"] for t in board.totals.values())
    flagged = sum(t["flagged"] for t in board.totals.values())
    context = {
        "section": "dashboard",
        "period": period,
        "periods": PERIODS,
        "data": board.to_json(),
        "totals": board.totals,
        "volume": volume,
        "flagged_share": flagged / volume if volume else None,
        "approval_s": _mean(board.approval_s),
        "latency": {engine: _mean(values) for engine, values in board.latency_ms.items()},
    }
    return await render(request, "dashboard.html", context)


def _integration_services(services: Services) -> tuple[Any, Any]:
    """Integrations and their job queue, where this gateway has them (None otherwise)."""
    return getattr(services, "integrations", None), getattr(services, "jobs", None)


@router.get("/ui/integrations", include_in_schema=False)
async def integrations(request: Request, services: ServicesDep, viewer: AdminViewer) -> Response:
    store, jobs = _integration_services(services)
    rows: list[dict] = []
    if store is not None:
        for integration in await store.all():
            rows.append({**integration.public(), "health": await store.health(integration.name)})
    letters: list[dict] = []
    dead_total = 0
    if jobs is not None:
        letters, dead_total = await jobs.dead_letters(integration=None, after=None, limit=50)
    context = {
        "section": "integrations",
        "available": store is not None,
        "rows": rows,
        "letters": letters,
        "dead_total": dead_total,
        "can_redrive": jobs is not None,
    }
    return await render(request, "integrations.html", context)


@router.post("/ui/integrations/deadletters/{entry_id}/redrive", include_in_schema=False)
async def redrive(entry_id: str, services: ServicesDep, viewer: AdminViewer) -> Response:
    _, jobs = _integration_services(services)
    if jobs is None:
        raise InvalidInput("this gateway has no integration jobs")
    job_id = await jobs.redrive(entry_id)
    await sessions(services).flash(viewer.session, f"Sent dead letter {entry_id} back to work as job {job_id}.")
    return redirect("/ui/integrations")


@router.post("/ui/integrations/deadletters/redrive", include_in_schema=False)
async def redrive_all(services: ServicesDep, viewer: AdminViewer, integration: str = "") -> Response:
    _, jobs = _integration_services(services)
    if jobs is None:
        raise InvalidInput("this gateway has no integration jobs")
    moved = await jobs.redrive_all(integration or None)
    await sessions(services).flash(viewer.session, f"Sent {len(moved)} dead letters back to work.")
    return redirect("/ui/integrations")
