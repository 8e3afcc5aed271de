"""Which engine serves which language pair: direct routes first, else one pivot language."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.base import Engine, EngineHealth, Hypothesis, LanguagePair, TranslationRules
from models.batching import Batcher, settings_for
from models.config import ENGINE_KINDS, EngineSpec
from models.errors import ConfigError, UnsupportedPair
from models.fallback import FallbackEngine, call

log = logging.getLogger(__name__)


def build_engine(spec: EngineSpec) -> Engine:
    """Import the engine's module only now, so declaring Apertium alone never loads torch."""
    target = ENGINE_KINDS.get(spec.kind)
    if spec.kind == "fallback":
        raise ConfigError(f"engine {spec.name}: a fallback is built by the registry from its engines")
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

    @property
    def kinds(self) -> tuple[str, ...]:
        """Each hop's engine kind ("apertium", "openai", …); a fallback chain counts as its first choice."""
        out = []
        for engine, _ in self.hops:
            members = getattr(engine, "members", None)
            out.append(members[0].kind if members else engine.kind)
        return tuple(out)

    @property
    def whole_texts(self) -> bool:
        """Whether every engine on the way reads whole messages better than sentences (an LLM, DeepL)."""
        return all(getattr(engine, "whole_texts", False) for engine, _ in self.hops)

    @property
    def takes_rules(self) -> bool:
        """Whether an engine on the way follows TranslationRules (an LLM, DeepL), so they are worth building."""
        return any(hasattr(engine, "translate_with_rules") for engine, _ in self.hops)


@dataclass(frozen=True, slots=True)
class Chain:
    """A `kind = "fallback"` declaration: `engines` tried in order for `pairs` (None: all they serve)."""

    name: str
    engines: tuple[str, ...]
    pairs: frozenset[LanguagePair] | None = None

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> Chain:
        pairs = None if tuple(spec.pairs) == ("auto",) else frozenset(LanguagePair.parse(p) for p in spec.pairs)
        return cls(spec.name, tuple(spec.engines), pairs)


class EngineRegistry:
    """Routes pairs to engines; the first engine declared for a pair wins."""

    def __init__(
        self,
        engines: Sequence[Engine],
        pivots: Sequence[str] = ("en", "es"),
        max_hops: int = 3,
        *,
        batching: bool = True,
        chains: Sequence[Chain] = (),
    ) -> None:
        self.engines = list(engines)
        names = [e.name for e in self.engines] + [c.name for c in chains]
        if len(set(names)) != len(names):
            raise ConfigError(
                f"engine names must be unique, repeated: {sorted({n for n in names if names.count(n) > 1})}"
            )
        # Every route goes through the engine's own Batcher (models/batching.py): concurrent
        # callers share model calls, and a slow engine queues only its own work. Remote engines
        # batch on their server and keep their own limit of requests in flight instead.
        self.batchers: dict[str, Batcher] = {}
        if batching:
            for engine in self.engines:
                if not getattr(engine, "own_batching", False):
                    settings = settings_for(getattr(engine, "spec", None), engine.kind)
                    self.batchers[engine.name] = Batcher(engine, settings)
        served_by_name: dict[str, Engine] = {e.name: self.batchers.get(e.name, e) for e in self.engines}
        self.chains: list[FallbackEngine] = []
        for chain in chains:
            missing = [n for n in chain.engines if n not in served_by_name]
            if missing:
                raise ConfigError(
                    f"engine {chain.name}: unknown engine(s) {', '.join(missing)}; "
                    f"declared: {', '.join(sorted(served_by_name))}"
                )
            self.chains.append(FallbackEngine(chain.name, [served_by_name[n] for n in chain.engines], chain.pairs))
        self._direct: dict[LanguagePair, Engine] = {}
        # A fallback chain wins its pairs over its own members: that is why it was declared.
        for chain_engine in self.chains:
            for pair in sorted(chain_engine.pairs, key=str):
                self._direct.setdefault(pair, chain_engine)
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
        chains: list[Chain] = []
        try:
            for spec in specs:
                if spec.kind == "fallback":
                    chains.append(Chain.from_spec(spec))
                    continue
                log.info("loading engine %s (%s)", spec.name, spec.kind)
                engines.append(build_engine(spec))
            return cls(engines, pivots, max_hops, chains=chains)
        except BaseException:
            for engine in engines:
                engine.close()
            raise

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

    def translate(
        self, segments: Sequence[str], source: str, target: str, rules: TranslationRules | None = None
    ) -> tuple[list[Hypothesis], Route]:
        """Blocking: run it in a worker thread from async code.

        `rules` reach the engines that take them (models.base.RuleAwareEngine). Through a pivot,
        term pairs (source → final target) would mislead every hop, so only the last hop gets the
        register, forbidden words and names, and the earlier ones the names and format."""
        route = self.route(source, target)
        texts = list(segments)
        total = [0.0] * len(texts)
        details: list[dict[str, float]] = [{} for _ in texts]
        notes: list[tuple[str, ...]] = [() for _ in texts]
        hyps: list[Hypothesis] = []
        last = len(route.hops) - 1
        for n, (engine, pair) in enumerate(route.hops):
            hop_rules = rules
            if rules is not None and last:
                hop_rules = (
                    TranslationRules(keep=rules.keep, forbidden=rules.forbidden, register=rules.register, fmt=rules.fmt)
                    if n == last
                    else TranslationRules(keep=rules.keep, fmt=rules.fmt)
                )
            hyps = call(engine, texts, pair, hop_rules)
            for i, h in enumerate(hyps):
                # Log-probabilities of independent steps add up: a pivot is as sure as both hops.
                total[i] += h.score
                details[i].update({k if len(route.hops) == 1 else f"{pair}.{k}": v for k, v in h.details.items()})
                notes[i] += h.notes
            texts = [h.text for h in hyps]
        return [Hypothesis(t, s, d, m) for t, s, d, m in zip(texts, total, details, notes, strict=True)], route

    def health(self) -> dict[str, EngineHealth]:
        """Engines that can fail on their own (remote servers) and how they are doing."""
        return {e.name: e.health() for e in self.engines if callable(getattr(e, "health", None))}

    def close(self) -> None:
        for engine in self.engines:
            try:
                # The batcher fails what is still queued, waits for running batches, then closes the engine.
                self.batchers.get(engine.name, engine).close()
            except Exception:  # closing the others matters more than one failure
                log.exception("closing engine %s failed", engine.name)
