"""Schemathesis hooks for tests/gateway/test_api_contract.py (loaded through SCHEMATHESIS_HOOKS).

- URLs the gateway would call later (a review's callback_url, an integration's base_url) point at
  a local sink the test runs, so nothing generated ever reaches beyond 127.0.0.1.
- `schema_valid_is_accepted` replaces schemathesis' positive_data_acceptance: a request the
  published schema allows must not be refused, except with the 422 types that name the rules a
  JSON schema cannot state (gateway/contract.py lists them): two fields that must differ, a language
  pair no loaded engine serves, the rows of an uploaded file, a correction's pattern that does not
  compile, a key's expiry in the past.
"""

from __future__ import annotations

import os

import schemathesis

SINK = os.environ.get("TONEGATE_CONTRACT_SINK", "http://127.0.0.1:9/")
RULES_NO_SCHEMA_STATES = {
    "same_language",
    "same_text",
    "unsupported_pair",
    "import_failed",
    "invalid_correction",
    "invalid_expiry",
}
# 401/403: the key is the test's, not generated; 404/409: state (what exists, who claimed it);
# 413: the request body's byte limit; 429: load.
ACCEPTED_REFUSALS = {401, 403, 404, 409, 413, 429}


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    body = case.body
    if isinstance(body, dict):
        for key in ("callback_url", "base_url"):
            if isinstance(body.get(key), str):
                body[key] = SINK


@schemathesis.check
def schema_valid_is_accepted(ctx, response, case) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in ACCEPTED_REFUSALS:
        return None  # a 5xx is not_a_server_error's to report
    if status == 422:
        try:
            kind = response.json()["error"]["type"]
        except (ValueError, KeyError, TypeError):
            kind = None
        if kind in RULES_NO_SCHEMA_STATES:
            return None
    raise AssertionError(f"a request the schema allows was refused with {status}: {response.text[:500]}")
