"""What every remote engine shares: concurrency, the resilience layer, health, its version.

Remote engines skip the registry's Batcher (models/batching.py): the server batches (vLLM's
continuous batching, DeepL's and LibreTranslate's arrays), so the engine only keeps at most
`max_concurrency` requests in flight and refuses work past `max_pending` queued segments.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

from models.base import EngineHealth, Hypothesis, LanguagePair, TranslationRules
from models.config import EngineSpec
from models.engine import BaseEngine
from models.errors import ConfigError, EngineBusy
from models.remote.http import Resilience, RetryPolicy

NO_RULES = TranslationRules()


def api_key(spec: EngineSpec, required: bool) -> str | None:
    """The key from the environment variable the engines file names; never from the file itself."""
    if not spec.api_key_env:
        if required:
            raise ConfigError(
                f"engine {spec.name}: set api_key_env to the NAME of the environment variable with the key"
            )
        return None
    value = os.environ.get(spec.api_key_env, "").strip()
    if not value and required:
        raise ConfigError(f"engine {spec.name}: the environment variable {spec.api_key_env} (api_key_env) is not set")
    return value or None


def explicit_pairs(spec: EngineSpec) -> frozenset[LanguagePair] | None:
    """The declared pairs, or None for ["auto"] (ask the server)."""
    if tuple(spec.pairs) == ("auto",):
        return None
    try:
        return frozenset(LanguagePair.parse(p) for p in spec.pairs)
    except ValueError as exc:
        raise ConfigError(f"engine {spec.name}: {exc}") from None


class RemoteEngine(BaseEngine):
    """Subclasses implement `_translate_remote` (one batch, one or more HTTP calls through `self.resilience`)."""

    own_batching = True  # the registry gives it no Batcher
    # The pipeline sends whole messages, not sentences: the server sees the context, in one request.
    whole_texts = True

    def __init__(self, spec: EngineSpec, pairs: frozenset[LanguagePair]) -> None:
        super().__init__(spec, pairs)
        self.resilience = Resilience(
            spec.name,
            RetryPolicy(
                retries=spec.retries,
                deadline_s=spec.timeout_s * (spec.retries + 1) + 10,
                failure_threshold=spec.failure_threshold,
                reset_after_s=spec.reset_after_s,
            ),
        )
        self._pool = ThreadPoolExecutor(spec.max_concurrency, thread_name_prefix=f"remote-{spec.name}")
        self._pending = 0
        self._pending_lock = threading.Lock()

    def translate(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        return self.translate_with_rules(segments, pair, NO_RULES)

    def translate_with_rules(
        self, segments: Sequence[str], pair: LanguagePair, rules: TranslationRules
    ) -> list[Hypothesis]:
        self._check_pair(pair)
        todo = [i for i, s in enumerate(segments) if s.strip()]
        out: list[Hypothesis] = [Hypothesis(text=s, score=0.0) for s in segments]
        if not todo:
            return out
        with self._pending_lock:
            if self._pending + len(todo) > self.spec.max_pending:
                raise EngineBusy(self.name, self._pending)
            self._pending += len(todo)
        try:
            hyps = self._translate_remote([segments[i] for i in todo], pair, rules)
        finally:
            with self._pending_lock:
                self._pending -= len(todo)
        for i, h in zip(todo, hyps, strict=True):
            out[i] = h
        with self._stats_lock:
            self.segments_done += len(todo)
        return out

    @property
    def pending(self) -> int:
        return self._pending

    @abstractmethod
    def _translate_remote(
        self, segments: list[str], pair: LanguagePair, rules: TranslationRules
    ) -> list[Hypothesis]: ...

    def _translate_batch(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        return self._translate_remote(list(segments), pair, NO_RULES)

    def health(self) -> EngineHealth:
        return self.resilience.health()

    @cached_property
    def version(self) -> str:
        """A different server, model or setting may translate differently: cache keys change with them."""
        s = self.spec
        settings = f"{s.kind}|{s.base_url}|{s.model}|{s.temperature}"
        return hashlib.sha256(settings.encode()).hexdigest()[:16]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
