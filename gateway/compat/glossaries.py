"""DeepL glossaries kept as the gateway's own termbases.

A glossary (v2: one dictionary; v3: several language pairs) is a brand named `deepl-<id>` whose
termbase holds its entries as `term` entries, so it is versioned, audited and editable in the web
app like any brand glossary, and translation applies it through the one pipeline. Its DeepL
metadata (name, creation time, creator, dictionaries) lives beside it in Redis.
"""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from redis.asyncio import Redis

from gateway.brands import Brand, BrandStore
from gateway.errors import BadRequest, NotFound
from gateway.keys import ApiKey
from glossary.store import TermbaseStore
from glossary.terms import Term, find_duplicates, make_term

_KEY = "tonegate:compat:deepl-glossary:"
_INDEX = "tonegate:compat:deepl-glossaries"
BRAND_PREFIX = "deepl-"
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Dictionary:
    source_lang: str
    target_lang: str
    entry_count: int = 0


@dataclass(frozen=True, slots=True)
class GlossaryRecord:
    id: str
    name: str
    created_at: float
    created_by: str  # the key id that created it
    pairs: tuple[tuple[str, str], ...] = ()
    dictionaries: tuple[Dictionary, ...] = field(default=())
    # The creating key's brands (None: an all-brands key): who else may see and use it.
    owner_brands: tuple[str, ...] | None = None

    def visible_to(self, key: ApiKey) -> bool:
        """A brand's key sees the glossaries its brands' keys made; an all-brands key sees all."""
        return key.brands is None or (self.owner_brands is not None and any(map(key.sees, self.owner_brands)))

    @property
    def brand(self) -> str:
        return BRAND_PREFIX + self.id

    def has(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs


def parse_entries(text: str, fmt: str) -> list[tuple[str, str]]:
    """DeepL's entry formats: TSV (`source<TAB>target` per line) or CSV (`source,target[,src,tgt]`)."""
    if fmt not in ("tsv", "csv"):
        raise BadRequest(f"Value for 'entries_format' not supported: {fmt!r} (use tsv or csv)")
    rows: list[list[str]]
    if fmt == "tsv":
        rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    else:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    entries: list[tuple[str, str]] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if len(row) < 2 or (fmt == "tsv" and len(row) != 2):
            raise BadRequest(f"Invalid glossary entries provided: line {n} needs a source and a target")
        source, target = row[0].strip(), row[1].strip()
        if not source or not target:
            raise BadRequest(f"Invalid glossary entries provided: line {n} has an empty source or target")
        if source in seen:
            raise BadRequest(f"Invalid glossary entries provided: duplicate source {source!r} (line {n})")
        seen.add(source)
        entries.append((source, target))
    if len(entries) > MAX_ENTRIES:
        raise BadRequest(f"Invalid glossary entries provided: at most {MAX_ENTRIES} entries")
    return entries


def _no_duplicates(terms: Sequence[Term]) -> None:
    """Entries that differ only in case are one term to the gateway (it matches case-insensitively)."""
    dupes = find_duplicates(terms)
    if dupes:
        first, second = dupes[0]
        raise BadRequest(
            f"Invalid glossary entries provided: {first.source!r} and {second.source!r} differ only in case"
        )


def to_tsv(entries: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{s}\t{t}" for s, t in entries)


def _terms(entries: Sequence[tuple[str, str]], source: str, target: str) -> list[Term]:
    # Matched case-insensitively (the gateway's default for terms): 'Account' at a sentence start is still the term.
    return [
        make_term(
            {"kind": "term", "source": s, "target": t, "source_lang": source, "target_lang": target},
        )
        for s, t in entries
    ]


class DeepLGlossaries:
    def __init__(self, redis: Redis, brands: BrandStore, termbases: TermbaseStore) -> None:
        self.redis = redis
        self.brands = brands
        self.termbases = termbases

    async def create(
        self, name: str, dictionaries: Sequence[tuple[str, str, list[tuple[str, str]]]], owner: ApiKey
    ) -> GlossaryRecord:
        created_by = owner.id
        record = GlossaryRecord(
            id=str(uuid.uuid4()),
            name=name,
            created_at=time.time(),
            created_by=created_by,
            pairs=tuple((s, t) for s, t, _ in dictionaries),
            owner_brands=owner.brands,
        )
        terms = [term for s, t, entries in dictionaries for term in _terms(entries, s, t)]
        _no_duplicates(terms)  # before anything is written
        langs = list(dict.fromkeys(lang for s, t, _ in dictionaries for lang in (s, t)))
        await self.brands.put(Brand(name=record.brand, display_name=f"DeepL glossary: {name}"[:200], languages=langs))
        await self.termbases.import_terms(record.brand, terms, "replace", who=f"key:{created_by} (DeepL API)")
        await self._save(record)
        return await self._counted(record)

    async def get(self, glossary_id: str, viewer: ApiKey) -> GlossaryRecord:
        """The glossary, if the key may see it: another brand's answers as a missing one."""
        raw = await self.redis.get(_KEY + glossary_id)
        record = self._load(raw) if raw is not None else None
        if record is None or not record.visible_to(viewer):
            raise NotFound(f"Glossary not found: {glossary_id}")
        return await self._counted(record)

    async def list(self, viewer: ApiKey) -> list[GlossaryRecord]:
        ids = sorted(i.decode() if isinstance(i, bytes) else i for i in await self.redis.smembers(_INDEX))
        raws = await self.redis.mget([_KEY + i for i in ids]) if ids else []
        records = sorted((self._load(r) for r in raws if r), key=lambda r: r.created_at)
        return [await self._counted(r) for r in records if r.visible_to(viewer)]

    async def entries(self, record: GlossaryRecord, source: str, target: str) -> list[tuple[str, str]]:
        termbase = await self.termbases.get(record.brand)
        return [
            (t.source, t.target or "")
            for t in termbase.terms
            if t.kind == "term" and t.source_lang == source and t.target_lang == target
        ]

    async def put_dictionary(
        self, record: GlossaryRecord, source: str, target: str, entries: list[tuple[str, str]], *, merge: bool, who: str
    ) -> GlossaryRecord:
        """Replace (or, with `merge`, add to and update) one language pair's entries."""
        new = _terms(entries, source, target)
        _no_duplicates(new)

        def edit(terms: tuple[Term, ...]) -> list[Term]:
            mine = [t for t in terms if t.source_lang == source and t.target_lang == target]
            others = [t for t in terms if not (t.source_lang == source and t.target_lang == target)]
            if not merge:
                return [*others, *new]
            by_source = {t.source: t for t in mine}
            for t in new:
                old = by_source.get(t.source)
                by_source[t.source] = Term(**{**t.to_dict(), "id": old.id, "variants": ()}) if old else t
            return [*others, *by_source.values()]

        await self.termbases.apply(record.brand, edit, who=who, action="import-merge" if merge else "import-replace")
        if not record.has(source, target):
            record = GlossaryRecord(**{**_fields(record), "pairs": (*record.pairs, (source, target))})
            await self._save(record)
        return await self._counted(record)

    async def delete_dictionary(self, record: GlossaryRecord, source: str, target: str, who: str) -> None:
        if not record.has(source, target):
            raise NotFound(f"Glossary dictionary not found: {source}-{target}")
        await self.termbases.apply(
            record.brand,
            lambda terms: [t for t in terms if not (t.source_lang == source and t.target_lang == target)],
            who=who,
            action="delete",
            detail=f"DeepL dictionary {source}-{target}",
        )
        pairs = tuple(p for p in record.pairs if p != (source, target))
        await self._save(GlossaryRecord(**{**_fields(record), "pairs": pairs}))

    async def rename(self, record: GlossaryRecord, name: str) -> GlossaryRecord:
        record = GlossaryRecord(**{**_fields(record), "name": name})
        await self._save(record)
        return await self._counted(record)

    async def delete(self, record: GlossaryRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(_KEY + record.id)
            pipe.srem(_INDEX, record.id)
            await pipe.execute()
        await self.brands.delete(record.brand)
        await self.termbases.drop(record.brand)

    async def _save(self, record: GlossaryRecord) -> None:
        data = _fields(record)
        data["pairs"] = [list(p) for p in record.pairs]
        data["owner_brands"] = None if record.owner_brands is None else list(record.owner_brands)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_KEY + record.id, json.dumps(data))
            pipe.sadd(_INDEX, record.id)
            await pipe.execute()

    async def _counted(self, record: GlossaryRecord) -> GlossaryRecord:
        termbase = await self.termbases.get(record.brand)
        counts = {pair: 0 for pair in record.pairs}
        for t in termbase.terms:
            pair = (t.source_lang, t.target_lang)
            if pair in counts:
                counts[pair] += 1  # type: ignore[index]
        return GlossaryRecord(
            **{**_fields(record), "dictionaries": tuple(Dictionary(s, t, counts[(s, t)]) for s, t in record.pairs)}
        )

    @staticmethod
    def _load(raw: bytes | str) -> GlossaryRecord:
        d = json.loads(raw)
        return GlossaryRecord(
            id=d["id"],
            name=d["name"],
            created_at=d["created_at"],
            created_by=d["created_by"],
            pairs=tuple((s, t) for s, t in d["pairs"]),
            owner_brands=None if d.get("owner_brands") is None else tuple(d["owner_brands"]),
        )


def _fields(record: GlossaryRecord) -> dict:
    data = asdict(record)
    data.pop("dictionaries")
    data["pairs"] = tuple(tuple(p) for p in record.pairs)
    return data
