"""Translation memory on a real Redis: exact reuse with new numbers, fuzzy suggestions, TMX."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from gateway.memory import TranslationMemory
from glossary.errors import ImportFailed
from glossary.tmx import Unit, parse_tmx, write_tmx


@pytest.fixture
async def memory(redis_url):
    client = Redis.from_url(redis_url)
    yield TranslationMemory(client)
    await client.aclose()


async def test_exact_match_reuses_the_translation_with_the_new_messages_values(memory):
    await memory.add(
        "acme",
        "en",
        "es",
        "Your order #48213 has shipped.",
        "Su pedido #48213 ha sido enviado.",
        who="ana",
        origin="review",
    )
    assert (
        await memory.exact("acme", "en", "es", "Your order #48213 has shipped.") == "Su pedido #48213 ha sido enviado."
    )
    # Same segment, other number, other spacing: still a hit, with this message's number.
    assert (
        await memory.exact("acme", "en", "es", "Your  order #99120 has shipped.") == "Su pedido #99120 ha sido enviado."
    )
    assert await memory.exact("acme", "en", "es", "Your order #1 has shipped today.") is None
    assert await memory.exact("other", "en", "es", "Your order #48213 has shipped.") is None
    assert await memory.exact("acme", "en", "fr", "Your order #48213 has shipped.") is None


async def test_a_target_without_the_sources_values_is_reused_only_verbatim(memory):
    await memory.add("acme", "en", "es", "Call us at +1 555 010 9999.", "Llámenos.", who="ana", origin="api")
    assert await memory.exact("acme", "en", "es", "Call us at +1 555 010 9999.") == "Llámenos."
    assert await memory.exact("acme", "en", "es", "Call us at +1 555 010 0000.") is None


async def test_fuzzy_suggestions_above_85(memory):
    await memory.add(
        "acme",
        "en",
        "es",
        "Your refund has been processed today.",
        "Su reembolso ha sido procesado hoy.",
        who="ana",
        origin="review",
    )
    await memory.add(
        "acme", "en", "es", "Thank you for your patience.", "Gracias por su paciencia.", who="ana", origin="review"
    )
    found = await memory.suggest("acme", "en", "es", "Your refund has been processed.")
    assert [s.entry.target for s in found] == ["Su reembolso ha sido procesado hoy."]
    assert 85 <= found[0].score < 100
    assert await memory.suggest("acme", "en", "es", "Where is my parcel?") == []


async def test_entries_list_and_delete(memory):
    e = await memory.add("acme", "en", "es", "Hello.", "Hola.", who="ana", origin="api")
    assert [x.id for x in await memory.entries("acme", "en", "es")] == [e.id]
    assert await memory.pairs("acme") == [("en", "es")]
    assert await memory.delete("acme", "en", "es", e.id)
    assert await memory.exact("acme", "en", "es", "Hello.") is None


def test_tmx_round_trip_and_errors():
    units = [Unit("en", "es", "Hello & welcome <3", "Hola y bienvenido <3"), Unit("en", "es", "Bye.", "Adiós.")]
    text = write_tmx(units, "en")
    assert parse_tmx(text.encode()) == units
    bad = text.replace('xml:lang="es"', 'xml:lang="klingon"', 1).encode()
    with pytest.raises(ImportFailed, match="unknown language 'klingon'"):
        parse_tmx(bad)
    with pytest.raises(ImportFailed, match="malformed XML"):
        parse_tmx(b"<tmx><body>")
    evil = b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY x "boom">]><tmx><body></body></tmx>'
    with pytest.raises(ImportFailed, match="entity declarations"):
        parse_tmx(evil)
