"""Webhook authentication, exactly as each helpdesk signs, on the raw body bytes.

Receivers call `verify()`; senders (the tests, the bench, and anyone wiring a "generic" source)
call `sign()` for the headers to send.

- chatwoot: `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, f"{ts}.{body}")>`,
  `X-Chatwoot-Timestamp: <unix seconds>`.
- zammad: `X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, body)>`; Zammad signs no timestamp.
- zendesk: `X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256(secret, ts + body)>` (no separator),
  `X-Zendesk-Webhook-Signature-Timestamp: <ISO 8601, e.g. 2021-03-25T05:09:27Z>`.
- generic (ours, for any source that can sign): `X-Tonegate-Signature: sha256=<hex
  HMAC-SHA256(secret, f"{ts}.{body}")>`, `X-Tonegate-Timestamp: <unix seconds>`.

Timestamps must be within ±300 s of our clock: a captured request cannot be replayed later.
Each integration may hold two secrets at once, so a secret can be rotated without dropping
webhooks: configure the new one next to the old, switch the helpdesk over, remove the old.

Sources that cannot sign (Chatwoot before v4.11.2, scripts) may instead send one of the
integration's secrets as a shared token, in `X-Tonegate-Token` or `?token=`, but only where the
integration opts in with `allow_token: true`: a token in a URL ends up in proxy logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.integrations.base import WebhookRejected

WINDOW_S = 300
TOKEN_HEADER = "X-Tonegate-Token"


@dataclass(frozen=True, slots=True)
class _Scheme:
    helpdesk: str  # the name a person recognises in an error message
    signature_header: str
    timestamp_header: str | None
    # (secret, timestamp header value, body) -> the signature header value the sender puts there
    compute: Callable[[bytes, str, bytes], str]
    timestamp_format: Callable[[float], str] | None = None


def _hex_sha256_dotted(secret: bytes, ts: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()


def _hex_sha1(secret: bytes, _ts: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()


def _b64_sha256_concat(secret: bytes, ts: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret, ts.encode() + body, hashlib.sha256).digest()).decode()


def _unix(now: float) -> str:
    return str(int(now))


def _iso(now: float) -> str:
    return datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


SCHEMES: dict[str, _Scheme] = {
    "chatwoot": _Scheme("Chatwoot", "X-Chatwoot-Signature", "X-Chatwoot-Timestamp", _hex_sha256_dotted, _unix),
    "zammad": _Scheme("Zammad", "X-Hub-Signature", None, _hex_sha1),
    "zendesk": _Scheme(
        "Zendesk",
        "X-Zendesk-Webhook-Signature",
        "X-Zendesk-Webhook-Signature-Timestamp",
        _b64_sha256_concat,
        _iso,
    ),
    "generic": _Scheme("the sender", "X-Tonegate-Signature", "X-Tonegate-Timestamp", _hex_sha256_dotted, _unix),
}


def _scheme(kind: str) -> _Scheme:
    try:
        return SCHEMES[kind]
    except KeyError:
        raise ValueError(f"unknown helpdesk kind {kind!r}; expected one of {sorted(SCHEMES)}") from None


def _get(headers: Mapping[str, str], name: str) -> str | None:
    """Header lookup that works for Starlette's case-insensitive Headers and for plain dicts."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value.strip() if value is not None else None


def _parse_timestamp(kind: str, value: str) -> float:
    """Unix seconds, or ISO 8601 (what Zendesk sends); either is accepted for every kind."""
    if value.isdigit():
        return float(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WebhookRejected(
            f"{_scheme(kind).timestamp_header} {value[:40]!r} is neither unix seconds nor an ISO 8601 time"
        ) from None
    if parsed.tzinfo is None:  # a time without a zone is ambiguous; helpdesks send UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _check_window(ts: float, now: float) -> None:
    age = now - ts
    if age > WINDOW_S:
        raise WebhookRejected(f"timestamp {int(age)} s old (limit {WINDOW_S} s); check the helpdesk's clock")
    if age < -WINDOW_S:
        raise WebhookRejected(f"timestamp {int(-age)} s in the future (limit {WINDOW_S} s); check the helpdesk's clock")


def _usable(secrets: Sequence[str]) -> list[bytes]:
    # An empty secret would make an HMAC anyone can compute: never accept it.
    keys = [s.encode() for s in secrets if s]
    if not keys:
        raise WebhookRejected("no webhook secret is configured for this integration; add one to its config")
    return keys


def verify(
    kind: str,
    headers: Mapping[str, str],
    raw: bytes,
    secrets: Sequence[str],
    *,
    now: float,
    token_ok: bool = False,
    query_token: str | None = None,
) -> None:
    """Accept the request or raise WebhookRejected(message, 401) saying what to fix.

    `raw` is the body exactly as received (before any JSON parsing). `secrets` holds one or two
    secrets (rotation); any one matching is enough. `token_ok` is the integration's
    `allow_token`; `query_token` is the `?token=` parameter, if the request had one.
    A signature, when present, is always checked, even where a token would also be accepted.
    """
    scheme = _scheme(kind)
    keys = _usable(secrets)
    signature = _get(headers, scheme.signature_header)
    if not signature:
        _verify_token(scheme, headers, keys, token_ok=token_ok, query_token=query_token)
        return

    ts_value = ""
    if scheme.timestamp_header is not None:
        ts_value = _get(headers, scheme.timestamp_header) or ""
        if not ts_value:
            raise WebhookRejected(
                f"missing {scheme.timestamp_header} header next to {scheme.signature_header}; "
                "the signature covers it, so it must be sent unchanged (check any proxy in between)"
            )
    # Hex digests compare case-insensitively; base64 (Zendesk) is case-sensitive.
    given = signature if kind == "zendesk" else signature.lower()
    if not any(hmac.compare_digest(scheme.compute(key, ts_value, raw).encode(), given.encode()) for key in keys):
        raise WebhookRejected(
            f"{scheme.signature_header}: signature does not match any configured secret; "
            f"copy the webhook secret from {scheme.helpdesk} into this integration's secrets "
            "and make sure nothing rewrites the body on the way"
        )
    # Checked after the signature, so "too old" is only ever said of a genuine request.
    if scheme.timestamp_header is not None:
        _check_window(_parse_timestamp(kind, ts_value), now)


def _verify_token(
    scheme: _Scheme,
    headers: Mapping[str, str],
    keys: list[bytes],
    *,
    token_ok: bool,
    query_token: str | None,
) -> None:
    token = _get(headers, TOKEN_HEADER) or (query_token or "").strip()
    if not token:
        raise WebhookRejected(
            f"missing {scheme.signature_header} header; set the webhook secret in {scheme.helpdesk} "
            f"or enable allow_token and send {TOKEN_HEADER} (or ?token=)"
        )
    if not token_ok:
        raise WebhookRejected(
            f"missing {scheme.signature_header} header, and a shared token is not accepted for this "
            "integration; sign the webhook or enable allow_token in its config"
        )
    if not any(hmac.compare_digest(token.encode(), key) for key in keys):
        raise WebhookRejected("token does not match any configured secret")


def sign(kind: str, raw: bytes, secret: str, now: float) -> dict[str, str]:
    """For senders: the headers that make `verify(kind, headers, raw, [secret], now=now)` pass.

    Used by the tests, the bench and by anyone sending "generic" webhooks (who may also port
    these few lines: HMAC-SHA256 over f"{unix seconds}.{body}", hex, prefixed "sha256=").
    """
    scheme = _scheme(kind)
    ts = scheme.timestamp_format(now) if scheme.timestamp_format else ""
    headers = {scheme.signature_header: scheme.compute(secret.encode(), ts, raw)}
    if scheme.timestamp_header is not None:
        headers[scheme.timestamp_header] = ts
    return headers
