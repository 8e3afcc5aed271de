"""What both drop-in APIs share: a foreign request's parameters (JSON, form or query), the caller's
key and brand, and one translation run through the gateway's pipeline with admission, usage and stats."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from redis.asyncio import Redis
from starlette.datastructures import UploadFile

from gateway.admission import admitted
from gateway.brands import Brand
from gateway.compat.glossaries import DeepLGlossaries
from gateway.deps import texts_within_limits
from gateway.errors import BadRequest, NotFound, QuotaExceeded
from gateway.keys import ApiKey
from gateway.pipeline import TranslateJob, Translation
from gateway.services import Services

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True, slots=True)
class Params:
    """A request's parameters by name, each with every value given (a form repeats `text`; JSON
    gives one value, which may itself be a list)."""

    values: dict[str, list[Any]]
    is_json: bool = False

    def get(self, name: str) -> Any:
        found = self.values.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[Any]:
        """Every value as one flat list: repeated form fields, or a JSON list, or a lone value."""
        out: list[Any] = []
        for v in self.values.get(name, []):
            out.extend(v if isinstance(v, list) else [v])
        return out

    def string(self, name: str) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BadRequest(f"parameter '{name}' must be a string")
        return str(value)

    def flag(self, name: str) -> bool | None:
        """DeepL's booleans: JSON true/false, or "1"/"0"/"true"/"false" in a form."""
        value = self.get(name)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "on", "yes"):
            return True
        if text in ("0", "false", "off", "no", ""):
            return False
        raise BadRequest(f"parameter '{name}' must be a boolean (got {value!r})")


async def read_params(request: Request) -> Params:
    """The query string, then the body: JSON, URL-encoded or multipart form (clients send any of
    them, and some send a form body even with GET)."""
    values: dict[str, list[Any]] = {}
    for name, value in request.query_params.multi_items():
        values.setdefault(name, []).append(value)
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype == "application/json":
        raw = await request.body()
        if not raw.strip():
            return Params(values, is_json=True)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise BadRequest("the JSON body must be an object of parameters")
        for name, value in body.items():
            values[name] = [value]
        return Params(values, is_json=True)
    if ctype in _FORM_TYPES:
        form = await request.form()
        body_values: dict[str, list[Any]] = {}
        for name, value in form.multi_items():
            if not isinstance(value, UploadFile):  # file uploads are not part of these APIs
                body_values.setdefault(name, []).append(value)
        values.update(body_values)
    return Params(values)


async def key_brand(services: Services, key: ApiKey) -> Brand | None:
    """The key's default brand (its glossary and tone), or None."""
    if key.brand is None:
        return None
    brand = await services.brands.get(key.brand)
    if brand is None:
        raise NotFound(f"this key's brand {key.brand!r} no longer exists; create the key again or recreate the brand")
    return brand


# Per key and calendar month: characters sent for translation through the drop-in APIs.
_USAGE = "tonegate:compat:usage:"


class Usage:
    def __init__(self, redis: Redis, limit: int) -> None:
        self.redis = redis
        self.limit = limit

    @staticmethod
    def _month() -> str:
        return time.strftime("%Y-%m", time.gmtime())

    async def count(self, key_id: str) -> int:
        raw = await self.redis.hget(_USAGE + self._month(), key_id)
        return int(raw) if raw else 0

    async def check(self, key_id: str, chars: int) -> None:
        if self.limit and await self.count(key_id) + chars > self.limit:
            raise QuotaExceeded(
                f"this key has used its {self.limit} characters for this month (TONEGATE_CHARACTER_LIMIT)"
            )

    async def add(self, key_id: str, chars: int) -> None:
        name = _USAGE + self._month()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, key_id, chars)
            pipe.expire(name, 62 * 86400)  # long enough to read last month's figure
            await pipe.execute()


def usage(services: Services) -> Usage:
    return Usage(services.redis, services.settings.character_limit)


def quality_headers(results: list[Translation]) -> dict[str, str]:
    """What the gateway adds to a foreign answer without changing its body: each text's confidence
    and whether v1 would have flagged it for review, comma-separated in the order of the texts."""
    return {
        "X-Tonegate-Confidence": ",".join(f"{t.confidence.value:.3f}" for t in results),
        "X-Tonegate-Needs-Review": ",".join("1" if t.needs_review else "0" for t in results),
    }


def glossary_store(services: Services) -> DeepLGlossaries:
    return DeepLGlossaries(services.redis, services.brands, services.termbases)


def billed(texts: tuple[str, ...] | list[str]) -> int:
    return sum(len(t) for t in texts)


async def run_translation(services: Services, key: ApiKey, job: TranslateJob) -> list[Translation]:
    """One foreign request through the one pipeline: limits, quota, admission (429), stats, usage.

    Doubtful translations are answered all the same (these clients cannot wait for an editor);
    the dashboard counts them as flagged, as it does for /v1/translate."""
    texts_within_limits(list(job.texts), services)
    chars = billed(job.texts)
    meter = usage(services)
    await meter.check(key.id, chars)
    started = time.perf_counter()
    async with admitted(services.admission, len(job.texts)):
        results = await services.pipeline.translate(job)
    await services.stats.record_translations(results, None, time.perf_counter() - started)
    await meter.add(key.id, chars)
    return results
