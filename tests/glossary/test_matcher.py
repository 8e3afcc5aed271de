"""CompiledTermbase and TermbaseCache: whole words, case rules, offsets, languages, and big termbases."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary.matcher import CompiledTermbase, TermbaseCache, TermMatch, fold
from glossary.terms import Term, Termbase, make_term


def entry(kind: str, source: str, target: str | None = None, **kw: object) -> Term:
    return make_term({"kind": kind, "source": source, "target": target, **kw})


def compiled(*terms: Term, version: int = 1) -> CompiledTermbase:
    return CompiledTermbase.compile(Termbase("acme", version, terms))


def spans(matches: Sequence[TermMatch]) -> list[tuple[int, int, str]]:
    return [(m.start, m.end, m.text) for m in matches]


SHOP_PAY = entry("dnt", "Shop Pay")
REAMAZE = entry("dnt", "Re:amaze")
HOLIDAY = entry("dnt", "HOLIDAY25")
ORDER = entry("term", "order", "pedido", source_lang="en", target_lang="es", variants=["pedidos"])
REFUND = entry("term", "Refund", "Reembolso", source_lang="en", target_lang="es", case_sensitive=True)
CESTA = entry("forbidden", "cesta", "carrito", target_lang="es")
BASE = compiled(SHOP_PAY, REAMAZE, HOLIDAY, ORDER, REFUND, CESTA)


def test_dnt_entries_match_whole_words_with_punctuation_inside() -> None:
    text = "Pay with Shop Pay (not Shop Payment) on Re:amaze, code HOLIDAY25."
    found = BASE.source_matches(text, "en", "es")
    assert spans(found) == [(9, 17, "Shop Pay"), (40, 48, "Re:amaze"), (55, 64, "HOLIDAY25")]
    assert [m.term for m in found] == [SHOP_PAY, REAMAZE, HOLIDAY]


def test_dnt_is_case_sensitive_by_default_and_term_is_not() -> None:
    found = BASE.source_matches("holiday25 shop pay ORDER Order", "en", "es")
    assert spans(found) == [(19, 24, "ORDER"), (25, 30, "Order")]
    assert all(m.term is ORDER for m in found)


def test_case_sensitive_term_needs_the_exact_spelling() -> None:
    assert spans(BASE.source_matches("Refund or refund or REFUND", "en", "es")) == [(0, 6, "Refund")]


@pytest.mark.parametrize(
    "text",
    ["reorder", "orders", "order2", "_order", "orderé", "order\u0301"],  # last: a combining accent joins the word
)
def test_no_match_inside_longer_words(text: str) -> None:
    assert BASE.source_matches(text, "en", "es") == []


def test_punctuation_and_line_edges_are_boundaries() -> None:
    text = "order\n(order) «order» order."
    assert [m.start for m in BASE.source_matches(text, "en", "es")] == [0, 7, 15, 22]


def test_term_entries_apply_to_their_language_pair_only() -> None:
    text = "Your order with Shop Pay"
    assert [m.term for m in BASE.source_matches(text, "en", "de")] == [SHOP_PAY]
    assert [m.term for m in BASE.source_matches(text, "fr", "es")] == [SHOP_PAY]  # any-language dnt still applies
    assert [m.term for m in BASE.source_matches(text, "EN", "es-MX")] == [ORDER, SHOP_PAY]  # codes normalized


def test_dnt_restricted_to_languages() -> None:
    only_de = entry("dnt", "Kundenkarte", source_lang="de")
    de_to_en = entry("dnt", "Gutschein", source_lang="de", target_lang="en")
    base = compiled(only_de, de_to_en)
    text = "Kundenkarte und Gutschein"
    assert [m.term for m in base.source_matches(text, "de", "en")] == [only_de, de_to_en]
    assert [m.term for m in base.source_matches(text, "de", "fr")] == [only_de]
    assert base.source_matches(text, "en", "fr") == []


def test_leftmost_longest_without_overlaps() -> None:
    shop = entry("dnt", "Shop")
    new_york = entry("dnt", "New York")
    york_city = entry("dnt", "York City")
    base = compiled(shop, SHOP_PAY, new_york, york_city)
    found = base.source_matches("Shop Pay in New York City", "en", "es")
    assert [(m.text, m.term) for m in found] == [("Shop Pay", SHOP_PAY), ("New York", new_york)]
    # When the longer one is not a whole word, the shorter one still counts.
    assert [m.term for m in base.source_matches("Shop Payment", "en", "es")] == [shop]


def test_exact_case_entry_wins_over_case_insensitive_one_for_the_same_words() -> None:
    brand = entry("dnt", "Apple")
    fruit = entry("term", "apple", "manzana", source_lang="en", target_lang="es")
    base = compiled(fruit, brand)
    assert [m.term for m in base.source_matches("Apple sells no apple", "en", "es")] == [brand, fruit]


def test_offsets_stay_right_when_case_folding_changes_length() -> None:
    street = entry("term", "Straße", "street", source_lang="de", target_lang="en")
    istanbul = entry("term", "istanbul", "Istanbul", source_lang="tr", target_lang="en")
    base = compiled(street, istanbul, entry("dnt", "SS"))
    text = "ßß İİ Die STRASSE, die straße und Straße."
    assert spans(base.source_matches(text, "de", "en")) == [(10, 17, "STRASSE"), (23, 29, "straße"), (34, 40, "Straße")]
    # "ß" folds to "ss": the dnt "SS" must not match half of it, nor "ßß".
    assert base.source_matches("ß ßß", "de", "en") == []
    # "İ" counts as "i" (Unicode alone would fold it to "i" + a combining dot).
    assert spans(base.source_matches("İİ order İSTANBUL istanbul", "tr", "en")) == [
        (9, 17, "İSTANBUL"),
        (18, 26, "istanbul"),
    ]


def test_fold_maps_every_folded_character_to_its_source() -> None:
    assert fold("Abc") == ("abc", None)
    assert fold("aßİ") == ("assi", [0, 1, 1, 2])


def test_scripts_without_spaces_need_no_word_gap() -> None:
    pay = entry("dnt", "Shop Pay")
    cart = entry("term", "カート", "cart", source_lang="ja", target_lang="en")
    base = compiled(pay, cart)
    assert spans(base.source_matches("Shop Payでお支払い、カートに入れる", "ja", "en")) == [
        (0, 8, "Shop Pay"),
        (14, 17, "カート"),
    ]
    assert spans(base.source_matches("Buyカート", "ja", "en")) == [(3, 6, "カート")]
    assert base.source_matches("Shop Payment", "ja", "en") == []


def test_forbidden_matches_per_target_language() -> None:
    assert spans(BASE.forbidden_matches("La Cesta, las cestas y la cesta.", "es")) == [
        (3, 8, "Cesta"),
        (26, 31, "cesta"),
    ]
    assert BASE.forbidden_matches("La cesta", "de") == []
    assert BASE.forbidden_matches("La cesta", "es")[0].term.target == "carrito"


def test_target_present_checks_target_and_variants_as_whole_words() -> None:
    assert BASE.target_present("Su Pedido llegó", ORDER)
    assert BASE.target_present("Sus pedidos llegaron", ORDER)
    assert not BASE.target_present("Sus pedidosx", ORDER)
    assert not BASE.target_present("", ORDER)
    assert BASE.target_present("El Reembolso", REFUND)
    assert not BASE.target_present("El reembolso", REFUND)
    assert BASE.target_present("Pague con Shop Pay.", SHOP_PAY)
    assert not BASE.target_present("Pague con shop pay.", SHOP_PAY)
    assert BASE.target_present("Die Straße", entry("term", "street", "STRASSE", source_lang="en", target_lang="de"))


def test_empty_termbase_and_empty_text() -> None:
    base = compiled()
    assert base.source_matches("anything", "en", "es") == []
    assert base.forbidden_matches("anything", "es") == []
    assert BASE.source_matches("", "en", "es") == []
    assert (BASE.brand, BASE.version, BASE.entries) == ("acme", 1, 6)


# A reference built on the regex module's full case folding, for random small termbases.
_WORD = r"[\p{L}\p{M}\p{N}_]"


def oracle(terms: Sequence[Term], text: str) -> list[tuple[int, int]]:
    alternatives = sorted(terms, key=lambda t: -len(t.source.casefold()))
    if not alternatives:
        return []
    # Globally case-insensitive with exact-case islands: the regex module's scoped "(?i:ß)" misses "ß".
    body = "|".join(
        f"(?-i:{regex.escape(t.source)})" if t.case_sensitive else regex.escape(t.source) for t in alternatives
    )
    pattern = regex.compile(rf"(?<!{_WORD})(?:{body})(?!{_WORD})", regex.IGNORECASE | regex.FULLCASE | regex.V1)
    return [m.span() for m in pattern.finditer(text, overlapped=False)]


_ALPHABET = "abAB ßSsİi-:"
_SOURCES = st.text(alphabet=_ALPHABET, min_size=1, max_size=4).filter(lambda s: s.strip() == s and bool(s.strip()))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_SOURCES, st.booleans()), min_size=1, max_size=6, unique_by=lambda x: x[0].casefold()),
    st.text(alphabet=_ALPHABET + ".", max_size=24),
)
def test_matches_agree_with_a_regex_reference(sources: list[tuple[str, bool]], text: str) -> None:
    terms = [entry("dnt", s, case_sensitive=cs) for s, cs in sources]
    found = compiled(*terms).source_matches(text, "en", "es")
    assert [(m.start, m.end) for m in found] == oracle(terms, text)
    for m in found:
        assert text[m.start : m.end] == m.text
        assert fold(m.text)[0] == fold(m.term.source)[0]


def big_termbase(n: int, seed: int = 0) -> list[Term]:
    """n entries over invented words: a quarter dnt, half term (en→es), a quarter forbidden (es)."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qu", "br", "ch"]
    vocab = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(4 * n)})
    terms: list[Term] = []
    seen: set[str] = set()
    while len(terms) < n:
        words = " ".join(rng.choices(vocab, k=rng.choice([1, 1, 2, 3])))
        if words.casefold() in seen:
            continue
        seen.add(words.casefold())
        k = len(terms) % 4
        if k == 0:
            terms.append(entry("dnt", words.title() + f" {len(terms)}"))
        elif k == 3:
            terms.append(entry("forbidden", words, words + "x", target_lang="es"))
        else:
            terms.append(entry("term", words, words.upper(), source_lang="en", target_lang="es"))
    return terms


def test_ten_thousand_entries_are_all_found_where_planted() -> None:
    terms = big_termbase(10_000)
    base = compiled(*terms)
    rng = random.Random(1)
    source_kinds = [t for t in terms if t.kind != "forbidden"]
    for _ in range(300):
        planted = rng.sample(source_kinds, 3)
        parts, expected = [], []
        at = 0
        for t in planted:
            filler = "«filler» " if rng.random() < 0.5 else "filler, "
            surface = t.source if t.case_sensitive else rng.choice([t.source, t.source.upper()])
            parts.append(filler + surface + " ")
            expected.append((at + len(filler), at + len(filler) + len(surface)))
            at += len(filler) + len(surface) + 1
        text = "".join(parts)
        found = base.source_matches(text, "en", "es")
        # A planted entry may be found as a longer entry that happens to span it and its neighbours:
        # every planted span must be covered by exactly one match, and every match must be a real entry.
        for start, end in expected:
            assert sum(m.start <= start and end <= m.end for m in found) == 1, (text, found)
        for m in found:
            assert fold(m.text)[0] == fold(m.term.source)[0]
    forbidden = [t for t in terms if t.kind == "forbidden"]
    for t in rng.sample(forbidden, 100):
        found = base.forbidden_matches(f"no {t.source}!", "es")
        assert [m.term for m in found] == [t]
    assert base.entries == 10_000


def test_cache_returns_the_same_compiled_termbase_until_the_version_changes() -> None:
    cache = TermbaseCache(maxsize=2)
    v1 = Termbase("acme", 1, (SHOP_PAY,))
    first = cache.get(v1)
    assert cache.get(Termbase("acme", 1, (SHOP_PAY,))) is first
    v2 = cache.get(Termbase("acme", 2, (SHOP_PAY, ORDER)))
    assert v2 is not first and v2.version == 2 and v2.entries == 2
    assert len(cache) == 1  # the older version of the brand is gone
    cache.get(Termbase("other", 1, ()))
    cache.get(Termbase("acme", 2, ()))  # a hit: now the most recently used
    cache.get(Termbase("third", 1, ()))
    assert len(cache) == 2
    assert cache.get(Termbase("acme", 2, ())) is v2  # "other" was evicted, not "acme"


def test_cache_is_safe_across_threads() -> None:
    cache = TermbaseCache()
    terms = big_termbase(2_000)
    termbase = Termbase("acme", 7, tuple(terms))
    results: list[CompiledTermbase] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        results.append(cache.get(termbase))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_cache_refuses_a_size_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        TermbaseCache(maxsize=0)
