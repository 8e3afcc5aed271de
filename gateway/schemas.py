"""Request and response bodies of the v1 API (the contract in docs/api.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from gateway.brands import BRAND_NAME
from gateway.contract import (
    CALLBACK_URL_PATTERN,
    NOTE_SCHEMA,
    TERM_TEXT_SCHEMA,
    LanguageCode,
    LanguagePair,
    language_map,
    non_blank,
    texts_schema,
)


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
    text: Annotated[str | list[str], WithJsonSchema(texts_schema())]
    target_lang: LanguageCode
    source_lang: LanguageCode | None = None
    brand: str | None = Field(default=None, max_length=64)
    format: Literal["text", "html", "markdown"] = "text"
    conversation_id: str | None = Field(default=None, min_length=1, max_length=200)
    locale: str | None = Field(default=None, max_length=35, description="the customer's locale, e.g. pt-BR")
    # outbound (agent -> customer) + brand + conversation_id: doubtful translations are held for review.
    direction: Literal["inbound", "outbound"] | None = None
    channel: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="chat, email, …")
    callback_url: str | None = Field(
        default=None, max_length=2000, pattern=CALLBACK_URL_PATTERN, description="POSTed the reviewed text"
    )

    _check_text = field_validator("text")(_texts)

    @field_validator("callback_url")
    @classmethod
    def _callback_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(v)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("callback_url must be an absolute http:// or https:// URL")
        return v


class SignalOut(BaseModel):
    name: str
    detail: str


class TermOut(BaseModel):
    source: str
    target: str | None
    kind: str
    applied: bool


class DetectionOut(BaseModel):
    lang: str | None = Field(description="the best guess; null only when the text has no letters")
    confidence: float
    reliable: bool = Field(description="false: too short or unclear to act on without context (see reason)")
    alternatives: list[dict[str, float | str]]
    reason: str | None = Field(default=None, description="why not reliable: no_letters, too_short or ambiguous")
    decided_by: str | None = Field(
        default=None,
        description="in a translation: who chose source_lang — detector, conversation, locale, brand, "
        "agent, guess or no_letters (docs/api.md)",
    )


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
    review_id: str | None = None


class TranslateResponse(BaseModel):
    translations: list[TranslationOut]


class DetectRequest(_Body):
    text: Annotated[str | list[str], WithJsonSchema(texts_schema())]
    candidates: list[LanguageCode] | None = Field(default=None, min_length=1, max_length=100)
    prefer: list[LanguageCode] | None = Field(default=None, max_length=100)

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


BrandList = Annotated[list[Annotated[str, Field(pattern=BRAND_NAME.pattern)]], Field(min_length=1, max_length=500)]


class KeyCreate(_Body):
    role: Literal["helpdesk", "editor", "admin"]
    label: str = Field(default="", max_length=200)
    pairs: list[LanguagePair] = Field(
        default_factory=list, max_length=200, description='review only these pairs, e.g. ["en-es"]'
    )
    brand: str | None = Field(
        default=None,
        pattern=BRAND_NAME.pattern,
        description="the brand whose glossary and tone apply where a request names none "
        "(the LibreTranslate and DeepL drop-in APIs)",
    )
    brands: BrandList | Literal["all"] | None = Field(
        default=None,
        description='the brands (tenants) the key serves, or "all" (only an all-brands admin may give it); '
        "left out: the creating key's own brands",
    )
    expires_at: float | None = Field(
        default=None, gt=0, le=1e11, allow_inf_nan=False, description="unix seconds after which the key stops working"
    )
    ttl_s: int | None = Field(
        default=None, ge=1, le=10 * 365 * 86400, description="or: expire this many seconds from now"
    )

    @field_validator("brands")
    @classmethod
    def _brands(cls, v):
        if isinstance(v, list):
            if not v:
                raise ValueError('name at least one brand, or "all"')
            return list(dict.fromkeys(v))
        return v

    @field_validator("pairs")
    @classmethod
    def _pairs(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


class KeyCreated(BaseModel):
    id: str
    key: str = Field(description="shown once; store it now")
    role: str
    label: str
    pairs: list[str] = Field(default_factory=list)
    brand: str | None = None
    brands: list[str] | None = Field(default=None, description="null: every brand")
    expires_at: float | None = None


class KeyOut(BaseModel):
    id: str
    role: str
    label: str
    created_at: float
    created_by: str
    pairs: list[str] = Field(default_factory=list)
    brand: str | None = None
    brands: list[str] | None = Field(default=None, description="null: every brand")
    expires_at: float | None = None


class BrandOut(BaseModel):
    name: str
    display_name: str
    languages: list[str]
    agent_lang: str
    review_below: float | None
    review: dict[str, dict[str, dict]] = Field(default_factory=dict)
    tone: dict[str, str]
    glossary_version: int
    glossary_entries: int


class ToneBody(_Body):
    registers: Annotated[
        dict[str, Literal["formal", "informal"]],
        WithJsonSchema(language_map({"enum": ["formal", "informal"]}, tone=True)),
    ] = Field(description='register per target language, e.g. {"es": "formal", "de": "informal"}')


# A glossary entry as the API takes it; glossary.terms.make_term checks the same rules again
# (for files too). One model per kind, so the schema states which fields each kind needs.
TermText = Annotated[str, WithJsonSchema(TERM_TEXT_SCHEMA)]
Note = Annotated[str, WithJsonSchema(NOTE_SCHEMA)]
Variant = Annotated[
    str, WithJsonSchema({**TERM_TEXT_SCHEMA, "allOf": [*TERM_TEXT_SCHEMA["allOf"], {"pattern": "^[^|]*$"}]})
]


class _TermBase(_Body):
    source: TermText
    case_sensitive: bool | None = Field(default=None, strict=True)
    note: Note = ""


class DntTermIn(_TermBase):
    """A name kept as it is in every language."""

    kind: Literal["dnt"]
    target: None = Field(default=None, description="leave out: a dnt entry is kept as it is")
    source_lang: LanguageCode | None = None
    target_lang: LanguageCode | None = None
    variants: list[str] = Field(default_factory=list, max_length=0)


class TranslatedTermIn(_TermBase):
    """A term with its required translation (and accepted inflected forms)."""

    kind: Literal["term"]
    target: TermText
    source_lang: LanguageCode = Field(description="differs from target_lang")
    target_lang: LanguageCode
    variants: list[Variant] = Field(default_factory=list, max_length=50)


class ForbiddenTermIn(_TermBase):
    """A word the brand never uses in target_lang, and its replacement (which differs from it)."""

    kind: Literal["forbidden"]
    target: TermText
    source_lang: LanguageCode | None = None
    target_lang: LanguageCode
    variants: list[str] = Field(default_factory=list, max_length=0)


TermIn = Annotated[DntTermIn | TranslatedTermIn | ForbiddenTermIn, Field(discriminator="kind")]


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


# --- Review queue and outbox ---


class ReviewItemOut(BaseModel):
    id: str
    status: str
    brand: str
    source_lang: str
    target_lang: str
    pair: str
    conversation_id: str
    channel: str | None
    direction: str
    source: str
    mt: str
    confidence: float
    band: str
    engine: str
    signals: list[dict[str, str]]
    created_at: float
    deadline_at: float
    on_deadline: str
    overdue: bool
    claimed_by: str | None
    lease_until: float | None
    final_text: str | None
    decided_by: str | None
    decided_at: float | None
    reason: str | None
    delivery_id: str | None


class HistoryEntry(BaseModel):
    at: float
    who: str
    action: str
    before: dict | None
    after: dict | None


class ReviewDetail(ReviewItemOut):
    history: list[HistoryEntry]


class ReviewPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ReviewItemOut]


class ClaimBody(_Body):
    lease_s: float = Field(default=300, ge=1, le=3600, strict=True, description="how long the claim holds")


class ApproveBody(_Body):
    text: non_blank("text", 100_000) = Field(description="the edited (or accepted) translation")


class RejectBody(_Body):
    reason: non_blank("reason", 2000)


class OutboxMessage(BaseModel):
    id: str
    review_id: str
    kind: str
    text: str
    brand: str
    conversation_id: str
    channel: str | None
    source_lang: str
    target_lang: str
    at: float


class OutboxPage(BaseModel):
    messages: list[OutboxMessage]
    next: str | None = Field(description="pass as ?after= to read on")


class QualityRequest(_Body):
    """A (source, translation) pair made anywhere, to score (POST /v1/quality)."""

    source: non_blank("source")
    translation: str
    source_lang: LanguageCode
    target_lang: LanguageCode
    brand: str | None = Field(default=None, max_length=64)


class QualityResponse(BaseModel):
    confidence: float
    band: str
    needs_review: bool
    signals: list[SignalOut]
