"""A running gateway's v1 API, for the shell commands that need no more than it offers."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from gateway.errors import GatewayError


class RemoteError(GatewayError):
    """The gateway answered with an error, or could not be reached; the message says which."""

    status = 502
    type = "gateway_error"


class GatewayClient:
    def __init__(self, url: str, api_key: str, timeout_s: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout_s)

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _post(self, path: str, body: dict) -> dict:
        try:
            r = self._http.post(path, json=body)
        except httpx.HTTPError as exc:
            raise RemoteError(f"TONEGATE_URL: cannot reach the gateway at {self.url}: {exc}") from None
        if r.is_success:
            return r.json()
        try:
            message = r.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = r.text[:300] or r.reason_phrase
        hint = " (check TONEGATE_API_KEY)" if r.status_code in (401, 403) else ""
        raise RemoteError(f"the gateway at {self.url} answered {r.status_code}: {message}{hint}")

    def translate(
        self, texts: Sequence[str], target: str, source: str | None, fmt: str, brand: str | None
    ) -> list[dict]:
        body = {"text": list(texts), "target_lang": target, "source_lang": source, "format": fmt}
        if brand:
            body["brand"] = brand
        return self._post("/v1/translate", body)["translations"]

    def detect(self, texts: Sequence[str], candidates: Sequence[str] | None) -> list[dict]:
        body: dict = {"text": list(texts)}
        if candidates:
            body["candidates"] = list(candidates)
        return self._post("/v1/detect", body)["detections"]
