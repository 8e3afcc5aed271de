"""What every page shares: templates (autoescaped), security headers, the signed-in viewer, CSRF.

Routes use `UIRoute`, which turns errors into HTML pages instead of the API's JSON, and sends a
person who is not signed in to the sign-in page.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.deps import ServicesDep
from gateway.errors import GatewayError, problems
from gateway.keys import ApiKey, Role
from gateway.services import Services
from gateway.ui.sessions import SESSION_COOKIE, SESSION_TTL_S, Session, SessionStore
from glossary.errors import GlossaryError
from models.errors import ModelError

HERE = Path(__file__).parent
CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP + "; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "—"


def _iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else ""


def _thousands(n: int | float) -> str:
    return f"{n:,.0f}"


env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(("html",), default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = _when
env.filters["iso"] = _iso
env.filters["thousands"] = _thousands


@dataclass(slots=True)
class Viewer:
    session: Session
    key: ApiKey

    @property
    def who(self) -> str:
        return f"key:{self.key.id}"

    @property
    def is_admin(self) -> bool:
        return self.key.role == Role.admin

    @property
    def name(self) -> str:
        return self.key.label or self.key.id


class SignInRequired(Exception):
    """No session, an expired one, or one whose key was revoked."""


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sessions(services: Services) -> SessionStore:
    return SessionStore(services.redis, services.keys)


async def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    flash = None
    if viewer is not None and not request.headers.get("hx-request"):
        flash = await sessions(request.app.state.services).take_flash(viewer.session)
    page = env.get_template(template).render(
        {"request": request, "viewer": viewer, "flash": flash, "now": time.time(), **(context or {})}
    )
    response = HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)
    if viewer is not None:
        set_session_cookie(request, response, viewer.session.id)
    return response


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=SESSION_TTL_S,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _viewer(request: Request, services: ServicesDep) -> Viewer:
    found = await sessions(services).load(request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise SignInRequired()
    viewer = Viewer(*found)
    request.state.viewer = viewer
    return viewer


async def _check_csrf(request: Request, viewer: Viewer) -> None:
    if request.method != "POST":
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        sent = str((await request.form()).get("csrf", ""))
    if not sent or not hmac.compare_digest(sent.encode(), viewer.session.csrf.encode()):
        raise PageError(
            403,
            "This form is out of date or did not come from this site (missing CSRF token). "
            "Go back, reload the page and try again.",
        )


def role(needed: Role) -> Callable[..., Coroutine[Any, Any, Viewer]]:
    async def dependency(request: Request, viewer: Annotated[Viewer, Depends(_viewer)]) -> Viewer:
        await _check_csrf(request, viewer)
        if not viewer.key.role.allows(needed):
            raise PageError(
                403, f"This page needs a key with the {needed.value} role; yours has {viewer.key.role.value}."
            )
        return viewer

    return dependency


EditorViewer = Annotated[Viewer, Depends(role(Role.editor))]
AdminViewer = Annotated[Viewer, Depends(role(Role.admin))]


async def _global_admin(viewer: AdminViewer) -> Viewer:
    if not viewer.key.all_brands:
        raise PageError(403, "This changes every brand, so it needs an admin key for all brands.")
    return viewer


GlobalAdminViewer = Annotated[Viewer, Depends(_global_admin)]


class UIRoute(APIRoute):
    """Errors become HTML pages; a missing session becomes the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = "/ui/?next=" + quote(request.url.path)
                if request.headers.get("hx-request"):
                    return Response(status_code=204, headers={"HX-Redirect": target})
                return redirect(target)
            except PageError as exc:
                return await render(request, "error.html", {"message": exc.message}, status=exc.status)
            except GatewayError as exc:
                return await render(request, "error.html", {"message": exc.message}, status=exc.status)
            except GlossaryError as exc:
                return await render(request, "error.html", {"message": str(exc)}, status=422)
            except ModelError as exc:
                return await render(request, "error.html", {"message": str(exc)}, status=422)
            except RequestValidationError as exc:
                message = problems(exc.errors(), "form")
                return await render(request, "error.html", {"message": message}, status=422)

        return page
