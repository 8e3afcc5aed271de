"""Sign in with an API key, sign out."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from gateway.deps import ServicesDep
from gateway.keys import Role
from gateway.ui.sessions import SESSION_COOKIE, SIGNIN_CSRF_COOKIE
from gateway.ui.web import UIRoute, Viewer, redirect, render, role, sessions, set_session_cookie

router = APIRouter(route_class=UIRoute)


def _safe_next(target: str) -> str:
    """Only a path inside the app: never another site (open redirect)."""
    if target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/review"


async def _signin_page(request: Request, next_: str, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = await render(
        request, "signin.html", {"signin_csrf": token, "next": _safe_next(next_), "error": error}, status=status
    )
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/ui/", include_in_schema=False)
@router.get("/ui", include_in_schema=False)
async def signin_page(request: Request, services: ServicesDep, next: str = "/ui/review") -> Response:
    if await sessions(services).load(request.cookies.get(SESSION_COOKIE, "")):
        return redirect(_safe_next(next))
    return await _signin_page(request, next)


@router.post("/ui/signin", include_in_schema=False)
async def signin(
    request: Request,
    services: ServicesDep,
    key: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/ui/review",
) -> Response:
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        return await _signin_page(request, next, "The sign-in form expired. Please try again.", status=403)
    found = await services.keys.authenticate(key.strip()) if key.strip() else None
    if found is None:
        return await _signin_page(request, next, "That API key is unknown or has been revoked.", status=401)
    if not found.role.allows(Role.editor):
        message = f"A {found.role.value} key cannot use the web app; ask an admin for an editor key."
        return await _signin_page(request, next, message, status=403)
    session = await sessions(services).create(found)
    response = redirect(_safe_next(next))
    set_session_cookie(request, response, session.id)
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/ui")
    return response


@router.post("/ui/signout", include_in_schema=False)
async def signout(services: ServicesDep, viewer: Annotated[Viewer, Depends(role(Role.helpdesk))]) -> Response:
    await sessions(services).end(viewer.session.id)
    response = redirect("/ui/")
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response
