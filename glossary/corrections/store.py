"""Admins' changes to the engine corrections, in Redis, versioned; and the compiled sets the pipeline uses.

The shipped data files are the base. Admins add their own corrections and switch any correction
(shipped or their own) off or on again; those changes live in Redis, one record per engine kind
and pair, each change bumping a version and logged (who, when, what):

  tonegate:corrections:{engine}:{src}-{tgt}          JSON {"version", "added": [...], "switched": {id: bool}}
  tonegate:corrections:{engine}:{src}-{tgt}:version  the version alone (cheap freshness checks)
  tonegate:corrections:{engine}:{src}-{tgt}:log      hash version -> JSON change record

Every write is an optimistic transaction, as in glossary/store.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import WatchError

from glossary.corrections.rules import (
    DATA_DIR,
    Correction,
    CorrectionSet,
    InvalidCorrection,
    make_correction,
    merge,
    shipped,
)
from glossary.errors import GlossaryError

_PREFIX = "tonegate:corrections:"
_MAX_ATTEMPTS = 20


class CorrectionNotFound(GlossaryError):
    def __init__(self, correction_id: str) -> None:
        self.correction_id = correction_id
        super().__init__(f"no correction with id {correction_id!r}")


@dataclass(frozen=True, slots=True)
class State:
    version: int
    added: tuple[Correction, ...]
    switched: dict[str, bool]

    def to_json(self) -> str:
        return json.dumps(
            {"version": self.version, "added": [c.to_dict() for c in self.added], "switched": self.switched},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: bytes | str | None) -> State:
        if raw is None:
            return cls(0, (), {})
        d = json.loads(raw)
        added = tuple(make_correction({k: v for k, v in c.items() if k != "origin"}) for c in d.get("added", []))
        return cls(int(d["version"]), added, {str(k): bool(v) for k, v in d.get("switched", {}).items()})


class CorrectionStore:
    """The corrections of each engine kind and pair: shipped file + admins' changes."""

    def __init__(self, redis: Redis, data_dir: Path = DATA_DIR) -> None:
        self.redis = redis
        self.data_dir = data_dir
        self._shipped: dict[tuple[str, str, str], list[Correction]] = {}
        self._lock = threading.Lock()
        self._compiled: dict[tuple[str, str, str], tuple[int, CorrectionSet]] = {}

    @staticmethod
    def _key(engine: str, source: str, target: str) -> str:
        return f"{_PREFIX}{engine}:{source}-{target}"

    def base(self, engine: str, source: str, target: str) -> list[Correction]:
        key = (engine, source, target)
        with self._lock:
            if key not in self._shipped:
                self._shipped[key] = shipped(engine, source, target, self.data_dir)
            return self._shipped[key]

    async def version(self, engine: str, source: str, target: str) -> int:
        raw = await self.redis.get(self._key(engine, source, target) + ":version")
        return int(raw) if raw else 0

    async def state(self, engine: str, source: str, target: str) -> State:
        return State.from_json(await self.redis.get(self._key(engine, source, target)))

    async def list(self, engine: str, source: str, target: str) -> tuple[int, list[Correction]]:
        """The version and every correction (shipped and admins'), with its switch applied."""
        st = await self.state(engine, source, target)
        return st.version, merge(self.base(engine, source, target), st.switched, st.added)

    async def compiled(self, engine: str, source: str, target: str) -> CorrectionSet | None:
        """The enabled corrections compiled, rebuilt only when the version changes; None if there are none."""
        key = (engine, source, target)
        version = await self.version(engine, source, target)
        with self._lock:
            hit = self._compiled.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        _, corrections = await self.list(engine, source, target)
        compiled = CorrectionSet.compile(engine, source, target, corrections) if corrections else None
        with self._lock:
            self._compiled[key] = (version, compiled)  # type: ignore[assignment]
        return compiled

    async def add(self, engine: str, source: str, target: str, data: dict, who: str) -> tuple[int, Correction]:
        """Add an admin correction (or replace the admin's own with the same id)."""
        correction = make_correction(data)
        # Validate that the whole set still compiles (a pattern that clashes fails here, not in translation).
        if any(c.id == correction.id for c in self.base(engine, source, target)):
            raise InvalidCorrection(
                f"id {correction.id!r} is a shipped correction; switch it off and add yours under another id"
            )

        def change(st: State) -> tuple[State, dict]:
            added = (*(c for c in st.added if c.id != correction.id), correction)
            return replace(st, added=added), {"action": "add", "correction": correction.to_dict()}

        version = await self._update(engine, source, target, who, change)
        return version, correction

    async def delete(self, engine: str, source: str, target: str, correction_id: str, who: str) -> int:
        """Remove an admin's correction (shipped ones can only be switched off)."""

        def change(st: State) -> tuple[State, dict]:
            if not any(c.id == correction_id for c in st.added):
                if any(c.id == correction_id for c in self.base(engine, source, target)):
                    raise InvalidCorrection(f"{correction_id!r} is shipped with the gateway: switch it off instead")
                raise CorrectionNotFound(correction_id)
            switched = {k: v for k, v in st.switched.items() if k != correction_id}
            added = tuple(c for c in st.added if c.id != correction_id)
            return State(st.version, added, switched), {"action": "delete", "id": correction_id}

        return await self._update(engine, source, target, who, change)

    async def switch(self, engine: str, source: str, target: str, correction_id: str, enabled: bool, who: str) -> int:
        """Switch a correction (shipped or admin's) on or off."""

        def change(st: State) -> tuple[State, dict]:
            known = {c.id for c in self.base(engine, source, target)} | {c.id for c in st.added}
            if correction_id not in known:
                raise CorrectionNotFound(correction_id)
            switched = {**st.switched, correction_id: enabled}
            return replace(st, switched=switched), {"action": "on" if enabled else "off", "id": correction_id}

        return await self._update(engine, source, target, who, change)

    async def history(self, engine: str, source: str, target: str) -> list[dict]:
        raw = await self.redis.hgetall(self._key(engine, source, target) + ":log")
        return sorted((json.loads(v) for v in raw.values()), key=lambda r: r["version"])

    async def _update(
        self, engine: str, source: str, target: str, who: str, change: Callable[[State], tuple[State, dict]]
    ) -> int:
        key = self._key(engine, source, target)
        for _ in range(_MAX_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    st = State.from_json(await pipe.get(key))
                    new, record = change(st)
                    new = replace(new, version=st.version + 1)
                    record = {"version": new.version, "who": who, "at": time.time(), **record}
                    pipe.multi()
                    pipe.set(key, new.to_json())
                    pipe.set(key + ":version", new.version)
                    pipe.hset(key + ":log", str(new.version), json.dumps(record, ensure_ascii=False))
                    await pipe.execute()
                    return new.version
                except WatchError:
                    continue
        raise GlossaryError("the corrections changed too often to apply this change; try again")


class ShippedCorrections:
    """The shipped data files alone, no Redis: for benches, one-shot CLI commands and tests."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        self.data_dir = data_dir
        self._sets: dict[tuple[str, str, str], CorrectionSet | None] = {}
        self._lock = threading.Lock()

    async def compiled(self, engine: str, source: str, target: str) -> CorrectionSet | None:
        key = (engine, source, target)
        with self._lock:
            if key not in self._sets:
                found = shipped(engine, source, target, self.data_dir)
                self._sets[key] = CorrectionSet.compile(engine, source, target, found) if found else None
            return self._sets[key]


class CorrectionSource(Protocol):
    """Where the pipeline gets the current corrections of an engine kind and pair."""

    async def compiled(self, engine: str, source: str, target: str) -> CorrectionSet | None: ...
