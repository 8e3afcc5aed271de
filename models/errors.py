"""Errors raised by engines and the registry; the gateway maps them to HTTP in one place."""


class ModelError(Exception):
    """Root of every error raised inside models/."""


class ConfigError(ModelError):
    """An engine declaration or detector setting is invalid; the message names the field."""


class UnsupportedPair(ModelError):
    """No loaded engine (direct or pivoted) serves the language pair."""

    def __init__(self, source: str, target: str, available: list[str]) -> None:
        self.source, self.target, self.available = source, target, available
        shown = ", ".join(available[:40]) or "none"
        super().__init__(f"no engine for {source}→{target}; available pairs: {shown}")


class EngineFailure(ModelError):
    """The engine crashed or timed out while translating; the request may be retried."""


class UnknownLanguage(ModelError):
    """A language code that no engine or detector knows."""

    def __init__(self, code: str, hint: str = "") -> None:
        self.code = code
        super().__init__(f"unknown language code {code!r}{'; ' + hint if hint else ''}")


class EngineBusy(ModelError):
    """An engine's queue is full: the caller should come back after `retry_after_s` (HTTP 429)."""

    def __init__(self, engine: str, pending: int, retry_after_s: int = 1) -> None:
        self.engine, self.pending, self.retry_after_s = engine, pending, retry_after_s
        super().__init__(f"engine {engine} is busy ({pending} segments queued); retry in {retry_after_s} s")
