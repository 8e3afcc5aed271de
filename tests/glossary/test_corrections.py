"""Engine corrections as data: parsing, validation, rewrites with the real Apertium morphology."""

from __future__ import annotations

import pytest

from glossary.corrections import (
    CorrectionSet,
    Found,
    InvalidCorrection,
    both,
    correct,
    imperative,
    infinitive,
    make_correction,
    merge,
    parse_tsv,
    shipped,
    shipped_pairs,
)
from glossary.protect import protect, restore
from models.morphology import ApertiumMorphology

HEADER = "id\tkind\tmatch\treplace\tnote\n"


@pytest.fixture(scope="module")
def spanish():
    with ApertiumMorphology("es") as m:
        yield m


def _set(text: str) -> CorrectionSet:
    return CorrectionSet.compile("apertium", "en", "es", parse_tsv(HEADER + text))


def test_the_shipped_apertium_file_parses_and_compiles():
    corrections = shipped("apertium", "en", "es")
    assert len(corrections) > 50
    assert {c.kind for c in corrections} == {"source", "target"}
    assert len({c.id for c in corrections}) == len(corrections)
    compiled = CorrectionSet.compile("apertium", "en", "es", corrections)
    assert compiled.active == len(corrections) and compiled.version
    assert ("apertium", "en", "es") in shipped_pairs()


def test_no_file_means_no_corrections():
    assert shipped("apertium", "en", "de") == []


def test_comments_and_blank_lines_are_skipped():
    got = parse_tsv("# a comment\n\n" + HEADER + "a\ttarget\t\\bfoo\\b\tbar\tnote\n# another\n")
    assert [(c.id, c.match, c.replace) for c in got] == [("a", "\\bfoo\\b", "bar")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("x\tboth\tfoo\tbar\t", "kind must be one of source, target"),
        ("x y\ttarget\tfoo\tbar\t", "id must be"),
        ("x\ttarget\t(foo\tbar\t", "not a valid regular expression"),
        ("x\ttarget\tfoo\t{2}\t", "refers to group 2"),
        ("x\tsource\tplease\t \t", "needs the rendering"),
        ("x\tsource\t \tbar\t", "match is empty"),
    ],
)
def test_a_bad_line_is_refused_with_its_line_number(line, message):
    with pytest.raises(InvalidCorrection, match=rf"line 2: .*{message}"):
        parse_tsv(HEADER + line + "\n")


def test_a_wrong_header_and_duplicate_ids_are_refused():
    with pytest.raises(InvalidCorrection, match="header"):
        parse_tsv("id\tmatch\n")
    with pytest.raises(InvalidCorrection, match="duplicate id 'a'"):
        parse_tsv(HEADER + "a\ttarget\tx\ty\t\na\ttarget\tz\tw\t\n")


def test_target_rewrites_keep_the_capital_and_apply_in_order():
    fixes = _set("g\ttarget\t\\bgracias para\\b\tgracias por\t\nv\ttarget\t\\bvuestr[oa]\\b\ttu\t\n")
    done = fixes.rewrite("Gracias Para vuestra paciencia. Vuestro pedido llega hoy.")
    assert done.text == "Gracias por tu paciencia. Tu pedido llega hoy."
    assert done.ids == ("g", "v")


def test_an_infinitive_becomes_the_informal_imperative_with_its_clitics(spanish):
    assert imperative("enviarme", spanish) == "envíame"
    assert imperative("comprobar", spanish) == "comprueba"
    assert imperative("Hacer", spanish) == "Haz"
    assert imperative("casa", spanish) is None
    assert imperative("enviar", None) is None


def test_a_finite_verb_becomes_its_infinitive(spanish):
    assert infinitive("confirmas", spanish) == "confirmar"
    assert infinitive("digo", spanish) == "decir"
    assert infinitive("Vas", spanish) == "Ir"
    assert infinitive("envío", spanish) == "enviar"  # a noun too; the verb reading is taken
    assert infinitive("casa", spanish) == "casar"  # "casa" is also a verb form: the regex must narrow
    assert infinitive("mesa", spanish) is None
    assert infinitive("retomarlo", spanish) is None  # already an infinitive, with a clitic
    assert infinitive("confirmas", None) is None


def test_the_modal_takes_the_infinitive_and_the_clitic_follows_it(spanish):
    fixes = _set(
        "a\ttarget\t\\b(puede|podría) (?!es\\b)(\\w+[ae]s)\\b\t{1}s {inf:2}\t\n"
        "b\ttarget\t\\b(puede|podría) (me|nos) (\\w+o)\\b\t{1}s {inf:3}{2}\t\n"
    )
    assert fixes.rewrite("Podría confirmas el nombre?", spanish).text == "Podrías confirmar el nombre?"
    assert fixes.rewrite("Puede me envío un screenshot?", spanish).text == "Puedes enviarme un screenshot?"
    # An infinitive already, or no verb: left as it was.
    assert fixes.rewrite("Puede ser tarde. Puede que sí.", spanish).ids == ()


def test_the_shipped_set_fixes_the_second_round_of_build_errors(spanish):
    fixes = CorrectionSet.compile("apertium", "en", "es", shipped("apertium", "en", "es"))
    cases = {
        "Puede vas al sitio web?": "Puedes ir al sitio web?",
        "Tiene un Año Nuevo fantástico!": "Que tengas un Año Nuevo fantástico!",
        "Soy muy triste para el retraso.": "Lamento mucho el retraso.",
        "Triste para el mensaje doble.": "Perdón por el mensaje doble.",
        "pero tú les pueden pedir.": "pero les puedes pedir.",
        "pero yo eliminarán el libro": "pero eliminaré el libro",
        "Estoy yendo a revisar tu caso.": "Voy a revisar tu caso.",
        "Va a #URL# en tu ordenador.": "Ve a #URL# en tu ordenador.",
        "Seleccionar la pestaña de pago.": "Selecciona la pestaña de pago.",
        "Tiene recibiste el email?": "Has recibido el email?",
        "Abre la lima.": "Abre el archivo.",
    }
    for before, after in cases.items():
        assert fixes.rewrite(before, spanish).text == after, before


def test_please_plus_infinitive_is_rewritten_through_the_morphology(spanish):
    fixes = _set("p\ttarget\t\\bcomplacer (\\w+)\tpor favor, {imp:1}\t\n")
    assert fixes.rewrite("Complacer retomar la aplicación.", spanish).text == "Por favor, retoma la aplicación."
    # Not an infinitive: the match is left alone rather than guessed at.
    assert fixes.rewrite("Complacer casa.", spanish).text == "Complacer casa."
    # Without a morphology nothing that needs one is applied.
    assert fixes.rewrite("Complacer retomar la app.", None).ids == ()


def test_source_phrases_are_masked_with_their_rendering_and_recased():
    fixes = _set("a\tsource\tI'm afraid\tme temo que\t\nb\tsource\tbilling address\tdirección de facturación\t\n")
    found: list[Found] = []
    masked = protect("I'm afraid we need your billing address.", terms=fixes.finder(found))
    assert [f.id for f in found] == ["a", "b"]
    assert "afraid" not in masked.text and "billing" not in masked.text
    # What an engine does with the rest: capitalises the word after the leading placeholder.
    engine_output = masked.text.replace("we need your", "Nosotros necesitamos tu")
    restored = restore(engine_output, masked).text
    assert restored.startswith("Me temo que Nosotros")
    done = correct(fixes, found, restored, None)
    assert done.text == "Me temo que nosotros necesitamos tu dirección de facturación."
    assert done.ids == ("a", "b")


def test_a_source_phrase_never_reaches_into_protected_text():
    fixes = _set("o\tsource\torder number\tnúmero de pedido\t\n")
    found: list[Found] = []
    masked = protect("Send {{Order Number}} and your order number", terms=fixes.finder(found))
    assert [s.text for s in masked.spans] == ["{{Order Number}}", "order number"]
    assert len(found) == 1


def test_a_brand_term_wins_over_an_overlapping_correction():
    fixes = _set("o\tsource\tyour order\ttu pedido\t\n")
    found: list[Found] = []

    def brand(text: str):
        i = text.find("order")
        return [(i, i + 5, "encargo")] if i >= 0 else []

    masked = protect("Your order is late", terms=both(brand, fixes.finder(found)))
    assert [s.output for s in masked.spans] == ["encargo"]


def test_admins_switches_and_additions_merge_over_the_shipped_set():
    base = parse_tsv(HEADER + "a\ttarget\tx\ty\t\nb\ttarget\tz\tw\t\n")
    mine = make_correction({"id": "b", "kind": "target", "match": "z", "replace": "v"})
    extra = make_correction({"id": "c", "kind": "source", "match": "tap", "replace": "toca"})
    merged = merge(base, {"a": False}, [mine, extra])
    assert [(c.id, c.replace, c.enabled, c.origin) for c in merged] == [
        ("a", "y", False, "shipped"),
        ("b", "v", True, "admin"),
        ("c", "toca", True, "admin"),
    ]
    compiled = CorrectionSet.compile("apertium", "en", "es", merged)
    assert compiled.active == 2
    assert compiled.rewrite("x z").text == "x v"


def test_the_version_changes_with_any_edit():
    a = _set("a\ttarget\tx\ty\t\n")
    b = _set("a\ttarget\tx\tz\t\n")
    assert a.version != b.version
    assert a.version == _set("a\ttarget\tx\ty\t\n").version
