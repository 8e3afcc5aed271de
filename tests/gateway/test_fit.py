"""Fit to send, end to end: the issue's examples through the live gateway (real Apertium,
lingua, Redis), human translations never "poor", and the pattern table itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.patterns import SOURCE_MARK, Pattern, PatternTable, RatedTable, table_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fit"


def quality(client, source: str, translation: str, source_lang: str = "en", target_lang: str = "es") -> dict:
    body = {"source": source, "translation": translation, "source_lang": source_lang, "target_lang": target_lang}
    r = client.post("/v1/quality", json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    "reply", ["Please restart the app", "I have deleted the payment information, please add again"]
)
def test_rule_based_replies_with_known_mistranslations_are_held(client, reply):
    r = client.post("/v1/translate", json={"text": reply, "source_lang": "en", "target_lang": "es"})
    assert r.status_code == 200, r.text
    [t] = r.json()["translations"]
    if "complacer" in t["text"].lower():  # the engine's own mistake, when no correction fixed it
        assert "error_patterns" in {s["name"] for s in t["signals"]}
        assert t["band"] in ("weak", "poor")
    # Apertium's output is held for an editor by default, whatever it says (docs/api.md).
    assert t["needs_review"] is True


def test_a_human_translation_scores_above_the_engines_word_for_word_one(client):
    source = "Thank you for your patience. Your order will arrive tomorrow."
    human = quality(client, source, "Gracias por su paciencia. Su pedido llegará mañana.")
    engine = quality(client, source, "Gracias Para vuestra paciencia. Vuestro orden llegará mañana.")
    assert human["confidence"] > engine["confidence"]
    assert human["band"] in ("best", "good") and not human["needs_review"]
    assert engine["needs_review"] and "error_patterns" in {s["name"] for s in engine["signals"]}


@pytest.mark.parametrize(
    ("source", "translation", "source_lang"),
    [
        ("ok thanks", "vale gracias", "en"),
        ("Merci!", "Gracias!", "fr"),
        ("Thank you very much!", "¡Muchas gracias!", "en"),
    ],
)
def test_short_correct_replies_are_not_failures(client, source, translation, source_lang):
    r = quality(client, source, translation, source_lang)
    assert r["band"] in ("best", "good"), r


def test_known_mistranslations_are_named_for_the_editor(client):
    r = quality(client, "Please restart the app", "Complacer retomar la aplicación")
    assert r["needs_review"] and r["band"] == "poor"
    [signal] = [s for s in r["signals"] if s["name"] == "error_patterns"]
    assert "complacer" in signal["detail"]


def test_no_human_translation_lands_in_poor(client):
    rows = [json.loads(line) for line in (FIXTURES / "human_es.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 50
    poor = []
    for row in rows:
        r = quality(client, row["source"], row["translation"], row["source_lang"], row["target_lang"])
        if r["band"] == "poor":
            poor.append((row["translation"], r))
    assert poor == []


def test_the_table_learns_errors_from_spans_and_ignores_ordinary_words(tmp_path):
    items = [
        ("Complacer retomar la aplicación.", ["Complacer retomar"]),
        ("Complacer esperar.", ["Complacer"]),
        ("Su pedido llegará mañana.", []),
        ("La aplicación funciona.", []),
    ]
    table = PatternTable.learn(items)
    assert table.patterns["complacer"] == Pattern(bad=2, seen=2)
    assert table.patterns["la aplicación"] == Pattern(bad=0, seen=2)
    bad, hits = table.evidence("Complacer reiniciar la aplicación.")
    clean, none = table.evidence("Su pedido llegará mañana.")
    assert bad > 0 and hits[0].ngram == "complacer" and clean == 0 and none == []
    # Strict evidence keeps only n-grams that were wrong every time they were seen, at least twice.
    assert [h.ngram for h in table.evidence("Complacer retomar.", strict=True)[1]] == ["complacer"]
    path = tmp_path / "es.tsv"
    table.dump(path)
    again = PatternTable.read(path)
    assert again.patterns == table.patterns and again.baseline == pytest.approx(table.baseline, abs=1e-6)


def test_a_word_list_keeps_names_out_of_the_table():
    table = PatternTable.learn([("Hola Zorbulon, complacer.", ["complacer"])], keep=frozenset({"hola", "complacer"}))
    assert "zorbulon" not in table.patterns and "complacer" in table.patterns


def test_the_shipped_spanish_table_knows_the_notorious_mistakes():
    table = table_for("es")
    assert table is not None and table_for("xx") is None
    for ngram in ("complacer", "vuestro orden"):
        assert table.patterns[ngram].p_error > table.baseline


def test_rated_wording_counts_for_and_against_a_translation(tmp_path):
    items = [("Hello", "Hallo Welt kaputt", True)] * 4 + [("Hello", "Hallo Welt gut", False)] * 12
    table = RatedTable.learn(items)
    assert table.baseline == pytest.approx(0.25)
    low, hits = table.evidence("Hello", "kaputt")
    high, none = table.evidence("Hello", "gut")
    assert low > 0 > high and [h.ngram for h in hits] == ["kaputt"] and none == []
    # Source words are in the table too, marked, and never shown as the output's wording.
    assert SOURCE_MARK + "hello" in table.patterns
    path = tmp_path / "rated-de.tsv"
    table.dump(path)
    again = RatedTable.read(path)
    assert again.patterns == table.patterns and again.evidence("Hello", "kaputt")[0] == pytest.approx(low)


def test_rated_wording_keeps_only_words_of_the_language():
    items = [("Hi Zorbulon", "Hallo Zorbulon", True)] * 3
    table = RatedTable.learn(items, keep_target=frozenset({"hallo"}), keep_source=frozenset({"hi"}))
    assert "zorbulon" not in table.patterns and SOURCE_MARK + "zorbulon" not in table.patterns
    assert "hallo" in table.patterns and SOURCE_MARK + "hi" in table.patterns
