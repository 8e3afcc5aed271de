"""DeepL's glossary endpoints, v2 (one language pair) and v3 (multilingual), over
gateway/compat/glossaries.py. Any key may create glossaries and use them; changing or deleting one
takes the key that created it or an editor's."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from gateway.compat.common import Params, glossary_store, read_params
from gateway.compat.deepl import deepl_key
from gateway.compat.errors import deepl_answer, surface_route
from gateway.compat.glossaries import DeepLGlossaries, Dictionary, GlossaryRecord, parse_entries, to_tsv
from gateway.deps import get_services
from gateway.errors import BadRequest, Forbidden, NotFound
from gateway.keys import ApiKey, Role
from gateway.services import Services
from models.errors import UnknownLanguage
from models.langcodes import normalize

router = APIRouter(route_class=surface_route(deepl_answer), include_in_schema=False)


def _time(at: float) -> str:
    # DeepL's form, with milliseconds and a Z (the clients parse exactly this).
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _v2(record: GlossaryRecord) -> dict:
    (d,) = record.dictionaries
    return {
        "glossary_id": record.id,
        "name": record.name,
        "ready": True,
        "source_lang": d.source_lang,
        "target_lang": d.target_lang,
        "creation_time": _time(record.created_at),
        "entry_count": d.entry_count,
    }


def _dictionary(d: Dictionary) -> dict:
    return {"source_lang": d.source_lang, "target_lang": d.target_lang, "entry_count": d.entry_count}


def _v3(record: GlossaryRecord) -> dict:
    return {
        "glossary_id": record.id,
        "name": record.name,
        "dictionaries": [_dictionary(d) for d in record.dictionaries],
        "creation_time": _time(record.created_at),
    }


def _who(key: ApiKey) -> str:
    return f"key:{key.id} (DeepL API)"


def _may_change(key: ApiKey, record: GlossaryRecord) -> None:
    if key.id != record.created_by and not key.role.allows(Role.editor):
        raise Forbidden("only the key that created this glossary, or an editor's, may change or delete it")


def _lang(value: Any, param: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"Parameter '{param}' not specified.")
    try:
        return normalize(value.strip())
    except UnknownLanguage:
        raise BadRequest(f"Value for '{param}' not supported.") from None


def _pair(services: Services, source_value: Any, target_value: Any) -> tuple[str, str]:
    source, target = _lang(source_value, "source_lang"), _lang(target_value, "target_lang")
    if not any(p.source == source and p.target == target for p in services.registry.routes):
        raise BadRequest(f"Unsupported glossary source and target language pair: {source}-{target}.")
    return source, target


def _entries(params: Params | dict, default_format: str = "tsv") -> list[tuple[str, str]]:
    get = params.get
    entries = get("entries")
    if not isinstance(entries, str) or not entries.strip():
        raise BadRequest("Parameter 'entries' not specified.")
    fmt = get("entries_format") or default_format
    return parse_entries(entries, str(fmt))


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("Parameter 'name' not specified.")
    if len(value) > 1024:
        raise BadRequest("Parameter 'name' is too long (at most 1024 characters).")
    return value


def _dictionaries(services: Services, raw: Any) -> list[tuple[str, str, list[tuple[str, str]]]]:
    if not isinstance(raw, list) or not raw or not all(isinstance(d, dict) for d in raw):
        raise BadRequest("Parameter 'dictionaries' must be a non-empty list of objects.")
    out = []
    for d in raw:
        source, target = _pair(services, d.get("source_lang"), d.get("target_lang"))
        if any((s, t) == (source, target) for s, t, _ in out):
            raise BadRequest(f"Duplicate dictionary for {source}-{target}.")
        out.append((source, target, _entries(d)))
    return out


# --- v2 ---------------------------------------------------------------------------------------


@router.post("/v2/glossaries")
async def create_v2(request: Request) -> JSONResponse:
    services = get_services(request)
    params = await read_params(request)
    key = await deepl_key(services, request, params)
    name = _name(params.get("name"))
    source, target = _pair(services, params.get("source_lang"), params.get("target_lang"))
    record = await glossary_store(services).create(name, [(source, target, _entries(params))], key)
    return JSONResponse(_v2(record), status_code=201)


@router.get("/v2/glossaries")
async def list_v2(request: Request) -> JSONResponse:
    services = get_services(request)
    key = await deepl_key(services, request)
    records = await glossary_store(services).list(key)
    return JSONResponse({"glossaries": [_v2(r) for r in records if len(r.dictionaries) == 1]})


async def _one_pair(services: Services, glossary_id: str, key: ApiKey) -> GlossaryRecord:
    record = await glossary_store(services).get(glossary_id, key)
    if len(record.dictionaries) != 1:
        raise BadRequest("This glossary has several dictionaries (or none): use the /v3/glossaries endpoints.")
    return record


@router.get("/v2/glossaries/{glossary_id}")
async def get_v2(glossary_id: str, request: Request) -> JSONResponse:
    services = get_services(request)
    key = await deepl_key(services, request)
    return JSONResponse(_v2(await _one_pair(services, glossary_id, key)))


@router.get("/v2/glossaries/{glossary_id}/entries")
async def entries_v2(glossary_id: str, request: Request) -> Response:
    services = get_services(request)
    key = await deepl_key(services, request)
    record = await _one_pair(services, glossary_id, key)
    (d,) = record.dictionaries
    entries = await glossary_store(services).entries(record, d.source_lang, d.target_lang)
    return PlainTextResponse(to_tsv(entries), media_type="text/tab-separated-values")


@router.delete("/v2/glossaries/{glossary_id}")
async def delete_v2(glossary_id: str, request: Request) -> Response:
    return await _delete(glossary_id, request)


async def _delete(glossary_id: str, request: Request) -> Response:
    services = get_services(request)
    key = await deepl_key(services, request)
    store = glossary_store(services)
    record = await store.get(glossary_id, key)
    _may_change(key, record)
    await store.delete(record)
    return Response(status_code=204)


# --- v3 ---------------------------------------------------------------------------------------


@router.post("/v3/glossaries")
async def create_v3(request: Request) -> JSONResponse:
    services = get_services(request)
    params = await read_params(request)
    key = await deepl_key(services, request, params)
    name = _name(params.get("name"))
    dictionaries = _dictionaries(services, params.get("dictionaries"))
    record = await glossary_store(services).create(name, dictionaries, key)
    return JSONResponse(_v3(record), status_code=201)


@router.get("/v3/glossaries")
async def list_v3(request: Request) -> JSONResponse:
    services = get_services(request)
    key = await deepl_key(services, request)
    return JSONResponse({"glossaries": [_v3(r) for r in await glossary_store(services).list(key)]})


@router.get("/v3/glossaries/{glossary_id}")
async def get_v3(glossary_id: str, request: Request) -> JSONResponse:
    services = get_services(request)
    key = await deepl_key(services, request)
    return JSONResponse(_v3(await glossary_store(services).get(glossary_id, key)))


@router.get("/v3/glossaries/{glossary_id}/entries")
async def entries_v3(glossary_id: str, request: Request) -> JSONResponse:
    services = get_services(request)
    params = await read_params(request)
    key = await deepl_key(services, request, params)
    store = glossary_store(services)
    record = await store.get(glossary_id, key)
    source, target = _lang(params.get("source_lang"), "source_lang"), _lang(params.get("target_lang"), "target_lang")
    if not record.has(source, target):
        raise BadRequest(f"No dictionary for {source}-{target} in this glossary.")
    entries = await store.entries(record, source, target)
    return JSONResponse(
        {
            "dictionaries": [
                {"source_lang": source, "target_lang": target, "entries": to_tsv(entries), "entries_format": "tsv"}
            ]
        }
    )


async def _changeable(
    glossary_id: str, request: Request
) -> tuple[Services, Params, ApiKey, DeepLGlossaries, GlossaryRecord]:
    """The request's services, parameters and key, the glossary store, and the glossary, once the
    key may change it (its creator's or an editor's)."""
    services = get_services(request)
    params = await read_params(request)
    key = await deepl_key(services, request, params)
    store = glossary_store(services)
    record = await store.get(glossary_id, key)
    _may_change(key, record)
    return services, params, key, store, record


@router.patch("/v3/glossaries/{glossary_id}")
async def patch_v3(glossary_id: str, request: Request) -> JSONResponse:
    """A new name and/or entries merged into dictionaries (created where missing)."""
    services, params, key, store, record = await _changeable(glossary_id, request)
    name, raw = params.get("name"), params.get("dictionaries")
    if name is None and raw is None:
        raise BadRequest("Send a new 'name', 'dictionaries', or both.")
    if name is not None:
        record = await store.rename(record, _name(name))
    if raw is not None:
        for source, target, entries in _dictionaries(services, raw):
            record = await store.put_dictionary(record, source, target, entries, merge=True, who=_who(key))
    return JSONResponse(_v3(record))


@router.put("/v3/glossaries/{glossary_id}/dictionaries")
async def put_dictionary_v3(glossary_id: str, request: Request) -> JSONResponse:
    services, params, key, store, record = await _changeable(glossary_id, request)
    source, target = _pair(services, params.get("source_lang"), params.get("target_lang"))
    record = await store.put_dictionary(record, source, target, _entries(params), merge=False, who=_who(key))
    (d,) = [d for d in record.dictionaries if (d.source_lang, d.target_lang) == (source, target)]
    return JSONResponse(_dictionary(d))


@router.delete("/v3/glossaries/{glossary_id}/dictionaries")
async def delete_dictionary_v3(glossary_id: str, request: Request) -> Response:
    _services, params, key, store, record = await _changeable(glossary_id, request)
    source, target = _lang(params.get("source_lang"), "source_lang"), _lang(params.get("target_lang"), "target_lang")
    await store.delete_dictionary(record, source, target, _who(key))
    return Response(status_code=204)


@router.delete("/v3/glossaries/{glossary_id}")
async def delete_v3(glossary_id: str, request: Request) -> Response:
    return await _delete(glossary_id, request)


# Registered last: every other DeepL path (documents, Write, style rules, …) is a DeepL-shaped 404.
@router.api_route("/v2/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@router.api_route("/v3/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def not_offered(rest: str, request: Request) -> Response:
    raise NotFound(f"{request.url.path} is not offered by this server (Tonegate answers DeepL's text translation)")
