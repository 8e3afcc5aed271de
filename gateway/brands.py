"""Brands as plain settings stored in Redis (JSON). Glossaries and tone build on this."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from redis.asyncio import Redis

from gateway.contract import LanguageCode, language_map
from glossary.tone import TONE_LANGUAGES
from models.errors import UnknownLanguage
from models.langcodes import normalize

_KEY = "tonegate:brand:"
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Applies when a brand sets no rule for a direction and channel: wait an hour for an editor.
DEFAULT_DEADLINE_S = 3600
BRAND_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ReviewRule(BaseModel):
    """When a translation in one direction and channel goes to an editor, and what its deadline does."""

    model_config = ConfigDict(extra="forbid")

    below: float | None = Field(default=None, ge=0.0, le=1.0, strict=True, description="review when confidence < below")
    deadline_s: int = Field(default=DEFAULT_DEADLINE_S, ge=1, le=30 * 86400)
    # hold: the customer gets nothing until an editor decides; send_mt: the machine translation
    # goes out when the deadline passes (chat cannot keep a customer waiting for hours).
    on_deadline: Literal["hold", "send_mt"] = "hold"


Direction = Literal["inbound", "outbound"]


def _review_schema(schema: dict) -> None:
    """Channel names as the `_review` validator checks them."""
    review = schema["properties"]["review"]
    review["additionalProperties"]["propertyNames"] = {"pattern": CHANNEL_NAME.pattern}


def settings_schema() -> dict:
    """The body of PUT /v1/brands/{brand}: a brand's settings, its name coming from the path."""
    schema = Brand.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: object) -> object:  # the OpenAPI document has no place for pydantic's $defs
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    schema = inline(schema)
    schema["properties"].pop("name")
    schema["required"] = [r for r in schema.get("required", []) if r != "name"]
    schema["title"] = "BrandSettings"
    return schema


class Brand(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_review_schema)

    name: str = Field(json_schema_extra={"pattern": BRAND_NAME.pattern})
    display_name: str = ""
    # Languages the brand serves: detection weighs them up without ruling the others out.
    languages: list[LanguageCode] = Field(default_factory=list)
    agent_lang: LanguageCode = "en"
    review_below: float | None = Field(default=None, ge=0.0, le=1.0, strict=True)
    # Register per target language ("es": "formal"): translations are checked and fixed to it.
    tone: Annotated[
        dict[str, Literal["formal", "informal"]],
        WithJsonSchema(language_map({"enum": ["formal", "informal"]}, tone=True)),
    ] = Field(default_factory=dict)
    # Per direction, per channel ("chat", "email", or "default" for the rest) review rules;
    # review_below stays the brand-wide threshold when no rule names one.
    review: dict[Direction, dict[str, ReviewRule]] = Field(default_factory=dict)
    # Ask the operator's LLM reviewer (TONEGATE_REVIEWER) to judge every translation as well.
    llm_review: bool = Field(default=False, strict=True)

    def review_rule(self, direction: str | None, channel: str | None) -> ReviewRule:
        rules = self.review.get(direction, {}) if direction in ("inbound", "outbound") else {}
        rule = rules.get(channel or "default") or rules.get("default")
        if rule is None:
            return ReviewRule(below=self.review_below)
        if rule.below is None and self.review_below is not None:
            return rule.model_copy(update={"below": self.review_below})
        return rule

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not BRAND_NAME.match(v):
            raise ValueError("brand names use a-z, 0-9, '-' and '_' (at most 64 characters)")
        return v

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))

    @field_validator("review")
    @classmethod
    def _review(cls, v: dict[str, dict[str, ReviewRule]]) -> dict[str, dict[str, ReviewRule]]:
        for direction, channels in v.items():
            for channel in channels:
                if not CHANNEL_NAME.match(channel):
                    raise ValueError(
                        f"review.{direction}: channel {channel!r} must use a-z, 0-9, '-' and '_' "
                        "(e.g. 'chat', 'email', or 'default' for every other channel)"
                    )
        return v

    @field_validator("tone")
    @classmethod
    def _tone(cls, v: dict[str, str]) -> dict[str, str]:
        out = {}
        for code, register in v.items():
            try:
                lang = normalize(code)
            except UnknownLanguage as exc:
                raise ValueError(str(exc)) from None
            if lang not in TONE_LANGUAGES:
                raise ValueError(f"no tone rules for {lang!r}; tone languages: {', '.join(TONE_LANGUAGES)}")
            out[lang] = register
        return out


DEMO_BRAND = Brand(
    name="demo",
    display_name="Demo Outfitters",
    languages=["en", "es", "fr", "pt", "it", "ca", "de"],
    agent_lang="en",
    tone={"es": "formal", "fr": "formal", "de": "formal"},
)


class BrandStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, name: str) -> Brand | None:
        raw = await self.redis.get(_KEY + name)
        return Brand.model_validate_json(raw) if raw else None

    async def put(self, brand: Brand) -> None:
        await self.redis.set(_KEY + brand.name, brand.model_dump_json())

    async def add_if_missing(self, brand: Brand) -> bool:
        return bool(await self.redis.set(_KEY + brand.name, brand.model_dump_json(), nx=True))

    async def delete(self, name: str) -> bool:
        return bool(await self.redis.delete(_KEY + name))

    async def names(self) -> list[str]:
        return sorted([k.decode().removeprefix(_KEY) async for k in self.redis.scan_iter(match=_KEY + "*")])
