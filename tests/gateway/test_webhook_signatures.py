"""Webhook signatures as each helpdesk computes them, checked on the raw bytes."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from gateway.integrations.base import WebhookRejected
from gateway.integrations.signatures import SCHEMES, sign, verify

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z
BODY = b'{"event":"message_created","id":7,"content":"Hola \xc3\xb1"}'
SECRET = "s3cret-current"
OLD_SECRET = "s3cret-previous"
KINDS = sorted(SCHEMES)
TIMED = [k for k in KINDS if SCHEMES[k].timestamp_header]


def rejected(kind: str, headers: dict[str, str], raw: bytes = BODY, **kw) -> WebhookRejected:
    kw.setdefault("now", NOW)
    with pytest.raises(WebhookRejected) as info:
        verify(kind, headers, raw, kw.pop("secrets", [SECRET]), **kw)
    assert info.value.status == 401
    return info.value


# Signatures computed here by hand, the way each helpdesk documents them, so a mistake in
# sign() cannot hide the same mistake in verify().
def test_chatwoot_signature_is_hex_hmac_sha256_of_timestamp_dot_body() -> None:
    digest = hmac.new(SECRET.encode(), b"1795000000." + BODY, hashlib.sha256).hexdigest()
    headers = {"X-Chatwoot-Signature": f"sha256={digest}", "X-Chatwoot-Timestamp": "1795000000"}
    verify("chatwoot", headers, BODY, [SECRET], now=NOW)
    assert sign("chatwoot", BODY, SECRET, NOW) == headers


def test_zammad_signature_is_hex_hmac_sha1_of_body() -> None:
    headers = {"X-Hub-Signature": "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest()}
    # Zammad signs no timestamp: any clock is fine.
    verify("zammad", headers, BODY, [SECRET], now=NOW + 86_400)
    assert sign("zammad", BODY, SECRET, NOW) == headers


def test_zendesk_signature_is_base64_hmac_sha256_of_timestamp_then_body() -> None:
    ts = "2026-11-18T11:06:40Z"  # what Zendesk sends: ISO 8601, UTC, seconds
    digest = base64.b64encode(hmac.new(SECRET.encode(), ts.encode() + BODY, hashlib.sha256).digest()).decode()
    headers = {"X-Zendesk-Webhook-Signature": digest, "X-Zendesk-Webhook-Signature-Timestamp": ts}
    verify("zendesk", headers, BODY, [SECRET], now=NOW + 10)
    assert sign("zendesk", BODY, SECRET, NOW) == headers


def test_generic_signature_is_documented_like_chatwoot() -> None:
    digest = hmac.new(SECRET.encode(), b"1795000000." + BODY, hashlib.sha256).hexdigest()
    headers = {"X-Tonegate-Signature": f"sha256={digest}", "X-Tonegate-Timestamp": "1795000000"}
    verify("generic", headers, BODY, [SECRET], now=NOW)


@pytest.mark.parametrize("kind", KINDS)
def test_headers_match_whatever_their_case(kind: str) -> None:
    headers = {k.lower(): v for k, v in sign(kind, BODY, SECRET, NOW).items()}
    verify(kind, headers, BODY, [SECRET], now=NOW)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_signature_says_where_to_set_the_secret(kind: str) -> None:
    headers = sign(kind, BODY, SECRET, NOW)
    del headers[SCHEMES[kind].signature_header]
    error = rejected(kind, headers)
    assert f"missing {SCHEMES[kind].signature_header} header" in error.message
    assert "allow_token" in error.message


@pytest.mark.parametrize("kind", TIMED)
def test_missing_timestamp_is_named(kind: str) -> None:
    headers = sign(kind, BODY, SECRET, NOW)
    del headers[SCHEMES[kind].timestamp_header]  # type: ignore[arg-type]
    assert f"missing {SCHEMES[kind].timestamp_header}" in rejected(kind, headers).message


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_secret_is_rejected(kind: str) -> None:
    error = rejected(kind, sign(kind, BODY, "not-the-secret", NOW))
    assert "signature does not match any configured secret" in error.message


@pytest.mark.parametrize("kind", KINDS)
def test_tampered_body_is_rejected(kind: str) -> None:
    headers = sign(kind, BODY, SECRET, NOW)
    assert "does not match" in rejected(kind, headers, raw=BODY.replace(b"Hola", b"Hole")).message
    # Re-serialising the JSON (spaces) also changes the bytes: verification must use the raw body.
    assert "does not match" in rejected(kind, headers, raw=BODY.replace(b",", b", ")).message


@pytest.mark.parametrize("kind", KINDS)
def test_either_of_two_secrets_passes_during_rotation(kind: str) -> None:
    for secret in (OLD_SECRET, SECRET):
        verify(kind, sign(kind, BODY, secret, NOW), BODY, [SECRET, OLD_SECRET], now=NOW)
    assert "does not match" in rejected(kind, sign(kind, BODY, "third", NOW), secrets=[SECRET, OLD_SECRET]).message


@pytest.mark.parametrize("kind", TIMED)
def test_stale_and_future_timestamps_are_rejected_after_the_signature_checks(kind: str) -> None:
    headers = sign(kind, BODY, SECRET, NOW - 412)
    assert rejected(kind, headers).message.startswith("timestamp 412 s old")
    assert "check the helpdesk's clock" in rejected(kind, headers).message
    assert rejected(kind, sign(kind, BODY, SECRET, NOW + 400)).message.startswith("timestamp 400 s in the future")
    # Inside the window, both ways.
    verify(kind, sign(kind, BODY, SECRET, NOW - 299), BODY, [SECRET], now=NOW)
    verify(kind, sign(kind, BODY, SECRET, NOW + 299), BODY, [SECRET], now=NOW)


def test_zendesk_timestamp_must_be_a_time() -> None:
    headers = sign("zendesk", BODY, SECRET, NOW)
    headers["X-Zendesk-Webhook-Signature-Timestamp"] = "yesterday"
    # The signature covers the timestamp, so a changed one no longer matches...
    assert "does not match" in rejected("zendesk", headers).message
    # ...and a signed one that is not a time is named as such.
    signed = base64.b64encode(hmac.new(SECRET.encode(), b"yesterday" + BODY, hashlib.sha256).digest()).decode()
    headers["X-Zendesk-Webhook-Signature"] = signed
    assert "'yesterday' is neither unix seconds nor an ISO 8601 time" in rejected("zendesk", headers).message


def test_token_is_accepted_only_when_the_integration_allows_it() -> None:
    for where in ({"X-Tonegate-Token": SECRET}, {}):
        query = None if where else SECRET
        verify("chatwoot", where, BODY, [SECRET], now=NOW, token_ok=True, query_token=query)
        verify("chatwoot", where, BODY, [OLD_SECRET, SECRET], now=NOW, token_ok=True, query_token=query)
        error = rejected("chatwoot", where, token_ok=False, query_token=query)
        assert "enable allow_token" in error.message
    assert rejected("chatwoot", {"X-Tonegate-Token": "guess"}, token_ok=True).message == (
        "token does not match any configured secret"
    )
    assert "allow_token" in rejected("chatwoot", {}, token_ok=True).message


def test_a_signature_is_checked_even_where_a_token_would_do() -> None:
    headers = {**sign("chatwoot", BODY, "wrong", NOW), "X-Tonegate-Token": SECRET}
    assert "does not match" in rejected("chatwoot", headers, token_ok=True).message


def test_empty_secrets_never_verify_anything() -> None:
    headers = sign("zammad", BODY, "", NOW)  # what an HMAC keyed with "" looks like
    assert "no webhook secret is configured" in rejected("zammad", headers, secrets=[""]).message
    assert "no webhook secret is configured" in rejected("zammad", {"X-Tonegate-Token": ""}, secrets=[]).message


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown helpdesk kind"):
        verify("freshdesk", {}, BODY, [SECRET], now=NOW)
