"""Termbases in Redis: the current entries, a record of every change, and a snapshot per version.

Keys, per brand:
  tonegate:glossary:{brand}            JSON {"version", "terms": [...]}: what translation uses
  tonegate:glossary:{brand}:version    the current version number alone (cheap freshness checks)
  tonegate:glossary:{brand}:log        hash version -> JSON change record (who, when, what)
  tonegate:glossary:{brand}:v:{n}      zlib-compressed JSON terms of version n (for restore)

Every write is an optimistic transaction on the current key, so two admins editing at once
never lose each other's change: the second one is retried on the new version.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import WatchError

from glossary.errors import DuplicateTerm, GlossaryError
from glossary.terms import Term, Termbase, find_duplicates, make_term

_PREFIX = "tonegate:glossary:"
_MAX_ATTEMPTS = 20


class TermNotFound(GlossaryError):
    def __init__(self, term_id: str) -> None:
        self.term_id = term_id
        super().__init__(f"no glossary entry with id {term_id!r}")


class VersionNotFound(GlossaryError):
    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(f"no glossary version {version}")


@dataclass(frozen=True, slots=True)
class Change:
    """One version's record: who did what, and the entries before and after."""

    version: int
    who: str
    at: float
    action: str  # add | update | delete | import-merge | import-replace | restore
    added: tuple[dict, ...] = ()
    removed: tuple[dict, ...] = ()
    changed: tuple[tuple[dict, dict], ...] = ()  # (before, after)
    detail: str = ""

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "who": self.who,
            "at": self.at,
            "action": self.action,
            "detail": self.detail,
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [{"before": b, "after": a} for b, a in self.changed],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Change:
        return cls(
            d["version"],
            d["who"],
            d["at"],
            d["action"],
            tuple(d["added"]),
            tuple(d["removed"]),
            tuple((c["before"], c["after"]) for c in d["changed"]),
            d.get("detail", ""),
        )


def _terms_json(terms: Sequence[Term]) -> list[dict]:
    return [t.to_dict() for t in terms]


def _load_terms(items: list[dict]) -> tuple[Term, ...]:
    return tuple(make_term(item) for item in items)


def diff(before: Sequence[Term], after: Sequence[Term]) -> tuple[list[dict], list[dict], list[tuple[dict, dict]]]:
    old = {t.id: t for t in before}
    new = {t.id: t for t in after}
    added = [new[i].to_dict() for i in new if i not in old]
    removed = [old[i].to_dict() for i in old if i not in new]
    changed = [(old[i].to_dict(), new[i].to_dict()) for i in new if i in old and old[i] != new[i]]
    return added, removed, changed


class TermbaseStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, brand: str) -> Termbase:
        raw = await self.redis.get(_PREFIX + brand)
        if raw is None:
            return Termbase(brand)
        data = json.loads(raw)
        return Termbase(brand, data["version"], _load_terms(data["terms"]))

    async def version(self, brand: str) -> int:
        """Cheap: lets a cache of compiled termbases check freshness without loading the entries."""
        raw = await self.redis.get(_PREFIX + brand + ":version")
        return int(raw) if raw else 0

    async def apply(
        self,
        brand: str,
        edit: Callable[[tuple[Term, ...]], Sequence[Term]],
        *,
        who: str,
        action: str,
        detail: str = "",
        keep_if_unchanged: bool = False,
    ) -> tuple[Termbase, Change]:
        """Run `edit` on the current entries and store the result as a new version, atomically.

        `keep_if_unchanged`: when the edit changes no entry, store nothing and keep the version
        (the change returned holds the current version and no entries)."""
        key = _PREFIX + brand
        for _ in range(_MAX_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    current = (
                        Termbase(brand)
                        if raw is None
                        else Termbase(brand, json.loads(raw)["version"], _load_terms(json.loads(raw)["terms"]))
                    )
                    after = tuple(edit(current.terms))
                    dupes = find_duplicates(after)
                    if dupes:
                        first, second = dupes[0]
                        raise DuplicateTerm(
                            f"duplicate entry: {second.kind} {second.source!r}"
                            f" ({second.source_lang or 'any'}→{second.target_lang or 'any'}) already exists"
                            f" with id {first.id}"
                        )
                    added, removed, changed = diff(current.terms, after)
                    if keep_if_unchanged and not (added or removed or changed):
                        await pipe.reset()
                        return current, Change(current.version, who, time.time(), action, detail="no change")
                    version = current.version + 1
                    change = Change(
                        version, who, time.time(), action, tuple(added), tuple(removed), tuple(changed), detail
                    )
                    terms_json = _terms_json(after)
                    pipe.multi()
                    pipe.set(key, json.dumps({"version": version, "terms": terms_json}))
                    pipe.set(key + ":version", version)
                    pipe.hset(key + ":log", str(version), json.dumps(change.to_dict()))
                    pipe.set(f"{key}:v:{version}", zlib.compress(json.dumps(terms_json).encode()))
                    await pipe.execute()
                    return Termbase(brand, version, after), change
                except WatchError:
                    continue
        raise GlossaryError("the glossary is being changed by others right now; try again")

    async def add(self, brand: str, term: Term, who: str) -> tuple[Termbase, Change]:
        return await self.apply(brand, lambda terms: (*terms, term), who=who, action="add")

    async def update(self, brand: str, term: Term, who: str) -> tuple[Termbase, Change]:
        def edit(terms: tuple[Term, ...]) -> list[Term]:
            if not any(t.id == term.id for t in terms):
                raise TermNotFound(term.id)
            return [term if t.id == term.id else t for t in terms]

        return await self.apply(brand, edit, who=who, action="update", keep_if_unchanged=True)

    async def delete(self, brand: str, term_id: str, who: str) -> tuple[Termbase, Change]:
        def edit(terms: tuple[Term, ...]) -> list[Term]:
            if not any(t.id == term_id for t in terms):
                raise TermNotFound(term_id)
            return [t for t in terms if t.id != term_id]

        return await self.apply(brand, edit, who=who, action="delete")

    async def import_terms(self, brand: str, new: Sequence[Term], mode: str, who: str) -> tuple[Termbase, Change]:
        """`replace` swaps the whole termbase; `merge` adds new entries and updates those with the same key.

        An entry with the key of an existing one keeps that entry's id, so its history follows it
        across imports, and importing an unchanged file stores nothing (the version stays)."""

        def edit(terms: tuple[Term, ...]) -> list[Term]:
            old_by_key = {t.key: t for t in terms}
            by_key = {} if mode == "replace" else dict(old_by_key)
            file_ids = {t.id for t in new}
            for t in new:
                old = old_by_key.get(t.key)
                # An id another entry of the file holds stays with that entry.
                keep = old is not None and (old.id == t.id or old.id not in file_ids)
                by_key[t.key] = Term(**{**t.to_dict(), "id": old.id, "variants": t.variants}) if keep else t
            return list(by_key.values())

        return await self.apply(
            brand, edit, who=who, action=f"import-{mode}", detail=f"{len(new)} entries", keep_if_unchanged=True
        )

    async def changes(self, brand: str, offset: int = 0, limit: int = 50) -> tuple[int, list[Change]]:
        log = await self.redis.hgetall(_PREFIX + brand + ":log")
        records = sorted((Change.from_dict(json.loads(v)) for v in log.values()), key=lambda c: -c.version)
        return len(records), records[offset : offset + limit]

    async def restore(self, brand: str, version: int, who: str) -> tuple[Termbase, Change]:
        raw = await self.redis.get(f"{_PREFIX}{brand}:v:{version}")
        if raw is None:
            raise VersionNotFound(version)
        old = _load_terms(json.loads(zlib.decompress(raw)))
        return await self.apply(brand, lambda _: old, who=who, action="restore", detail=f"restored version {version}")

    async def drop(self, brand: str) -> None:
        keys = [k async for k in self.redis.scan_iter(match=f"{_PREFIX}{brand}:v:*")]
        await self.redis.delete(_PREFIX + brand, _PREFIX + brand + ":log", _PREFIX + brand + ":version", *keys)
