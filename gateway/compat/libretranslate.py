"""The LibreTranslate API at the root, as LibreTranslate serves it, for apps that already speak it
(Mastodon, Discourse, Weblate, Nextcloud, browser extensions).

`api_key` is a gateway API key (any role); a key's default brand brings its glossary and tone.
Shapes follow LibreTranslate's app.py: `translatedText` a string or a list as `q` was,
`detectedLanguage` (confidence in percent) when `source` is `auto`, errors `{"error": "…"}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.compat.common import Params, key_brand, quality_headers, read_params, run_translation
from gateway.compat.errors import libretranslate_answer, surface_route
from gateway.deps import get_services
from gateway.errors import BadRequest, Forbidden
from gateway.keys import ApiKey
from gateway.pipeline import TranslateJob, Translation
from gateway.services import Services
from models.langcodes import english_name

# As LibreTranslate answers: browser extensions and web pages call it from other origins. The key
# travels in the body, never in a cookie, so any origin may send one.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Max-Age": str(20 * 86400),
}
router = APIRouter(route_class=surface_route(libretranslate_answer, CORS), include_in_schema=False)


async def _key(services: Services, params: Params) -> ApiKey:
    token = params.string("api_key")
    if not token:
        # LibreTranslate's answer when a server requires keys and none was sent.
        raise BadRequest("Please contact the server operator to get an API key (send it as api_key)")
    key = await services.keys.authenticate(token.strip())
    if key is None:
        raise Forbidden("Invalid API key")
    return key


def _required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "" or value == []:
        raise BadRequest(f"Invalid request: missing {name} parameter")
    return value


def _detected(t: Translation) -> dict:
    confidence = t.detection.confidence if t.detection is not None else 1.0
    return {"confidence": round(confidence * 100, 1), "language": t.source_lang or "und"}


@router.post("/translate")
async def translate(request: Request) -> JSONResponse:
    services = get_services(request)
    params = await read_params(request)
    key = await _key(services, params)
    q = _required(params, "q")
    source = str(_required(params, "source"))
    target = str(_required(params, "target"))
    fmt = params.string("format") or "text"
    if fmt not in ("text", "html"):
        raise BadRequest(f"{fmt} format is not supported")
    batch = isinstance(q, list)
    texts = q if batch else [q]
    if not all(isinstance(t, str) for t in texts):
        raise BadRequest("Invalid request: q must be a string or a list of strings")
    if not params.is_json:
        # As LibreTranslate does for forms: Unix line endings only, so limits count alike.
        texts = ["\n".join(t.splitlines()) for t in texts]
    alternatives = params.get("alternatives")
    try:
        wanted = int(alternatives or 0)
    except (TypeError, ValueError):
        raise BadRequest("Invalid request: alternatives must be a number") from None
    job = TranslateJob(
        texts=tuple(texts),
        target=target,
        source=None if source == "auto" else source,
        brand=await key_brand(services, key),
        fmt=fmt,  # type: ignore[arg-type]
    )
    results = await run_translation(services, key, job)
    out: dict[str, Any] = {"translatedText": [t.text for t in results] if batch else results[0].text}
    if source == "auto":
        detected = [_detected(t) for t in results]
        out["detectedLanguage"] = detected if batch else detected[0]
    if wanted > 0:
        # The gateway's engines give one translation per text: no alternatives to offer.
        out["alternatives"] = [[] for _ in results] if batch else []
    return JSONResponse(out, headers=quality_headers(results))


@router.post("/detect")
async def detect(request: Request) -> JSONResponse:
    services = get_services(request)
    params = await read_params(request)
    await _key(services, params)
    q = _required(params, "q")
    if not isinstance(q, str):
        raise BadRequest("Invalid request: q must be a string")
    (detection,) = await services.pipeline.detect([q])
    if detection.lang is None:
        return JSONResponse([])
    found = [(detection.lang, detection.confidence), *detection.alternatives]
    return JSONResponse([{"confidence": round(c * 100, 1), "language": lang} for lang, c in found])


@router.get("/languages")
async def languages(request: Request) -> JSONResponse:
    services = get_services(request)
    targets: dict[str, set[str]] = {}
    for pair in services.registry.routes:
        targets.setdefault(pair.source, set()).add(pair.target)
        targets.setdefault(pair.target, set())
    return JSONResponse([{"code": c, "name": english_name(c), "targets": sorted(targets[c])} for c in sorted(targets)])


@router.get("/frontend/settings")
async def frontend_settings(request: Request) -> JSONResponse:
    services = get_services(request)
    langs = sorted(services.registry.languages())
    target = "es" if "es" in langs else (langs[0] if langs else "en")
    return JSONResponse(
        {
            "charLimit": services.settings.max_text_chars,
            "frontendTimeout": 500,
            "apiKeys": True,
            "keyRequired": True,
            "suggestions": False,
            "filesTranslation": False,
            "supportedFilesFormat": [],
            "language": {
                "source": {"code": "auto", "name": "Auto Detect"},
                "target": {"code": target, "name": english_name(target)},
            },
        }
    )


@router.options("/translate")
@router.options("/detect")
@router.options("/languages")
@router.options("/frontend/settings")
async def preflight(request: Request) -> Response:
    """A browser's CORS preflight before it posts JSON from another origin."""
    return Response(status_code=204)


@router.post("/translate_file")
async def translate_file(request: Request) -> JSONResponse:
    raise Forbidden("Files translation are disabled on this server.")


@router.post("/suggest")
async def suggest(request: Request) -> JSONResponse:
    raise Forbidden("Suggestions are disabled on this server.")
