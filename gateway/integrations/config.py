"""An integration: one helpdesk instance the gateway listens to and posts back into.

Admins declare them through `POST /v1/integrations` or in a TOML file (`TONEGATE_INTEGRATIONS`);
file entries are the source of truth for what they name and cannot be changed through the API.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from gateway.contract import LanguageCode
from gateway.errors import problems
from gateway.integrations.base import Kind
from models.errors import UnknownLanguage
from models.langcodes import normalize

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# A secret shorter than this is guessable; helpdesks generate 20+ characters.
_MIN_SECRET = 16
_SECRET = {"type": "string", "minLength": _MIN_SECRET}
# A scheme and a host; the schema's pattern allows the whitespace that str_strip_whitespace removes.
_BASE_URL = r"^https?://[^/?#\s]"
_BASE_URL_SCHEMA = r"^\s*https?://[^/?#\s]"
_SECRETS_SCHEMA = {
    "anyOf": [_SECRET, {"type": "array", "items": _SECRET, "minItems": 1, "maxItems": 2}, {"type": "null"}]
}


def _lang(v: str) -> str:
    try:
        return normalize(v)
    except UnknownLanguage as exc:  # pydantic reports ValueErrors with the field's name
        raise ValueError(str(exc)) from None


class IntegrationFields(BaseModel):
    """Everything an admin may set; shared by create (all) and PATCH (any subset)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    base_url: str | None = Field(
        default=None,
        description="the helpdesk's address, e.g. https://chat.example.com; for generic: where to POST",
        json_schema_extra={"pattern": _BASE_URL_SCHEMA},
    )
    api_token: SecretStr | None = Field(default=None, description="token used to post notes and replies")
    webhook_secret: Annotated[list[SecretStr] | None, WithJsonSchema(_SECRETS_SCHEMA)] = Field(
        default=None, description="one secret, or two while rotating; the helpdesk signs webhooks with it"
    )
    allow_token: bool | None = Field(
        default=None,
        strict=True,
        description="also accept unsigned webhooks that carry the secret itself (X-Tonegate-Token or "
        "?token=), for sources that cannot sign; opt-in",
    )
    brand: str | None = None
    agent_lang: LanguageCode | None = None
    agent_langs: dict[str, LanguageCode] | None = Field(
        default=None, description="per agent id (as the helpdesk sends it)"
    )
    customer_lang: LanguageCode | None = Field(
        default=None, description="used when a conversation's language is unknown"
    )
    inbound: bool | None = Field(
        default=None, strict=True, description="post a translated internal note for customer messages"
    )
    outbound: bool | None = Field(
        default=None, strict=True, description="translate agent replies marked with the prefix or tag"
    )
    outbound_prefix: str | None = Field(
        default=None,
        description="an agent's private note starting with this is a reply to translate",
        json_schema_extra={"pattern": r"\S"},
    )
    outbound_tag: str | None = Field(default=None, description="or: an agent message carrying this tag")
    enabled: bool | None = Field(default=None, strict=True)

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _one_or_two(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @field_validator("webhook_secret")
    @classmethod
    def _secrets(cls, v: list[SecretStr] | None) -> list[SecretStr] | None:
        if v is None:
            return v
        if not 1 <= len(v) <= 2:
            raise ValueError("give one secret, or two while rotating (the old and the new)")
        for s in v:
            if len(s.get_secret_value()) < _MIN_SECRET:
                raise ValueError(f"each secret needs at least {_MIN_SECRET} characters")
        return v

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(_BASE_URL, v):
            raise ValueError("must start with http:// or https:// and a host name")
        return v.rstrip("/") if v else v

    @field_validator("outbound_prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be empty; an empty prefix would send every private note to customers")
        return v


def _complete_schema(schema: dict) -> None:
    """What `_complete` requires, stated in the schema: base_url, a secret, a token unless generic."""
    props = schema["properties"]
    schema["required"] = sorted({*schema.get("required", ()), "base_url", "webhook_secret"})
    props["base_url"] = {"type": "string", "pattern": _BASE_URL_SCHEMA, "description": props["base_url"]["description"]}
    secrets = props["webhook_secret"]
    secrets["anyOf"] = [s for s in secrets["anyOf"] if s != {"type": "null"}]
    secrets.pop("default", None)
    schema["if"] = {"properties": {"kind": {"const": "generic"}}}
    schema["else"] = {"required": ["api_token"], "properties": {"api_token": {"type": "string", "minLength": 1}}}
    props["source"] = {"const": "api", "description": "set by the gateway; leave it out"}


class Integration(IntegrationFields):
    # Frozen: the store hands one parsed instance to every webhook until the record changes.
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, json_schema_extra=_complete_schema
    )

    name: Annotated[str, Field(pattern=NAME_PATTERN, description="used in the webhook URL /v1/webhooks/{name}")]
    kind: Kind
    brand: str = "demo"
    agent_lang: LanguageCode | None = None  # None: the brand's agent language
    agent_langs: dict[str, LanguageCode] = Field(default_factory=dict)
    allow_token: bool = Field(default=False, strict=True)
    inbound: bool = Field(default=True, strict=True)
    outbound: bool = Field(default=True, strict=True)
    outbound_prefix: str = Field(default="/tr ", json_schema_extra={"pattern": r"\S"})
    enabled: bool = Field(default=True, strict=True)
    source: Literal["api", "file"] = "api"

    @model_validator(mode="after")
    def _complete(self) -> Integration:
        if not self.base_url:
            raise ValueError("base_url is required: where to post notes and replies")
        if self.kind != "generic" and not self.api_token:  # None, or an empty SecretStr
            raise ValueError(f"api_token is required for {self.kind}: the gateway posts notes with it")
        if not self.webhook_secret:
            raise ValueError(
                "webhook_secret is required: the secret the helpdesk signs webhooks with (or, with "
                "allow_token, the token an unsigning source sends)"
            )
        return self

    @property
    def secrets(self) -> list[str]:
        return [s.get_secret_value() for s in self.webhook_secret or []]

    def agent_language(self, agent_id: str | None, brand_default: str) -> str:
        """The agent's own language where the helpdesk says who wrote, else the integration's."""
        if agent_id and agent_id in self.agent_langs:
            return self.agent_langs[agent_id]
        return self.agent_lang or brand_default

    def stored(self) -> dict:
        """For Redis: secrets in the clear (Redis is private to the gateway), everything else as is."""
        data = self.model_dump(mode="json")
        data["api_token"] = self.api_token.get_secret_value() if self.api_token is not None else None
        data["webhook_secret"] = self.secrets or None
        return data

    def public(self) -> dict:
        """For API answers: never a secret, only whether one is set."""
        data = self.model_dump(mode="json", exclude={"api_token", "webhook_secret"})
        data["has_api_token"] = self.api_token is not None
        data["webhook_secrets"] = len(self.webhook_secret or [])
        return data

    def patched(self, patch: IntegrationFields) -> Integration:
        """A new integration with the patch's set fields applied (validated as a whole again)."""
        data = self.stored()
        data.update(patch.model_dump(mode="json", exclude_unset=True))
        if "api_token" in patch.model_fields_set:
            data["api_token"] = patch.api_token.get_secret_value() if patch.api_token is not None else None
        if "webhook_secret" in patch.model_fields_set:
            data["webhook_secret"] = [s.get_secret_value() for s in patch.webhook_secret or []] or None
        return Integration.model_validate(data)


class IntegrationsFileError(ValueError):
    pass


def load_file(path: Path) -> list[Integration]:
    """`[[integration]]` tables from a TOML file; every problem named with the entry it is in."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise IntegrationsFileError(f"{path}: {exc}") from None
    unknown = set(data) - {"integration"}
    if unknown:
        raise IntegrationsFileError(f"{path}: unknown top-level keys {sorted(unknown)}; use [[integration]] tables")
    out: list[Integration] = []
    for i, entry in enumerate(data.get("integration", []), 1):
        try:
            out.append(Integration.model_validate({**entry, "source": "file"}))
        except ValidationError as exc:
            label = entry.get("name", f"#{i}") if isinstance(entry, dict) else f"#{i}"
            raise IntegrationsFileError(f"{path}: integration {label}: {problems(exc.errors(), 'entry')}") from None
    names = [i.name for i in out]
    if len(names) != len(set(names)):
        raise IntegrationsFileError(
            f"{path}: integration names repeat: {sorted({n for n in names if names.count(n) > 1})}"
        )
    return out
