"""Shared steps of every engine (template method): validate, batch by budget, time, call the model."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

from models.base import Hypothesis, LanguagePair
from models.config import EngineSpec
from models.errors import UnsupportedPair

log = logging.getLogger(__name__)


def batches(
    segments: Sequence[str], max_size: int, max_tokens: int, count_tokens=lambda s: len(s.split()) + 1
) -> Iterator[tuple[int, int]]:
    """Yield [start, end) ranges whose size and approximate token count stay within the budget."""
    start, tokens = 0, 0
    for i, seg in enumerate(segments):
        n = count_tokens(seg)
        if i > start and (i - start >= max_size or tokens + n > max_tokens):
            yield start, i
            start, tokens = i, 0
        tokens += n
    if start < len(segments):
        yield start, len(segments)


def files_fingerprint(paths: Iterable[Path]) -> str:
    """Path, size and modification time of each file: changes when a package or model is replaced."""
    h = hashlib.sha256()
    for path in sorted(paths):
        try:
            st = os.stat(path)
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{path}\0missing\n".encode())
    return h.hexdigest()[:16]


# EngineSpec fields that change what an engine writes (not how fast it writes it).
_OUTPUT_FIELDS = ("kind", "model", "family", "compute_type", "beam_size", "max_length", "modes_dir")


class BaseEngine(ABC):
    """Subclasses implement `_translate_batch` (and optionally `_score_batch`) only."""

    kind: str = ""

    def __init__(self, spec: EngineSpec, pairs: frozenset[LanguagePair]) -> None:
        self.spec = spec
        self.name = spec.name
        self.pairs = pairs
        self._stats_lock = threading.Lock()
        self.segments_done = 0
        self.seconds_busy = 0.0

    def translate(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        self._check_pair(pair)
        out: list[Hypothesis | None] = [None] * len(segments)
        # Blank segments never reach the model: it would only invent text for them.
        todo = [i for i, s in enumerate(segments) if s.strip()]
        for i, s in enumerate(segments):
            if not s.strip():
                out[i] = Hypothesis(text=s, score=0.0)
        work = [segments[i] for i in todo]
        started = time.perf_counter()
        for lo, hi in batches(work, self.spec.max_batch_size, self.spec.max_batch_tokens):
            for j, hyp in zip(range(lo, hi), self._translate_batch(work[lo:hi], pair), strict=True):
                out[todo[j]] = hyp
        with self._stats_lock:
            self.segments_done += len(work)
            self.seconds_busy += time.perf_counter() - started
        return [h for h in out if h is not None]

    def score(self, sources: Sequence[str], targets: Sequence[str], pair: LanguagePair) -> list[float]:
        self._check_pair(pair)
        if len(sources) != len(targets):
            raise ValueError("sources and targets differ in length")
        out: list[float] = []
        for lo, hi in batches(sources, self.spec.max_batch_size, self.spec.max_batch_tokens):
            out.extend(self._score_batch(sources[lo:hi], targets[lo:hi], pair))
        return out

    @cached_property
    def version(self) -> str:
        """Changes whenever the engine could translate the same text differently (cache keys use it).

        The settings that shape the output, plus a fingerprint of the files the engine loaded
        (`_version_files`): a reinstalled Apertium package or a replaced model folder gets a new
        version, so cached translations of the old one are never served for it."""
        settings = "|".join(f"{f}={getattr(self.spec, f)}" for f in _OUTPUT_FIELDS)
        digest = hashlib.sha256(settings.encode()).hexdigest()[:8]
        return f"{digest}-{files_fingerprint(self._version_files())}"

    def _version_files(self) -> list[Path]:
        """The files whose replacement changes the output; neural engines: the model folder."""
        if not self.spec.model:
            return []
        folder = Path(self.spec.model).expanduser()
        return [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []

    def close(self) -> None:  # noqa: B027 - most engines hold nothing to release
        pass

    @abstractmethod
    def _translate_batch(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]: ...

    def _score_batch(self, sources: Sequence[str], targets: Sequence[str], pair: LanguagePair) -> list[float]:
        return [float("nan")] * len(sources)

    def _check_pair(self, pair: LanguagePair) -> None:
        if pair not in self.pairs:
            raise UnsupportedPair(pair.source, pair.target, sorted(str(p) for p in self.pairs))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {sorted(map(str, self.pairs))}>"
