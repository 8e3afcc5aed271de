"""Glossary entries in inflected forms, through real Apertium analysers and generators (lt-proc)."""

from __future__ import annotations

import pytest

from gateway.terminology import BrandRules, _replace_forbidden, check, post_edit
from glossary.inflect import agree_determiners, analyse, present, replace_form
from glossary.matcher import CompiledTermbase
from glossary.protect import protect, restore
from glossary.target_form import fit_target
from glossary.terms import Termbase, make_term
from models.morphology import ApertiumMorphology


@pytest.fixture(scope="module")
def en():
    with ApertiumMorphology("en") as m:
        yield m


@pytest.fixture(scope="module")
def es():
    with ApertiumMorphology("es") as m:
        yield m


def term(source: str, target: str, kind: str = "term") -> dict:
    if kind == "forbidden":
        return {"kind": kind, "source": source, "target": target, "target_lang": "es"}
    return {"kind": kind, "source": source, "target": target, "source_lang": "en", "target_lang": "es"}


@pytest.fixture(scope="module")
def compiled() -> CompiledTermbase:
    entries = [
        term("order", "pedido"),
        term("get", "recibir"),
        term("tracking number", "número de seguimiento"),
        term("coger", "tomar", "forbidden"),
        term("email", "correo electrónico", "forbidden"),
    ]
    return CompiledTermbase.compile(Termbase("b", 1, tuple(make_term(e) for e in entries)))


def fitted(text: str, compiled, en, es) -> list[tuple[str, str | None]]:
    return [
        (m.text, fit_target(text, m.start, m.end, m.term, en, es, "en"))
        for m in compiled.source_matches(text, "en", "es", en, es)
    ]


def test_plural_noun_matches_its_term_and_the_target_stays_plural(compiled, en, es):
    assert fitted("Where are my orders?", compiled, en, es) == [("orders", "pedidos")]
    assert fitted("Where is my order?", compiled, en, es) == [("order", None)]  # as written
    assert fitted("Here are the tracking numbers.", compiled, en, es) == [
        ("tracking numbers", "números de seguimiento")
    ]


def test_a_phrase_whose_head_is_not_in_dictionary_form_stays_as_written(en, es):
    entry = make_term(term("contact", "ponerse en contacto"))
    compiled = CompiledTermbase.compile(Termbase("b", 1, (entry,)))
    assert fitted("Our agents contacts you.", compiled, en, es) == [("contacts", None)]


def test_without_morphology_only_the_written_form_matches(compiled):
    assert compiled.source_matches("Where are my orders?", "en", "es") == []


def test_a_noun_term_does_not_match_the_verb(compiled, en, es):
    # order→pedido is the noun: the target has no verb reading with that lemma.
    assert fitted("He ordered a pizza.", compiled, en, es) == []


def test_a_forced_verb_takes_the_tense_and_person_of_its_clause(compiled, en, es):
    assert fitted("You will get your refund.", compiled, en, es) == [("get", "recibirás")]
    assert fitted("She got it yesterday.", compiled, en, es) == [("got", "recibió")]
    assert fitted("We are getting refunds.", compiled, en, es) == [("getting", "recibiendo")]
    assert fitted("They get one.", compiled, en, es) == [("get", "reciben")]
    assert fitted("You can get one.", compiled, en, es) == [("get", None)]  # an infinitive, as written
    assert fitted("Get your refund here.", compiled, en, es) == [("Get", "recibe")]


def test_forbidden_words_are_caught_in_every_form(compiled, es):
    found = compiled.forbidden_matches("Cogerá el autobús. Cógelo ya. Lo cogimos.", "es", es)
    assert [m.text for m in found] == ["Cogerá", "Cógelo", "cogimos"]
    assert compiled.forbidden_matches("Cogerá el autobús.", "es") == []  # no morphology: infinitive only


def test_a_case_sensitive_forbidden_word_bans_that_spelling_only(es):
    entry = make_term({**term("Coger", "Tomar", "forbidden"), "case_sensitive": True})
    compiled = CompiledTermbase.compile(Termbase("b", 1, (entry,)))
    assert [m.text for m in compiled.forbidden_matches("Coger. coger. Cogerá.", "es", es)] == ["Coger"]


def test_forbidden_words_are_replaced_in_the_same_form(compiled, es):
    text, fixed = _replace_forbidden("Cogerá el autobús y lo cogimos.", compiled, "es", es)
    assert text == "Tomará el autobús y lo tomamos."
    assert fixed == [("Cogerá", "Tomará"), ("cogimos", "tomamos")]
    text, _ = _replace_forbidden("Revise los emails.", compiled, "es", es)
    assert text == "Revise los correos electrónicos."


def test_a_target_counts_as_present_in_any_form(compiled, es):
    order, get = compiled._terms[0], compiled._terms[1]
    assert compiled.target_present("Sus pedidos llegaron.", order, es)
    assert not compiled.target_present("Sus pedidos llegaron.", order)
    assert compiled.target_present("Usted recibirá su reembolso.", get, es)
    assert not present("Usted pedirá un reembolso.", "pedido", es)


def test_post_edit_puts_the_target_in_the_renderings_form(compiled, es):
    order, get = compiled._terms[0], compiled._terms[1]
    assert post_edit("Cogerás tu reembolso.", get, "Coge", es) == "Recibirás tu reembolso."
    # A feminine rendering replaced by a masculine target: the article follows.
    assert post_edit("Revise las órdenes.", order, "orden", es) == "Revise los pedidos."
    assert post_edit("Revise las órdenes.", order, "orden") == "Revise las órdenes."  # no morphology


def test_replace_form_keeps_enclitics(es):
    [word] = analyse("Cógelo", es)
    reading = next(r for r in word.readings if "imp" in r.head.tags)
    assert replace_form("Cógelo", word, reading, "tomar", es)[0] == "Tómalo"


def test_no_capital_after_a_kept_name_mid_sentence():
    masked = protect("SwiftShip will deliver your order.", keep=["SwiftShip"])
    engine_output = masked.text.replace(" will deliver your order.", " Entregará su pedido.")
    assert restore(engine_output, masked, "es").text == "SwiftShip entregará su pedido."
    assert restore(engine_output, masked).text == "SwiftShip Entregará su pedido."  # language unknown: untouched
    # German capitalises nouns: a capital after a span may be right.
    german = masked.text.replace(" will deliver your order.", " Bestellung geliefert.")
    assert restore(german, masked, "de").text == "SwiftShip Bestellung geliefert."
    # A name the engine moved next to the span keeps its capital.
    masked = protect("SwiftShip delivers to Madrid.", keep=["SwiftShip"])
    assert restore(masked.text.replace(" delivers to Madrid.", " Madrid entrega."), masked, "es").text == (
        "SwiftShip Madrid entrega."
    )
    # A capital the source has (a name, a new sentence) stays.
    masked = protect("Ask SwiftShip Support.", keep=["SwiftShip"])
    out = masked.text.replace("Ask ", "Pregunte a ").replace(" Support.", " Soporte.")
    assert restore(out, masked, "es").text == "Pregunte a SwiftShip Soporte."


def test_the_determiner_agrees_with_a_term_put_in_by_a_mask(es):
    assert agree_determiners("¿Dónde están mi pedidos?", "pedido", es) == "¿Dónde están mis pedidos?"
    assert agree_determiners("Revise la pedido y las pedidos.", "pedido", es) == "Revise el pedido y los pedidos."
    assert agree_determiners("Su pedido llegó; sus pedidos también.", "pedido", es) == (
        "Su pedido llegó; sus pedidos también."
    )


def test_check_makes_the_determiner_agree_with_an_inflected_term(compiled, en, es):
    found = compiled.source_matches("Where are my orders?", "en", "es", en, es)
    text = "¿Dónde están mi pedidos?"  # what Apertium makes of "Where are my ⟦0⟧?" with ⟦0⟧ = "pedidos"
    assert check(text, "es", BrandRules(compiled, None), found, es).text == "¿Dónde están mis pedidos?"
    assert check(text, "es", BrandRules(compiled, None), found, None).text == text  # no morphology: untouched


def test_english_context_keeps_a_verb_term_off_nouns_and_a_noun_term_off_verbs(compiled, en, es):
    entry = make_term(term("change", "modificar"))
    changes = CompiledTermbase.compile(Termbase("b", 1, (entry,)))
    assert fitted("You can change the address.", changes, en, es) == [("change", None)]
    assert fitted("The changes were saved.", changes, en, es) == []  # after a determiner: a noun
    assert fitted("Change of mind: we refund.", changes, en, es) == []  # before "of": a noun
    assert fitted("Make the necessary changes.", changes, en, es) == []  # after an adjective
    assert fitted("You can make changes here.", changes, en, es) == []  # the object of "make"
    assert fitted("It changes every day.", changes, en, es) == [("changes", "modifica")]  # a singular subject
    assert [m.text for m in changes.source_matches("The change", "en", "es")] == ["change"]  # no analysers: as before
    pay = CompiledTermbase.compile(Termbase("b", 1, (make_term(term("pay", "abonar")),)))
    assert [m for m, _ in fitted("Use Google Pay - pay with ease.", pay, en, es)] == ["pay"]  # "Pay" is a name
    assert fitted("We order new stock and ship your orders.", compiled, en, es) == [("orders", "pedidos")]
    assert fitted("Add it to order 370795561790.", compiled, en, es) == [("order", None)]
