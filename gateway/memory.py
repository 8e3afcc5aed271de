"""Translation memory: approved translations per brand and language pair, reused next time.

Entries are keyed by the source after protection (glossary/protect.py), so "Your order #123 has
shipped" and "Your order #456 has shipped" share one entry: the stored target keeps ⟦n⟧
placeholders and a hit is restored with the new message's own numbers, URLs and names.

Redis, per brand and pair:
  tonegate:tm:{brand}:{src}-{tgt}          hash  key digest -> JSON entry
  tonegate:tm:{brand}:{src}-{tgt}:version  counter, bumped on every change (fuzzy-index cache)
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rapidfuzz import fuzz, process
from redis.asyncio import Redis

from glossary.protect import Masked, protect, restore

_PREFIX = "tonegate:tm:"
_SPACE = re.compile(r"\s+")
# Fuzzy suggestions below this similarity (0-100) are noise to an editor.
FUZZY_MIN = 85.0


@dataclass(frozen=True, slots=True)
class MemoryEntry:
    id: str
    source: str
    target: str
    masked_source: str
    masked_target: str
    who: str
    at: float
    origin: str  # "review" | "import" | "api" | "bulk"


@dataclass(frozen=True, slots=True)
class Suggestion:
    entry: MemoryEntry
    score: float  # rapidfuzz ratio, 0-100
    text: str  # the entry's target with this message's protected spans put in


def normalise(masked_text: str) -> str:
    """What two sources must share to be the same segment: whitespace and case of the first letter aside."""
    text = _SPACE.sub(" ", masked_text).strip()
    return text[:1].lower() + text[1:]


def _digest(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def _masked_target(source_mask: Masked, target: str) -> str | None:
    """Mask the target with the source's protected spans, so it can be reused with other values.

    Returns None when a span of the source is not found verbatim in the target (then the pair
    is stored for exact reuse only)."""
    out = target
    for span in sorted(source_mask.spans, key=lambda s: -len(s.text)):
        if span.kind == "markup" or span.text not in out:
            return None
        out = out.replace(span.text, f"\u27e6{span.index}\u27e7", 1)
    return out


class TranslationMemory:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._fuzzy_lock = threading.Lock()
        self._fuzzy: dict[str, tuple[int, list[str], list[MemoryEntry]]] = {}

    @staticmethod
    def _key(brand: str, source_lang: str, target_lang: str) -> str:
        return f"{_PREFIX}{brand}:{source_lang}-{target_lang}"

    async def add(
        self, brand: str, source_lang: str, target_lang: str, source: str, target: str, *, who: str, origin: str
    ) -> MemoryEntry:
        masked = protect(source)
        masked_target = _masked_target(masked, target)
        key = normalise(masked.text) if masked_target is not None else normalise(source)
        entry = MemoryEntry(
            id=_digest(key),
            source=source,
            target=target,
            masked_source=key,
            masked_target=masked_target if masked_target is not None else target,
            who=who,
            at=time.time(),
            origin=origin,
        )
        rkey = self._key(brand, source_lang, target_lang)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(rkey, entry.id, json.dumps(asdict(entry)))
            pipe.incr(rkey + ":version")
            await pipe.execute()
        return entry

    async def add_many(
        self, brand: str, source_lang: str, target_lang: str, pairs: Sequence[tuple[str, str]], *, who: str, origin: str
    ) -> int:
        for source, target in pairs:
            await self.add(brand, source_lang, target_lang, source, target, who=who, origin=origin)
        return len(pairs)

    async def exact(self, brand: str, source_lang: str, target_lang: str, text: str) -> str | None:
        """The remembered translation of this text, with its own protected spans restored; None if none."""
        masked = protect(text)
        rkey = self._key(brand, source_lang, target_lang)
        keys = list(dict.fromkeys((normalise(masked.text), normalise(text))))
        found = await self.redis.hmget(rkey, [_digest(k) for k in keys])  # one round trip for both
        for key, raw in zip(keys, found, strict=True):
            if raw is None:
                continue
            entry = MemoryEntry(**json.loads(raw))
            if entry.masked_source != key:
                continue  # a digest collision: never reuse the wrong segment
            if "\u27e6" in entry.masked_target:
                restored = restore(entry.masked_target, masked)
                if not restored.lost and not restored.duplicated:
                    return restored.text
            elif not masked.spans or key == normalise(text):
                return entry.target
        return None

    async def entries(self, brand: str, source_lang: str, target_lang: str) -> list[MemoryEntry]:
        raw = await self.redis.hgetall(self._key(brand, source_lang, target_lang))
        return sorted((MemoryEntry(**json.loads(v)) for v in raw.values()), key=lambda e: e.source.casefold())

    async def pairs(self, brand: str) -> list[tuple[str, str]]:
        prefix = f"{_PREFIX}{brand}:"
        found = []
        async for k in self.redis.scan_iter(match=prefix + "*"):
            name = k.decode() if isinstance(k, bytes) else k
            if not name.endswith(":version"):
                src, _, tgt = name.removeprefix(prefix).partition("-")
                found.append((src, tgt))
        return sorted(found)

    async def delete(self, brand: str, source_lang: str, target_lang: str, entry_id: str) -> bool:
        rkey = self._key(brand, source_lang, target_lang)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(rkey, entry_id)
            pipe.incr(rkey + ":version")
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def suggest(
        self, brand: str, source_lang: str, target_lang: str, text: str, limit: int = 5
    ) -> list[Suggestion]:
        """Fuzzy matches (≥ FUZZY_MIN) for an editor, best first."""
        import anyio

        rkey = self._key(brand, source_lang, target_lang)
        version = int(await self.redis.get(rkey + ":version") or 0)
        with self._fuzzy_lock:
            cached = self._fuzzy.get(rkey)
        if cached is None or cached[0] != version:
            entries = await self.entries(brand, source_lang, target_lang)
            cached = (version, [e.masked_source for e in entries], entries)
            with self._fuzzy_lock:
                self._fuzzy[rkey] = cached
        _, choices, entries = cached
        masked = protect(text)
        query = normalise(masked.text)
        hits = await anyio.to_thread.run_sync(
            lambda: process.extract(query, choices, scorer=fuzz.ratio, limit=limit, score_cutoff=FUZZY_MIN)
        )
        out = []
        for _, score, index in hits:
            entry = entries[index]
            restored = restore(entry.masked_target, masked) if entry.masked_target != entry.target else None
            usable = restored.text if restored and not restored.lost and not restored.duplicated else entry.target
            out.append(Suggestion(entry, round(score, 1), usable))
        return out

    async def drop(self, brand: str) -> None:
        keys = [k async for k in self.redis.scan_iter(match=f"{_PREFIX}{brand}:*")]
        if keys:
            await self.redis.delete(*keys)
