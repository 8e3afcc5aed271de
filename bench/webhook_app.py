"""The gateway app plus one bare endpoint, served together by `bench/webhooks.py`.

`uvicorn --app-dir bench --factory webhook_app:make` builds the real app from the TONEGATE_*
environment and adds `POST /bench/bare`: FastAPI reading the body and answering 202, behind the
same middleware on the same server, so the webhook figures have a floor to be compared with.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.app import create_app


def make() -> FastAPI:
    app = create_app()

    @app.post("/bench/bare", status_code=202, include_in_schema=False)
    async def bare(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"status": "accepted"}, status_code=202)

    return app
