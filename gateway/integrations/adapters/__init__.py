"""One adapter per helpdesk: a webhook parser and a client that posts back.

    parser_for("chatwoot")(payload, headers) -> HelpdeskMessage | Ignored   (raises WebhookRejected 422)
    client_for("zendesk", base_url, api_token, http) -> HelpdeskClient      (raises DeliveryFailed)

Parsers take the body already decoded from JSON (the intake decodes it, after verifying the
signature on the raw bytes) and the request headers (for delivery ids).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.integrations.adapters import chatwoot, generic, zammad, zendesk
from gateway.integrations.adapters._http import DEFAULT_TIMEOUT_S
from gateway.integrations.base import HelpdeskClient, HelpdeskMessage, Ignored

Parser = Callable[[Mapping[str, Any], Mapping[str, str]], HelpdeskMessage | Ignored]


@dataclass(frozen=True, slots=True)
class Adapter:
    kind: str
    parse: Parser
    client: Callable[..., HelpdeskClient]  # (base_url, api_token, *, timeout_s, http)


ADAPTERS: dict[str, Adapter] = {
    "chatwoot": Adapter("chatwoot", chatwoot.parse, chatwoot.ChatwootClient),
    "zammad": Adapter("zammad", zammad.parse, zammad.ZammadClient),
    "zendesk": Adapter("zendesk", zendesk.parse, zendesk.ZendeskClient),
    "generic": Adapter("generic", generic.parse, generic.GenericClient),
}


def adapter_for(kind: str) -> Adapter:
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise ValueError(f"unknown helpdesk kind {kind!r}; expected one of {sorted(ADAPTERS)}") from None


def parser_for(kind: str) -> Parser:
    return adapter_for(kind).parse


def client_for(
    kind: str,
    base_url: str,
    token: str,
    http: httpx.AsyncClient | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **options: Any,
) -> HelpdeskClient:
    """A client for one integration. Pass a shared `http` client to pool connections; the
    helpdesk client then never closes it. `options` go to the client class as they are
    (ZammadClient's `reply_type`)."""
    return adapter_for(kind).client(base_url, token, timeout_s=timeout_s, http=http, **options)
