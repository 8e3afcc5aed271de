"""POST /v1/quality through the live gateway (Apertium, lingua), and the signal functions themselves."""

from __future__ import annotations

import pytest

from gateway.confidence import assess
from gateway.quality import (
    Finding,
    common_words,
    generation_errors,
    length_ratio,
    measure,
    mismatches,
    output_words,
    plainness,
    repetition,
    round_trip,
    round_trip_words,
    untranslated,
    wrong_language,
)

SOURCE = "Your order 48213 was shipped on Monday; track it at https://track.example.com/a."
GOOD = "Su pedido 48213 fue enviado el lunes; sígalo en https://track.example.com/a."


def score(client, translation: str, **extra) -> dict:
    body = {"source": SOURCE, "translation": translation, "source_lang": "en", "target_lang": "es", **extra}
    r = client.post("/v1/quality", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out) == {"confidence", "band", "needs_review", "signals"}
    assert 0.0 <= out["confidence"] <= 1.0 and out["band"] in {"best", "good", "weak", "poor"}
    return out


def names(result: dict) -> set[str]:
    return {s["name"] for s in result["signals"]}


@pytest.mark.parametrize(
    ("broken", "signal"),
    [
        ("Su pedido 48123 fue enviado el lunes; sígalo en https://track.example.com/a.", "mismatch"),
        (SOURCE, "untranslated"),
        ("Your order was shipped on Monday, track it at https://track.example.com/a.", "wrong_language"),
        ("Su pedido pedido pedido pedido fue enviado enviado enviado enviado el lunes lunes lunes.", "repetition"),
    ],
)
def test_a_good_translation_scores_above_a_broken_one(client, broken, signal):
    good, bad = score(client, GOOD), score(client, broken)
    assert good["confidence"] > bad["confidence"]
    assert signal in names(bad) and signal not in names(good)
    assert bad["needs_review"]


def test_fluent_text_that_says_something_else_is_held(client):
    nonsense = score(client, "La mesa verde canta con el perro azul bajo la lluvia.")
    assert nonsense["confidence"] < score(client, GOOD)["confidence"]
    assert nonsense["needs_review"] and nonsense["band"] == "poor"


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({"source": "Hi", "source_lang": "en", "target_lang": "es"}, 422, "invalid_input"),
        ({"source": "  ", "translation": "x", "source_lang": "en", "target_lang": "es"}, 422, "invalid_input"),
        ({"source": "Hi", "translation": "Hola", "source_lang": "en", "target_lang": "en"}, 422, None),
        ({"source": "Hi", "translation": "Hola", "source_lang": "en", "target_lang": "es", "extra": 1}, 422, None),
        ({"source": "Hi", "translation": "Hola", "source_lang": "en", "target_lang": "es", "brand": "nope"}, 404, None),
        ({"source": "x" * 3000, "translation": "Hola", "source_lang": "en", "target_lang": "es"}, 413, None),
    ],
)
def test_bad_input_gets_the_error_shape(client, body, status, kind):
    r = client.post("/v1/quality", json=body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) >= {"type", "message"} and err["message"]
    if kind:
        assert err["type"] == kind


def test_quality_needs_a_key(anon):
    assert anon.post("/v1/quality", json={}).status_code == 401


# ---------------------------------------------------------------- the signal functions


def test_numbers_in_another_locale_format_are_the_same_number():
    assert mismatches("It costs 1,250.50 USD.", "Cuesta 1.250,50 USD.").value == 0
    changed = mismatches("Order 4821 is late.", "El pedido 4812 llega tarde.")
    assert changed.value == 1 and "4821 became 4812" in changed.detail


def test_urls_emails_and_codes_must_survive():
    assert mismatches("Write to help@x.com", "Escriba a ayuda@x.com").value == 1
    assert mismatches("See https://a.example/b", "Vea https://a.example/c").value == 1
    assert "COVID-19" in mismatches("COVID-19 tests", "pruebas de la enfermedad").detail


def test_repetition_finds_loops_but_not_the_source_own_repeats():
    assert repetition("Hello", "Hola hola hola hola hola").detail
    assert repetition("I am sorry, I am sorry", "Lo siento, lo siento").value == 0
    assert repetition("Thanks", "Gracias por todo").value == 0
    assert repetition("你好", "的的的 是 是").value == 0  # single CJK characters repeat naturally


def test_untranslated_share_ignores_names_and_urls():
    assert untranslated("where is my parcel please", "where is my parcel please").value == 1.0
    assert untranslated("Ask NASA at https://nasa.gov", "Pregunte a NASA en https://nasa.gov").value == 0.0
    assert 0 < untranslated("the hospital is closed", "el hospital está cerrado").value < 0.5


def test_length_ratio_is_relative_to_the_pair_usual():
    assert length_ratio("Hello there my friend", "Hola amigo").value > length_ratio("Hello", "Hola").value
    assert length_ratio("Hi", "Hola " * 20).detail


def test_wrong_language_only_when_the_detector_disagrees():
    assert wrong_language("es", 0.9, "en", "es").value == 0
    assert wrong_language(None, 0.0, "en", "es").value == 0
    assert wrong_language("en", 0.95, "en", "es").detail == "the translation reads as en, not es"


def test_round_trip_and_plainness():
    assert round_trip("Good morning.", "Good morning.").value == pytest.approx(0.0)
    assert round_trip("Good morning.", "The table sings.").value > 0.6
    assert plainness("see you soon") == Finding(1.0)
    assert plainness("Call Maria at 555").value <= 0.5
    assert plainness("नमस्ते दोस्त").value == 0.0  # no case: no evidence


def test_missing_evidence_is_neutral():
    base = measure("Good morning.", "Buenos días.", "en", "es", zipf=lambda w, lang: 5.0)
    assert "round_trip" not in base and "engine_score" not in base
    with_rt = dict(base, round_trip=Finding(0.3))  # an ordinary round trip moves nothing
    assert assess(with_rt).value == pytest.approx(assess(base).value, abs=1e-4)


def test_round_trip_words_counts_whole_words():
    assert round_trip_words("Good morning.", "good morning").value == pytest.approx(0.0)
    assert round_trip_words("Good morning.", "Good evening.").value == pytest.approx(0.5)
    assert round_trip_words("Hi", "").value == 1.0


def test_generation_errors_come_from_the_engine_marks():
    assert generation_errors({"generation_errors": 0, "words": 5}).value == 0.0
    found = generation_errors({"en-es.generation_errors": 2, "unknown_words": 1})
    assert found.value == 2.0 and "2 word" in found.detail


def test_output_words_left_in_the_source_language_or_unseen():
    freq = {("chest", "en"): 5.0, ("dolor", "es"): 5.0, ("de", "es"): 7.0, ("de", "en"): 3.0, ("pain", "en"): 5.0}
    zipf = lambda w, lang: freq.get((w, lang), 0.0)  # noqa: E731
    left, unseen = output_words("chest pain", "dolor de chest pain", "en", "es", zipf)
    assert left.value == pytest.approx(0.5) and "'chest'" in left.detail
    assert unseen.value == pytest.approx(0.5) and "not known es words" in unseen.detail
    clean, none = output_words("chest pain", "dolor de", "en", "es", zipf)
    assert clean.value == 0.0 and none.value == 0.0 and clean.detail is None


def test_common_words_share():
    assert common_words("the cat", "en", lambda w, lang: 7.0 if w == "the" else 4.0).value == pytest.approx(0.5)
    assert common_words("你好", "zh").value == 0.0


def test_measure_adds_the_new_signals_when_it_has_the_evidence():
    found = measure(
        "Good morning.", "Buenos días.", "en", "es", zipf=lambda w, lang: 5.0, engine_details={}, back="Good day."
    )
    assert {"round_trip_words", "generation_errors", "foreign_words", "unseen_words", "common_words"} <= set(found)
