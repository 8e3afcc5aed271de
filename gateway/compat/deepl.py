"""The DeepL API (v2) for apps and the official client libraries, with a configurable server URL
(the clients join paths with urljoin, so /v2/… sits at the root).

Auth is `Authorization: DeepL-Auth-Key <gateway key>`; the key's default brand brings its
glossary and tone; `formality` picks the register the gateway's tone rules enforce. Glossary
routes live in gateway/compat/deepl_glossaries.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.brands import Brand
from gateway.compat.common import (
    Params,
    billed,
    glossary_store,
    key_brand,
    quality_headers,
    read_params,
    run_translation,
    usage,
)
from gateway.compat.errors import deepl_answer, surface_route
from gateway.compat.tags import hide, restore, tag_names
from gateway.deps import get_services
from gateway.errors import BadRequest, Forbidden
from gateway.keys import ApiKey
from gateway.pipeline import TranslateJob
from gateway.services import Services
from glossary.tone import TONE_LANGUAGES
from models.errors import UnknownLanguage
from models.langcodes import english_name, normalize

router = APIRouter(route_class=surface_route(deepl_answer), include_in_schema=False)

# DeepL lists English and Portuguese targets by region; the gateway translates into the language.
_REGIONAL_TARGETS = {"en": ("EN-GB", "EN-US"), "pt": ("PT-BR", "PT-PT")}
_FORMALITY = {"more": "formal", "prefer_more": "formal", "less": "informal", "prefer_less": "informal"}
# DeepL Pro's "unlimited" in /v2/usage: the clients expect a number.
UNLIMITED = 1_000_000_000_000
# No real brand can carry this name (brand names start with a letter or digit): formality alone.
_NO_BRAND = "~deepl"


async def deepl_key(services: Services, request: Request, params: Params | None = None) -> ApiKey:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header and params is not None and params.string("auth_key"):
        token, scheme = params.string("auth_key") or "", "deepl-auth-key"  # the legacy parameter
    if not token.strip() or scheme.lower() not in ("deepl-auth-key", "bearer"):
        raise Forbidden("Authorization failure: send the header 'Authorization: DeepL-Auth-Key <gateway API key>'")
    key = await services.keys.authenticate(token.strip())
    if key is None:
        raise Forbidden("Authorization failure: unknown or revoked API key")
    return key


def language(code: object, param: str) -> str:
    if not isinstance(code, str) or not code.strip():
        raise BadRequest(f"Parameter '{param}' not specified.")
    try:
        return normalize(code.strip())
    except UnknownLanguage:
        raise BadRequest(f"Value for '{param}' not supported.") from None


def _register(brand: Brand | None, target: str, formality: str | None) -> str | None:
    base = brand.tone.get(target) if brand else None
    if formality in (None, "", "default"):
        return base
    if formality not in _FORMALITY:
        raise BadRequest("Value for 'formality' not supported (default, more, less, prefer_more, prefer_less).")
    if target not in TONE_LANGUAGES:
        if formality in ("more", "less"):
            raise BadRequest("'formality' is not supported for given 'target_lang'.")
        return base  # prefer_*: use it where the language has one
    return _FORMALITY[formality]


async def _job_brand(services: Services, key: ApiKey, params: Params, source: str | None, target: str) -> Brand | None:
    """The key's brand, with the glossary and register this request asks for."""
    brand = await key_brand(services, key)
    register = _register(brand, target, params.string("formality"))
    glossary_id = params.string("glossary_id")
    name = brand.name if brand else None
    if glossary_id:
        if source is None:
            raise BadRequest("Use of a glossary requires the source_lang parameter to be specified.")
        record = await glossary_store(services).get(glossary_id, key)
        if not record.has(source, target):
            raise BadRequest(f"No dictionary found for language pair {source}-{target} in glossary {glossary_id}.")
        name = record.brand  # DeepL applies the glossary given: it stands in for the brand's own
    if name is None and register is None:
        return None
    base = brand or Brand(name="x")
    tone = dict(base.tone)
    if register is None:
        tone.pop(target, None)
    else:
        tone[target] = register
    return base.model_copy(update={"name": name or _NO_BRAND, "tone": tone})


@router.post("/v2/translate")
async def translate(request: Request) -> JSONResponse:
    services = get_services(request)
    params = await read_params(request)
    key = await deepl_key(services, request, params)
    texts = params.all("text")
    if not texts:
        raise BadRequest("Parameter 'text' not specified.")
    if not all(isinstance(t, str) for t in texts):
        raise BadRequest("Parameter 'text' must be a list of strings.")
    target = language(params.get("target_lang"), "target_lang")
    source_param = params.get("source_lang")
    source = language(source_param, "source_lang") if source_param not in (None, "") else None
    tag_handling = params.string("tag_handling")
    if tag_handling not in (None, "", "html", "xml"):
        raise BadRequest("Value for 'tag_handling' not supported (html, xml).")
    split = params.string("split_sentences")
    if split not in (None, "0", "1", "nonewlines"):
        raise BadRequest("Value for 'split_sentences' not supported (0, 1, nonewlines).")
    params.flag("preserve_formatting")  # accepted: the gateway keeps formatting as sent either way
    show_billed = params.flag("show_billed_characters")
    ignored = tag_names(params.all("ignore_tags")) if tag_handling else []
    hidden = [hide(t, ignored) for t in texts]
    job = TranslateJob(
        texts=tuple(h for h, _ in hidden),
        target=target,
        source=source,
        brand=await _job_brand(services, key, params, source, target),
        fmt="html" if tag_handling else "text",
    )
    results = await run_translation(services, key, job)
    out = []
    for text, (_, kept), t in zip(texts, hidden, results, strict=True):
        item = {"detected_source_language": (t.source_lang or source or "").upper(), "text": restore(t.text, kept)}
        if show_billed:
            item["billed_characters"] = billed([text])
        out.append(item)
    return JSONResponse({"translations": out}, headers=quality_headers(results))


@router.api_route("/v2/languages", methods=["GET", "POST"])
async def languages(request: Request) -> JSONResponse:
    services = get_services(request)
    params = await read_params(request)
    await deepl_key(services, request, params)
    kind = params.string("type") or "source"
    if kind not in ("source", "target"):
        raise BadRequest("Value for 'type' not supported (source, target).")
    routes = services.registry.routes
    if kind == "source":
        codes = sorted({p.source for p in routes})
        return JSONResponse([{"language": c.upper(), "name": english_name(c)} for c in codes])
    out = []
    for c in sorted({p.target for p in routes}):
        for code in _REGIONAL_TARGETS.get(c, (c.upper(),)):
            out.append({"language": code, "name": english_name(c), "supports_formality": c in TONE_LANGUAGES})
    return JSONResponse(out)


@router.get("/v2/usage")
async def get_usage(request: Request) -> JSONResponse:
    services = get_services(request)
    key = await deepl_key(services, request)
    meter = usage(services)
    return JSONResponse({"character_count": await meter.count(key.id), "character_limit": meter.limit or UNLIMITED})


@router.get("/v2/glossary-language-pairs")
async def glossary_language_pairs(request: Request) -> JSONResponse:
    services = get_services(request)
    await deepl_key(services, request)
    pairs = sorted((p.source, p.target) for p in services.registry.routes)
    return JSONResponse({"supported_languages": [{"source_lang": s, "target_lang": t} for s, t in pairs]})
