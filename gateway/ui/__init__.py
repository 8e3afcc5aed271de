"""The web app for editors and admins, served under /ui/: server-rendered pages, htmx, no build step.

`install(app)` mounts the pages and the static files (vendored htmx and uPlot, our CSS and JS).
Every page carries a Content-Security-Policy that allows scripts from this origin only, so markup
that reaches a page inside a message cannot run even if it escaped the templates' autoescaping.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gateway.ui import admin_pages, auth_pages, corrections_pages, glossary_pages, review_pages, status_pages
from gateway.ui.web import HERE


def install(app: FastAPI) -> None:
    for module in (auth_pages, review_pages, glossary_pages, admin_pages, corrections_pages, status_pages):
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
