"""The published API contract: the value types whose JSON schema says exactly what validation
accepts, and the OpenAPI document's finishing (error answers, auth, links, non-JSON bodies).

tests/gateway/test_api_contract.py fuzzes a live gateway from this document with schemathesis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from models.langcodes import is_base, normalize, spellings

# --- language codes ---------------------------------------------------------------------------


def _any_case(code: str) -> str:
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in code)


def language_pattern(allowed: frozenset[str] | None = None, *, region: bool = True) -> str:
    """A regular expression (JSON Schema dialect, anchored) for the codes that normalize into
    `allowed` (None: every language the gateway knows), in any case; ISO 639-1 and 639-3 codes
    optionally with up to two region or script subtags ("pt-BR", "spa_Latn"), as `normalize` takes them."""

    def alternatives(codes: dict[str, str]) -> str:
        chosen = sorted((s for s, c in codes.items() if allowed is None or c in allowed), key=lambda s: (-len(s), s))
        return "|".join(_any_case(c) for c in chosen)

    every = spellings()
    bases = alternatives({s: c for s, c in every.items() if is_base(s)})
    aliases = alternatives({s: c for s, c in every.items() if not is_base(s)})
    tail = r"(?:[-_][A-Za-z0-9]{1,8}){0,2}" if region else ""
    return f"^(?:(?:{bases}){tail}" + (f"|{aliases}" if aliases else "") + ")$"


def _language_check(pattern: str, what: str) -> Callable[[str], str]:
    rx = re.compile(pattern)

    def check(v: str) -> str:
        if not rx.match(v):
            # Its own error type, so the API answers `unknown_language` as for an engine's codes.
            raise PydanticCustomError(
                "unknown_language",
                "unknown {what} {code}; use an ISO 639-1 code such as 'es', 'de' or 'pt'",
                {"what": what, "code": repr(v)},
            )
        return normalize(v)

    return check


def language_type(allowed: frozenset[str] | None = None, *, region: bool = True, what: str = "language code"):
    """A str field holding a language code: validated against the same pattern the schema
    publishes, then normalized to the gateway's code ("ES" → "es", "pt-BR" → "pt")."""
    pattern = language_pattern(allowed, region=region)
    schema = {
        "type": "string",
        "pattern": pattern,
        "description": f"{what}: ISO 639-1 ('es'), 639-3 ('spa') or a locale ('pt-BR')",
    }
    return Annotated[str, AfterValidator(_language_check(pattern, what)), WithJsonSchema(schema)]


LanguageCode = language_type()
PAIR_PATTERN = "^" + language_pattern(region=False)[1:-1] + "-" + language_pattern(region=False)[1:-1] + "$"


def _pair_check(v: str) -> str:
    if not re.match(PAIR_PATTERN, v):
        raise ValueError(f"language pair {v!r} must look like 'en-es' (two language codes the gateway knows)")
    source, _, target = v.partition("-")
    return f"{normalize(source)}-{normalize(target)}"


LanguagePair = Annotated[
    str,
    AfterValidator(_pair_check),
    WithJsonSchema({"type": "string", "pattern": PAIR_PATTERN, "description": "source-target, e.g. en-es"}),
]

# --- text ---------------------------------------------------------------------------------------

# JSON Schema patterns are searched, not anchored: "\S" = "has a character that is not whitespace",
# the same test as Python's str.strip() (both use Unicode whitespace).
NOT_BLANK = r"\S"


def non_blank(name: str = "text", max_length: int | None = None):
    """A str that must hold more than whitespace (and at most max_length characters)."""

    def check(v: str) -> str:
        if not v.strip():
            raise ValueError(f"{name} is empty")
        if max_length is not None and len(v) > max_length:
            raise ValueError(f"{name} is longer than {max_length} characters")
        return v

    schema: dict[str, Any] = {"type": "string", "pattern": NOT_BLANK}
    if max_length is not None:
        schema["maxLength"] = max_length
    return Annotated[str, AfterValidator(check), WithJsonSchema(schema)]


def texts_schema(name: str = "text") -> dict:
    """One text or a non-empty list of them, none blank (the limits come from the settings,
    filled in by finish_openapi)."""
    one = {"type": "string", "pattern": NOT_BLANK}
    return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}], "title": name.capitalize()}


def language_map(value_schema: dict, *, tone: bool = False) -> dict:
    """The schema of a {language code: value} object (keys checked as LanguageCode; `tone`:
    only the languages that have tone rules)."""
    allowed = None
    if tone:
        from glossary.tone import TONE_LANGUAGES

        allowed = frozenset(TONE_LANGUAGES)
    return {
        "type": "object",
        "propertyNames": {"pattern": language_pattern(allowed)},
        "additionalProperties": value_schema,
    }


# urlsplit's test (an http or https scheme and a host part), as a pattern.
CALLBACK_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^/?#\[\]@\s]+(?:[/?#]\S*)?$"

# Glossary entries (glossary/terms.py make_term): one line, no control characters, not blank.
_ONE_LINE = r"^[^\x00-\x08\x0a-\x1f]*$"
TERM_TEXT_SCHEMA = {"type": "string", "maxLength": 200, "allOf": [{"pattern": _ONE_LINE}, {"pattern": NOT_BLANK}]}
NOTE_SCHEMA = {"type": "string", "maxLength": 2000, "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"}


# --- bodies that are files ----------------------------------------------------------------------


def file_body(*media_types: str) -> dict:
    """`openapi_extra` of a route that reads its body itself: a non-blank file of these types."""
    schema = {"type": "string", "pattern": NOT_BLANK}
    return {"requestBody": {"required": True, "content": {t: {"schema": schema} for t in media_types}}}


def file_response(*media_types: str) -> dict:
    """`responses` of a route that answers a file of one of these types."""
    return {200: {"description": "the file", "content": {t: {"schema": {"type": "string"}} for t in media_types}}}


# Redis stream ids ("1764000000000-0"): at most 19 digits a part, so always inside 64 bits.
STREAM_ID = r"^[0-9]{1,19}-[0-9]{1,19}$"
STREAM_CURSOR = r"^[0-9]{1,19}(?:-[0-9]{1,19})?$"


# --- the OpenAPI document -----------------------------------------------------------------------

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {"type": "string", "description": "machine-readable, e.g. invalid_input, same_language"},
                "message": {"type": "string", "description": "what is wrong and how to fix it, in words"},
            },
        }
    },
}
_ERRORS = {
    400: "the body is not valid JSON, or was cut off",
    401: "no API key, or an unknown or revoked one (webhooks: a bad signature)",
    403: "the key's role or language pairs do not allow this",
    404: "no such brand, item or integration (or one of a brand the key does not serve)",
    409: "conflicts with the resource's current state (a duplicate, an item claimed by someone else, …)",
    413: "the body, or one text, is over the limit",
    415: "the body's Content-Type is not one this operation reads",
    422: "the input is invalid; for a schema-valid request only the rules a schema cannot state: "
    "same_language (two languages that must differ), same_text (a forbidden word and its replacement), "
    "unsupported_pair (no engine serves the pair), import_failed (a file's rows), "
    "invalid_correction (an engine correction's pattern does not compile), "
    "invalid_expiry (a key's expiry in the past, or both expires_at and ttl_s)",
    429: "overloaded: retry after the Retry-After header's seconds",
    503: "starting, or Redis is unreachable: retry shortly",
}
# Which operations can answer 409 and 429 (every other status follows from the operation's shape).
_CONFLICTS = ("/v1/brands/{brand}/glossary", "/v1/integrations", "/v1/review/")
_OVERLOADS = (
    ("post", "/v1/translate"),
    ("post", "/v1/quality"),
    ("post", "/v1/brands/{brand}/memory/prepare"),
    ("post", "/v1/webhooks/{name}"),
)

# Operations whose body may name a brand, answered 404 when there is no such brand.
_BRAND_IN_BODY = (
    ("post", "/v1/translate"),
    ("post", "/v1/quality"),
    ("post", "/v1/integrations"),
    ("patch", "/v1/integrations/{name}"),
    ("post", "/v1/keys"),  # a key's default brand (the drop-in APIs) and its brands
    ("get", "/v1/audit"),  # ?brand=: 404 for a brand missing or not the key's
)

# OpenAPI links, so a stateful fuzzer (and a reader) can follow what an answer creates to the
# operations that use it: (method, path, status) -> [(method, path, {parameter: runtime expression})].
_BRAND = {"brand": "$request.path.brand"}
LINKS: dict[tuple[str, str, str], list[tuple[str, str, dict[str, str]]]] = {
    ("put", "/v1/brands/{brand}", "200"): [
        ("get", "/v1/brands/{brand}", _BRAND),
        ("put", "/v1/brands/{brand}/tone", _BRAND),
        ("get", "/v1/brands/{brand}/tone", _BRAND),
        ("post", "/v1/brands/{brand}/glossary", _BRAND),
        ("get", "/v1/brands/{brand}/glossary", _BRAND),
        ("post", "/v1/brands/{brand}/glossary/import", _BRAND),
        ("get", "/v1/brands/{brand}/glossary/export", _BRAND),
        ("get", "/v1/brands/{brand}/glossary/versions", _BRAND),
        ("post", "/v1/brands/{brand}/memory", _BRAND),
        ("get", "/v1/brands/{brand}/memory", _BRAND),
        ("get", "/v1/brands/{brand}/memory/suggest", _BRAND),
        ("post", "/v1/brands/{brand}/memory/prepare", _BRAND),
        ("post", "/v1/brands/{brand}/memory/approve", _BRAND),
        ("delete", "/v1/brands/{brand}", _BRAND),
    ],
    ("post", "/v1/brands/{brand}/glossary", "201"): [
        ("get", "/v1/brands/{brand}/glossary/terms/{term_id}", {**_BRAND, "term_id": "$response.body#/term/id"}),
        ("put", "/v1/brands/{brand}/glossary/terms/{term_id}", {**_BRAND, "term_id": "$response.body#/term/id"}),
        ("delete", "/v1/brands/{brand}/glossary/terms/{term_id}", {**_BRAND, "term_id": "$response.body#/term/id"}),
        (
            "post",
            "/v1/brands/{brand}/glossary/versions/{version}/restore",
            {**_BRAND, "version": "$response.body#/version"},
        ),
    ],
    ("get", "/v1/brands/{brand}/glossary", "200"): [
        ("get", "/v1/brands/{brand}/glossary/terms/{term_id}", {**_BRAND, "term_id": "$response.body#/terms/0/id"}),
    ],
    ("post", "/v1/brands/{brand}/memory", "201"): [
        (
            "delete",
            "/v1/brands/{brand}/memory/{pair}/{entry_id}",
            {**_BRAND, "pair": "$response.body#/pair", "entry_id": "$response.body#/id"},
        ),
    ],
    ("post", "/v1/keys", "201"): [("delete", "/v1/keys/{key_id}", {"key_id": "$response.body#/id"})],
    ("post", "/v1/integrations", "201"): [
        ("get", "/v1/integrations/{name}", {"name": "$response.body#/name"}),
        ("patch", "/v1/integrations/{name}", {"name": "$response.body#/name"}),
        ("post", "/v1/webhooks/{name}", {"name": "$response.body#/name"}),
        ("delete", "/v1/integrations/{name}", {"name": "$response.body#/name"}),
    ],
    ("post", "/v1/translate", "200"): [
        ("get", "/v1/review/{item_id}", {"item_id": "$response.body#/translations/0/review_id"}),
        ("post", "/v1/review/{item_id}/claim", {"item_id": "$response.body#/translations/0/review_id"}),
    ],
    ("get", "/v1/review", "200"): [
        ("get", "/v1/review/{item_id}", {"item_id": "$response.body#/items/0/id"}),
        ("post", "/v1/review/{item_id}/claim", {"item_id": "$response.body#/items/0/id"}),
        ("post", "/v1/review/{item_id}/release", {"item_id": "$response.body#/items/0/id"}),
        ("post", "/v1/review/{item_id}/approve", {"item_id": "$response.body#/items/0/id"}),
        ("post", "/v1/review/{item_id}/reject", {"item_id": "$response.body#/items/0/id"}),
    ],
    ("post", "/v1/review/{item_id}/claim", "200"): [
        ("post", "/v1/review/{item_id}/approve", {"item_id": "$request.path.item_id"}),
        ("post", "/v1/review/{item_id}/reject", {"item_id": "$request.path.item_id"}),
        ("post", "/v1/review/{item_id}/release", {"item_id": "$request.path.item_id"}),
    ],
    ("get", "/v1/deadletters", "200"): [
        ("post", "/v1/deadletters/{entry_id}/redrive", {"entry_id": "$response.body#/items/0/id"}),
        ("delete", "/v1/deadletters/{entry_id}", {"entry_id": "$response.body#/items/0/id"}),
    ],
}


def install_openapi(app: Any, *, max_texts: int, max_text_chars: int) -> None:
    """Serve the finished document at /openapi.json (built once, on first request)."""
    build = app.openapi  # FastAPI's own, which caches its result in app.openapi_schema

    def openapi() -> dict:
        if app.openapi_schema is None:
            finish_openapi(build(), max_texts=max_texts, max_text_chars=max_text_chars)
        return app.openapi_schema

    app.openapi = openapi


def finish_openapi(schema: dict, *, max_texts: int, max_text_chars: int) -> dict:
    """Complete FastAPI's document: every error an operation can answer (in the gateway's error
    body), the bearer key, the text limits of these settings, and the links between operations."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "description": "an API key"}}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    op_ids = {
        (method, path): op["operationId"]
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if "operationId" in op
    }
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if not path.startswith("/v1/"):
                continue
            codes = {422, 503}
            if not path.startswith("/v1/webhooks/"):
                op["security"] = [{"bearer": []}]
                codes |= {401, 403}
            else:
                codes |= {401}
            if "{" in path or (method, path) in _BRAND_IN_BODY:
                codes.add(404)
            if "requestBody" in op:
                codes |= {400, 413, 415}
            if method != "get" and path.startswith(_CONFLICTS):
                codes.add(409)
            if (method, path) in _OVERLOADS:
                codes.add(429)
            if path in ("/v1/translate", "/v1/detect", "/v1/quality"):
                codes.add(413)
            responses = op.setdefault("responses", {})
            for code in sorted(codes):
                responses[str(code)] = {"description": _ERRORS[code], "content": error}
    links = dict(LINKS)
    links[("put", "/v1/brands/{brand}", "201")] = LINKS[("put", "/v1/brands/{brand}", "200")]  # created
    for (method, path, status), targets in links.items():
        response = schema["paths"][path][method]["responses"][status]
        response["links"] = {
            op_ids[(m, p)]: {"operationId": op_ids[(m, p)], "parameters": params} for m, p, params in targets
        }
    # The text limits are settings (TONEGATE_MAX_TEXTS, TONEGATE_MAX_TEXT_CHARS): over them, 413 or 422.
    # FastAPI's {"detail": [...]} body is no answer of v1; keep it only where another surface uses it.
    if "#/components/schemas/HTTPValidationError" not in json.dumps(schema["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    for name in ("TranslateRequest", "DetectRequest"):
        for branch in schemas[name]["properties"]["text"]["anyOf"]:
            one = branch.get("items", branch)
            one["maxLength"] = max_text_chars
            if branch.get("type") == "array":
                branch["maxItems"] = max_texts
    for field in ("source", "translation"):
        schemas["QualityRequest"]["properties"][field]["maxLength"] = max_text_chars
    return schema
