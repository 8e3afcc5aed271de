from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.deps import HelpdeskKey, ServicesDep
from gateway.schemas import LanguagesResponse, PairOut
from models.langcodes import english_name

router = APIRouter(tags=["meta"])


@router.get("/v1/languages", response_model=LanguagesResponse)
async def languages(services: ServicesDep, key: HelpdeskKey) -> LanguagesResponse:
    routes = services.registry.routes
    pairs = [
        PairOut(source=p.source, target=p.target, engine=r.label, pivots=list(r.pivots))
        for p, r in sorted(routes.items(), key=lambda kv: (len(kv[1].hops), str(kv[0])))
    ]
    langs = sorted(services.registry.languages())
    return LanguagesResponse(
        pairs=pairs,
        languages=[{"code": c, "name": english_name(c)} for c in langs],
        detectable=sorted(services.detector.default_languages),
    )


@router.get("/healthz")
async def healthz() -> dict:
    """Liveness: the process answers. Readiness (engines, Redis) is /readyz."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "not ready (starting, Redis unreachable, no engines)"}})
async def readyz(request: Request) -> JSONResponse:
    services = getattr(request.app.state, "services", None)
    checks: dict[str, str] = {}
    if services is None:
        return JSONResponse({"status": "starting", "checks": {"engines": "loading", "redis": "connecting"}}, 503)
    try:
        await services.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # reported, not raised: readiness is the answer
        checks["redis"] = f"unreachable: {exc}"
    checks["engines"] = "ok" if services.registry.routes else "no language pairs loaded"
    ready = all(v == "ok" for v in checks.values())
    # A remote engine that is down is reported, not fatal: its fallback (or another instance) still
    # serves, and taking every gateway out of the load balancer for it would help no one.
    remote = {
        name: {"state": h.state, "failures": h.failures, "retries": h.retries, "last_error": h.last_error}
        for name, h in services.registry.health().items()
    }
    body: dict = {"status": "ready" if ready else "not ready", "checks": checks}
    if remote:
        body["remote_engines"] = remote
    return JSONResponse(body, 200 if ready else 503)


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(services: ServicesDep) -> Response:
    """Prometheus text format; scrape it from inside your network."""
    # Queue depths are read now rather than kept up to date on every write.
    await services.metrics.collect_queues(services.redis, batchers=services.registry.batchers)
    services.metrics.collect_engines(
        services.registry.health(), {chain.name: chain.fallbacks for chain in services.registry.chains}
    )
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)
