"""The termbase store on a real Redis: versions, change records, restore, concurrent writers."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from glossary.errors import InvalidTerm
from glossary.store import TermbaseStore, TermNotFound, VersionNotFound
from glossary.terms import make_term


@pytest.fixture
async def store(redis_url):
    client = Redis.from_url(redis_url)
    yield TermbaseStore(client)
    await client.aclose()


def dnt(source: str):
    return make_term({"kind": "dnt", "source": source})


def term(source: str, target: str):
    return make_term({"kind": "term", "source": source, "target": target, "source_lang": "en", "target_lang": "es"})


async def test_every_change_is_a_version_with_who_and_what(store):
    tb, _ = await store.add("acme", dnt("Shop Pay"), who="ana")
    assert (tb.version, len(tb.terms)) == (1, 1)
    order = term("order", "pedido")
    tb, _ = await store.add("acme", order, who="ana")
    edited = make_term({**order.to_dict(), "target": "encargo"})
    tb, change = await store.update("acme", edited, who="bob")
    assert (
        tb.version == 3 and change.changed[0][0]["target"] == "pedido" and change.changed[0][1]["target"] == "encargo"
    )
    tb, change = await store.delete("acme", order.id, who="bob")
    assert tb.version == 4 and change.removed[0]["source"] == "order"
    total, changes = await store.changes("acme")
    assert total == 4
    assert [(c.version, c.who, c.action) for c in changes] == [
        (4, "bob", "delete"),
        (3, "bob", "update"),
        (2, "ana", "add"),
        (1, "ana", "add"),
    ]
    assert await store.version("acme") == 4


async def test_restore_an_earlier_version(store):
    await store.add("acme", dnt("Shop Pay"), who="ana")
    await store.add("acme", dnt("West Path"), who="ana")
    await store.import_terms("acme", [dnt("HOLIDAY25")], "replace", who="ana")
    assert [t.source for t in (await store.get("acme")).terms] == ["HOLIDAY25"]
    tb, change = await store.restore("acme", 2, who="bob")
    assert tb.version == 4 and sorted(t.source for t in tb.terms) == ["Shop Pay", "West Path"]
    assert change.action == "restore" and "version 2" in change.detail
    with pytest.raises(VersionNotFound):
        await store.restore("acme", 99, who="bob")


async def test_duplicates_and_missing_entries_are_refused(store):
    await store.add("acme", term("order", "pedido"), who="ana")
    with pytest.raises(InvalidTerm, match="duplicate entry: term 'Order'"):
        await store.add("acme", term("Order", "orden"), who="ana")
    with pytest.raises(TermNotFound):
        await store.delete("acme", "nope", who="ana")
    assert (await store.get("acme")).version == 1


async def test_merge_import_keeps_ids_and_updates_by_key(store):
    tb, _ = await store.add("acme", term("order", "pedido"), who="ana")
    first_id = tb.terms[0].id
    tb, change = await store.import_terms("acme", [term("order", "encargo"), dnt("Shop Pay")], "merge", who="ana")
    by_source = {t.source: t for t in tb.terms}
    assert by_source["order"].id == first_id and by_source["order"].target == "encargo"
    assert len(change.added) == 1 and len(change.changed) == 1


async def test_concurrent_writers_lose_nothing(store):
    await asyncio.gather(*(store.add("acme", dnt(f"Brand{i}"), who=f"w{i}") for i in range(20)))
    tb = await store.get("acme")
    assert tb.version == 20 and len(tb.terms) == 20


async def test_drop_removes_everything(store):
    await store.add("acme", dnt("Shop Pay"), who="ana")
    await store.drop("acme")
    assert (await store.get("acme")).version == 0
    assert await store.version("acme") == 0
    assert (await store.changes("acme"))[0] == 0
