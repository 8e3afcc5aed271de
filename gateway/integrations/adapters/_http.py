"""The HTTP side every helpdesk client shares: headers, timeouts, and errors → DeliveryFailed."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from gateway.integrations.base import DeliveryFailed

USER_AGENT = "Tonegate/0.1"
DEFAULT_TIMEOUT_S = 10.0
# 408/425/429 and 5xx say "not now"; 409 is what idempotency layers answer while the first
# request with the same key is still running. Every other 4xx will fail the same way again.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


class HttpClient(ABC):
    """Base for the helpdesk clients. Pass `http` to share one connection pool between
    integrations; the client then leaves it open on `aclose()` (its owner closes it)."""

    helpdesk: ClassVar[str] = "helpdesk"

    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_token = api_token
        self.timeout = httpx.Timeout(timeout_s)
        self._http = http if http is not None else httpx.AsyncClient(timeout=self.timeout)
        self._owns_http = http is None

    @abstractmethod
    def auth_headers(self) -> dict[str, str]:
        """The helpdesk's own authentication header(s) for every request."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """The decoded JSON answer of a 2xx, else DeliveryFailed (never an httpx error)."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **self.auth_headers()}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        where = f"{self.helpdesk} {method} {path or '/'}"
        try:
            response = await self._http.request(
                method, self.base_url + path, json=json, params=params, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(
                f"{where}: no answer within {self.timeout.read} s ({type(exc).__name__})", retryable=True
            ) from exc
        except httpx.HTTPError as exc:  # refused, reset, DNS...: the helpdesk may be back soon
            raise DeliveryFailed(f"{where}: {type(exc).__name__}: {exc}", retryable=True) from exc

        status = response.status_code
        if 300 <= status < 400:
            # httpx does not follow redirects; one here means base_url is not the API's address.
            location = response.headers.get("location", "?")
            raise DeliveryFailed(
                f"{where} answered {status}, a redirect to {location}; set base_url to the final address",
                retryable=False,
            )
        if status >= 400:
            retryable = status >= 500 or status in RETRYABLE_STATUSES
            raise DeliveryFailed(
                f"{where} answered {status}: {_start(response.text)}",
                retryable=retryable,
                retry_after_s=retry_after(response.headers.get("retry-after")) if retryable else None,
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            # It said yes but we cannot read the id: retrying is safe, find_posted will see the post.
            raise DeliveryFailed(
                f"{where} answered {status} with a body that is not JSON: {_start(response.text)}", retryable=True
            ) from exc

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def parse_time(value: Any) -> float | None:
    """A helpdesk timestamp as unix seconds: numbers (Chatwoot) or ISO 8601 strings (Zammad, Zendesk)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return None


def newest_match(items: Iterable[tuple[Any, Any, float | None]], text: str, since: float) -> str | None:
    """The id of the newest (id, body, created_at) whose body contains `text`, created at or after
    `since`. Helpdesks store whole seconds (Chatwoot) or re-wrap bodies (Zendesk adds HTML), hence
    the one-second floor and the whitespace-insensitive match."""
    needle = _squash(text)
    best: tuple[float, str] | None = None
    for item_id, body, created in items:
        if created is None or created < int(since) - 1 or not isinstance(body, str):
            continue
        if needle in _squash(body) and (best is None or created >= best[0]):
            best = (created, str(item_id))
    return best[1] if best else None


def _squash(text: str) -> str:
    return " ".join(text.split())


def _start(body: str, limit: int = 200) -> str:
    body = " ".join(body.split())
    return body[:limit] + ("…" if len(body) > limit else "") if body else "(empty body)"
