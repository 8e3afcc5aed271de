"""Which engine serves which language pair: direct routes first, else one pivot language."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.base import Engine, Hypothesis, LanguagePair
from models.batching import Batcher, settings_for
from models.config import ENGINE_KINDS, EngineSpec
from models.errors import ConfigError, UnsupportedPair

log = logging.getLogger(__name__)


def build_engine(spec: EngineSpec) -> Engine:
    """Import the engine's module only now, so declaring Apertium alone never loads torch."""
    target = ENGINE_KINDS.get(spec.kind)
    if target is None:
        raise ConfigError(f"unknown engine kind {spec.kind!r}; valid kinds: {', '.join(sorted(ENGINE_KINDS))}")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"engine {spec.name}: kind {spec.kind!r} needs {exc.name}; install tonegate[neural]") from exc
    return getattr(module, class_name).from_spec(spec)


@dataclass(frozen=True, slots=True)
class Route:
    hops: tuple[tuple[Engine, LanguagePair], ...]

    @property
    def label(self) -> str:
        """e.g. "apertium:fr-es>apertium:es-en"; the `engine` field of a translation."""
        return ">".join(f"{engine.name}:{pair}" for engine, pair in self.hops)

    @property
    def pivots(self) -> tuple[str, ...]:
        return tuple(pair.target for _, pair in self.hops[:-1])


class EngineRegistry:
    """Routes pairs to engines; the first engine declared for a pair wins."""

    def __init__(
        self,
        engines: Sequence[Engine],
        pivots: Sequence[str] = ("en", "es"),
        max_hops: int = 3,
        *,
        batching: bool = True,
    ) -> None:
        self.engines = list(engines)
        # Every route goes through the engine's own Batcher (models/batching.py): concurrent
        # callers share model calls, and a slow engine queues only its own work.
        self.batchers: dict[str, Batcher] = {}
        if batching:
            for engine in self.engines:
                if engine.name in self.batchers:
                    raise ConfigError(f"engine names must be unique, repeated: {engine.name}")
                self.batchers[engine.name] = Batcher(engine, settings_for(getattr(engine, "spec", None), engine.kind))
        self._direct: dict[LanguagePair, Engine] = {}
        for engine in self.engines:
            served: Engine = self.batchers.get(engine.name, engine)
            for pair in sorted(engine.pairs, key=str):
                self._direct.setdefault(pair, served)
        self._routes = self._plan(pivots, max_hops)

    @classmethod
    def from_specs(
        cls, specs: Iterable[EngineSpec], pivots: Sequence[str] = ("en", "es"), max_hops: int = 3
    ) -> EngineRegistry:
        engines: list[Engine] = []
        try:
            for spec in specs:
                log.info("loading engine %s (%s)", spec.name, spec.kind)
                engines.append(build_engine(spec))
        except BaseException:
            for engine in engines:
                engine.close()
            raise
        return cls(engines, pivots, max_hops)

    def _plan(self, pivots: Sequence[str], max_hops: int) -> dict[LanguagePair, Route]:
        """Shortest chain of engines for every reachable pair (breadth-first from each source)."""
        languages = {lang for pair in self._direct for lang in (pair.source, pair.target)}
        # Preferred pivots first (the hubs most engines serve best), then the rest alphabetically,
        # so that equally short chains are chosen the same way every time.
        rank = {lang: i for i, lang in enumerate(list(pivots) + sorted(languages - set(pivots)))}
        routes: dict[LanguagePair, Route] = {}
        for src in sorted(languages):
            paths: dict[str, tuple[LanguagePair, ...]] = {src: ()}
            frontier = [src]
            for _ in range(max_hops):
                nxt: list[str] = []
                for lang in frontier:
                    for pair in sorted((p for p in self._direct if p.source == lang), key=lambda p: rank[p.target]):
                        if pair.target not in paths:
                            paths[pair.target] = paths[lang] + (pair,)
                            nxt.append(pair.target)
                frontier = sorted(nxt, key=rank.__getitem__)
            for tgt, chain in paths.items():
                if chain:
                    routes[LanguagePair(src, tgt)] = Route(tuple((self._direct[p], p) for p in chain))
        return routes

    @property
    def routes(self) -> dict[LanguagePair, Route]:
        return dict(self._routes)

    def languages(self) -> set[str]:
        return {lang for pair in self._routes for lang in (pair.source, pair.target)}

    def route(self, source: str, target: str) -> Route:
        route = self._routes.get(LanguagePair(source, target))
        if route is None:
            raise UnsupportedPair(source, target, sorted(str(p) for p in self._routes))
        return route

    def translate(self, segments: Sequence[str], source: str, target: str) -> tuple[list[Hypothesis], Route]:
        """Blocking: run it in a worker thread from async code."""
        route = self.route(source, target)
        texts = list(segments)
        total = [0.0] * len(texts)
        details: list[dict[str, float]] = [{} for _ in texts]
        hyps: list[Hypothesis] = []
        for engine, pair in route.hops:
            hyps = engine.translate(texts, pair)
            for i, h in enumerate(hyps):
                # Log-probabilities of independent steps add up: a pivot is as sure as both hops.
                total[i] += h.score
                details[i].update({k if len(route.hops) == 1 else f"{pair}.{k}": v for k, v in h.details.items()})
            texts = [h.text for h in hyps]
        return [Hypothesis(t, s, d) for t, s, d in zip(texts, total, details, strict=True)], route

    def close(self) -> None:
        for engine in self.engines:
            try:
                # The batcher fails what is still queued, waits for running batches, then closes the engine.
                self.batchers.get(engine.name, engine).close()
            except Exception:  # closing the others matters more than one failure
                log.exception("closing engine %s failed", engine.name)
