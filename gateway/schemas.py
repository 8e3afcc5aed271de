"""Request and response bodies of the v1 API (the contract in docs/api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Body(BaseModel):
    # Unknown fields are refused so a typo ("target_language") is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")


def _texts(v: str | list[str]) -> str | list[str]:
    items = [v] if isinstance(v, str) else v
    if not items:
        raise ValueError("give at least one text")
    for i, t in enumerate(items):
        if not t.strip():
            raise ValueError("text is empty" if isinstance(v, str) else f"text[{i}] is empty")
    return v


class TranslateRequest(_Body):
    text: str | list[str]
    target_lang: str = Field(min_length=2, max_length=16)
    source_lang: str | None = Field(default=None, max_length=16)
    brand: str | None = Field(default=None, max_length=64)
    format: Literal["text", "html", "markdown"] = "text"
    conversation_id: str | None = Field(default=None, min_length=1, max_length=200)
    locale: str | None = Field(default=None, max_length=35, description="the customer's locale, e.g. pt-BR")

    _check_text = field_validator("text")(_texts)


class SignalOut(BaseModel):
    name: str
    detail: str


class TermOut(BaseModel):
    source: str
    target: str | None
    kind: str
    applied: bool


class DetectionOut(BaseModel):
    lang: str | None
    confidence: float
    alternatives: list[dict[str, float | str]]
    reason: str | None = None


class TranslationOut(BaseModel):
    text: str
    source_lang: str | None
    target_lang: str
    engine: str
    confidence: float
    band: str
    needs_review: bool
    signals: list[SignalOut]
    terms: list[TermOut]
    detected: DetectionOut | None = None


class TranslateResponse(BaseModel):
    translations: list[TranslationOut]


class DetectRequest(_Body):
    text: str | list[str]
    candidates: list[str] | None = Field(default=None, max_length=100)

    _check_text = field_validator("text")(_texts)

    @field_validator("candidates")
    @classmethod
    def _candidates(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("give at least one candidate language, or leave candidates out")
        return v


class DetectResponse(BaseModel):
    detections: list[DetectionOut]


class PairOut(BaseModel):
    source: str
    target: str
    engine: str
    pivots: list[str]


class LanguagesResponse(BaseModel):
    pairs: list[PairOut]
    languages: list[dict[str, str]]
    detectable: list[str]


class KeyCreate(_Body):
    role: Literal["helpdesk", "editor", "admin"]
    label: str = Field(default="", max_length=200)


class KeyCreated(BaseModel):
    id: str
    key: str = Field(description="shown once; store it now")
    role: str
    label: str


class KeyOut(BaseModel):
    id: str
    role: str
    label: str
    created_at: float
    created_by: str


class BrandOut(BaseModel):
    name: str
    display_name: str
    languages: list[str]
    agent_lang: str
    review_below: float | None
    tone: dict[str, str]
    glossary_version: int
    glossary_entries: int


class ToneBody(_Body):
    registers: dict[str, Literal["formal", "informal"]] = Field(
        description='register per target language, e.g. {"es": "formal", "de": "informal"}'
    )


class TermIn(_Body):
    kind: Literal["dnt", "term", "forbidden"]
    source: str
    target: str | None = None
    source_lang: str | None = None
    target_lang: str | None = None
    case_sensitive: bool | None = None
    variants: list[str] = Field(default_factory=list, max_length=50)
    note: str = ""


class TermOutFull(BaseModel):
    id: str
    kind: str
    source: str
    target: str | None
    source_lang: str | None
    target_lang: str | None
    case_sensitive: bool
    variants: list[str]
    note: str


class TermChanged(BaseModel):
    term: TermOutFull | None
    version: int


class GlossaryPage(BaseModel):
    brand: str
    version: int
    total: int
    offset: int
    limit: int
    terms: list[TermOutFull]


class ImportResult(BaseModel):
    version: int
    mode: str
    imported: int
    added: int
    updated: int
    removed: int


class VersionsPage(BaseModel):
    total: int
    versions: list[dict]
