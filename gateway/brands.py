"""Brands as plain settings stored in Redis (JSON). Glossaries and tone build on this."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from redis.asyncio import Redis

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

    below: float | None = Field(default=None, ge=0.0, le=1.0, description="review when confidence < below")
    deadline_s: int = Field(default=DEFAULT_DEADLINE_S, ge=1, le=30 * 86400)
    # hold: the customer gets nothing until an editor decides; send_mt: the machine translation
    # goes out when the deadline passes (chat cannot keep a customer waiting for hours).
    on_deadline: Literal["hold", "send_mt"] = "hold"


Direction = Literal["inbound", "outbound"]


class Brand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    display_name: str = ""
    # Languages the brand serves: detection weighs them up without ruling the others out.
    languages: list[str] = Field(default_factory=list)
    agent_lang: str = "en"
    review_below: float | None = Field(default=None, ge=0.0, le=1.0)
    # Register per target language ("es": "formal"): translations are checked and fixed to it.
    tone: dict[str, Literal["formal", "informal"]] = Field(default_factory=dict)
    # Per direction, per channel ("chat", "email", or "default" for the rest) review rules;
    # review_below stays the brand-wide threshold when no rule names one.
    review: dict[Direction, dict[str, ReviewRule]] = Field(default_factory=dict)

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
        try:
            return list(dict.fromkeys(normalize(code) for code in v))
        except UnknownLanguage as exc:
            raise ValueError(str(exc)) from None

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

    @field_validator("agent_lang")
    @classmethod
    def _agent_lang(cls, v: str) -> str:
        try:
            return normalize(v)
        except UnknownLanguage as exc:
            raise ValueError(str(exc)) from None


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
