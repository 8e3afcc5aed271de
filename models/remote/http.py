"""One resilience layer for every remote engine: retries with backoff, a circuit breaker, counters.

A remote call is a function that either returns or raises. `Transient` (429, 5xx, a timeout, a
refused connection) is retried after the server's `Retry-After` or an exponential backoff with
jitter, within the call's overall deadline; anything else fails at once. After
`failure_threshold` calls in a row have failed, the circuit opens: calls fail immediately with
`CircuitOpen` for `reset_after_s`, so a fallback engine serves without waiting on a dead server;
then one trial call is let through (half-open) and its outcome closes or re-opens the circuit.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx

from models.base import EngineHealth
from models.errors import EngineFailure

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class Transient(Exception):
    """A failure worth retrying; `retry_after_s` is the server's own hint, when it gave one."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CircuitOpen(EngineFailure):
    """The engine failed repeatedly; calls are refused at once until the circuit half-opens."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int = 2  # attempts after the first
    backoff_s: float = 0.5  # first backoff; doubles per attempt, with jitter
    max_wait_s: float = 10.0  # never sleep longer than this for one retry, whatever Retry-After says
    deadline_s: float = 60.0  # a call (all attempts and waits) gives up past this
    failure_threshold: int = 5  # failed calls in a row that open the circuit
    reset_after_s: float = 30.0  # how long the circuit stays open


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); vLLM/OpenAI also send retry-after-ms."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Resilience:
    """Retries, circuit breaker and health counters of one engine; safe across threads."""

    def __init__(self, name: str, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep) -> None:
        self.name = name
        self.policy = policy
        self._sleep = sleep
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is running
        self._requests = self._failures = self._retries = self._opens = 0
        self._waited = 0.0
        self._last_error = ""

    def call(self, fn: Callable[[], T], what: str = "request") -> T:
        """Run `fn` with retries; raises EngineFailure (CircuitOpen when refused without trying)."""
        self._admit()
        deadline = time.monotonic() + self.policy.deadline_s
        attempt = 0
        while True:
            with self._lock:
                self._requests += 1
            try:
                result = fn()
            except Transient as exc:
                wait = self._wait_for(attempt, exc.retry_after_s)
                if attempt >= self.policy.retries or time.monotonic() + wait > deadline:
                    self._failed(f"{what}: {exc}")
                    raise EngineFailure(
                        f"engine {self.name}: {what} failed after {attempt + 1} attempt(s): {exc}"
                    ) from exc
                with self._lock:
                    self._retries += 1
                    self._waited += wait
                log.info("engine %s: %s (attempt %d), retrying in %.2f s", self.name, exc, attempt + 1, wait)
                self._sleep(wait)
                attempt += 1
                continue
            except EngineFailure as exc:
                self._failed(str(exc))
                raise
            except Exception as exc:
                self._failed(f"{what}: {exc}")
                raise EngineFailure(f"engine {self.name}: {what} failed: {exc}") from exc
            self._succeeded()
            return result

    def _wait_for(self, attempt: int, hint: float | None) -> float:
        if hint is not None:
            return min(hint, self.policy.max_wait_s)
        base = self.policy.backoff_s * (2**attempt)
        return min(base * (0.5 + random.random() / 2), self.policy.max_wait_s)

    def _admit(self) -> None:
        with self._lock:
            if self._opened_at is None:
                return
            if time.monotonic() - self._opened_at < self.policy.reset_after_s or self._trial:
                raise CircuitOpen(
                    f"engine {self.name} is unavailable after {self._consecutive} failed calls "
                    f"(last: {self._last_error}); retrying it in at most {self.policy.reset_after_s:g} s"
                )
            self._trial = True  # half-open: this call decides

    def _failed(self, error: str) -> None:
        with self._lock:
            self._failures += 1
            self._consecutive += 1
            self._last_error = error
            reopen = self._trial
            self._trial = False
            if reopen or (self._opened_at is None and self._consecutive >= self.policy.failure_threshold):
                self._opened_at = time.monotonic()
                self._opens += 1
                log.warning("engine %s: circuit open after %d failures: %s", self.name, self._consecutive, error)

    def _succeeded(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._trial = False

    def health(self) -> EngineHealth:
        with self._lock:
            if self._opened_at is not None:
                state = "open"
            elif self._consecutive:
                state = "degraded"
            else:
                state = "ok"
            return EngineHealth(
                state=state,
                requests=self._requests,
                failures=self._failures,
                retries=self._retries,
                circuit_opens=self._opens,
                retry_wait_s=self._waited,
                last_error=self._last_error,
            )


def check_response(response: httpx.Response, service: str) -> httpx.Response:
    """Raise Transient for statuses worth retrying, EngineFailure with the server's words otherwise."""
    if response.is_success:
        return response
    body = response.text[:300].strip()
    message = f"{service} answered HTTP {response.status_code}" + (f": {body}" if body else "")
    if response.status_code in RETRY_STATUSES:
        raise Transient(message, retry_after(response.headers))
    raise EngineFailure(message)


def send(client: httpx.Client, method: str, url: str, service: str, **kwargs) -> httpx.Response:
    """One HTTP exchange, its network failures mapped onto Transient (retried) like a 5xx."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise Transient(f"{service} did not answer in time ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise Transient(f"{service} is unreachable: {exc}") from exc
    return check_response(response, service)
