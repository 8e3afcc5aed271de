"""The pipeline in this process, for `tonegate translate` without a running gateway.

A one-shot command pays for every engine it loads, so it builds only the engines that can lie on a
route between the languages asked for, and Apertium starts a pair's pipeline only when a text needs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import anyio

from gateway.errors import SettingsError
from gateway.settings import Settings
from models.base import LanguagePair
from models.config import EngineSpec, load_engine_specs
from models.errors import ConfigError, UnknownLanguage
from models.langcodes import normalize
from models.registry import Chain, EngineRegistry, build_engine


def _code(code: str) -> str:
    try:
        return normalize(code)
    except UnknownLanguage:
        return code.strip().lower()


def _reachable(start: set[str], edges: set[tuple[str, str]]) -> set[str]:
    seen = set(start)
    frontier = list(start)
    while frontier:
        lang = frontier.pop()
        for a, b in edges:
            if a == lang and b not in seen:
                seen.add(b)
                frontier.append(b)
    return seen


def needed_registry(settings: Settings, pairs: Iterable[tuple[str | None, str]]) -> EngineRegistry:
    """Blocking. `pairs`: (source or None when it is to be detected, target) of every job.

    Engines declared with `pairs = "auto"` are built (cheap for Apertium, whose pipelines start
    lazily); an engine with declared pairs only if one of them can be on a source→target route."""
    wanted = [(None if src is None else _code(src), _code(tgt)) for src, tgt in pairs]
    try:
        declared_specs = load_engine_specs(settings.engines_file)
        # Fallback chains are built by the registry from the engines they list (below).
        chains = [s for s in declared_specs if s.kind == "fallback"]
        specs = [s for s in declared_specs if s.kind != "fallback"]
        auto = [s for s in specs if s.pairs == ("auto",)]
        engines = [build_engine(s) for s in auto]
        try:
            explicit: list[tuple[EngineSpec, set[tuple[str, str]]]] = []
            for spec in specs:
                if spec.pairs != ("auto",):
                    declared = {(_code(p.source), _code(p.target)) for p in map(LanguagePair.parse, spec.pairs)}
                    explicit.append((spec, declared))
            edges = {(_code(p.source), _code(p.target)) for e in engines for p in e.pairs}
            edges |= {edge for _, declared in explicit for edge in declared}
            for spec, declared in explicit:
                if any(src is None for src, _ in wanted) or any(
                    a in _reachable({src}, edges) and tgt in _reachable({b}, edges)
                    for src, tgt in wanted
                    for a, b in declared
                    if src is not None
                ):
                    engines.append(build_engine(spec))
            # Keep the file's order: the first engine declared for a pair wins.
            order = {s.name: i for i, s in enumerate(specs)}
            engines.sort(key=lambda e: order.get(e.name, len(order)))
            # A chain whose engines are all loaded serves its pairs as it does in the server.
            built = {e.name for e in engines}
            usable = [Chain.from_spec(c) for c in chains if all(m in built for m in c.engines)]
            return EngineRegistry(engines, settings.pivots, chains=usable)
        except BaseException:
            for engine in engines:
                engine.close()
            raise
    except (ConfigError, ValueError) as exc:
        raise SettingsError(f"TONEGATE_ENGINES: {exc}") from None


@asynccontextmanager
async def local_pipeline(settings: Settings, pairs: Iterable[tuple[str | None, str]]) -> AsyncIterator[object]:
    """The same pipeline the server runs, without Redis (no brands or conversation memory; the
    engines' shipped corrections, without admins' changes to them)."""
    from gateway.pipeline import Pipeline
    from gateway.services import load_detector, load_morphologies
    from glossary.corrections.store import ShippedCorrections

    registry = await anyio.to_thread.run_sync(needed_registry, settings, list(pairs))
    morphologies = load_morphologies()  # their processes start on first use
    try:
        detector = await anyio.to_thread.run_sync(load_detector, settings, False)
        yield Pipeline(
            registry,
            detector,
            None,
            settings.review_below,
            morphologies=morphologies,
            corrections=ShippedCorrections(),
        )
    finally:
        for morphology in morphologies.values():
            morphology.close()
        registry.close()
