"""The calibrated combination: bounded, monotone in each problem, explained by its signals."""

from __future__ import annotations

from gateway.confidence import MEANS, PENALTY, Signal, assess, band, combine, model_confidence
from gateway.quality import Finding

NEUTRAL = {k: Finding(v) for k, v in MEANS.items()}


def test_value_is_a_probability_and_bands_are_ordered():
    for findings in (NEUTRAL, {k: Finding(v * 5) for k, v in MEANS.items()}, {}):
        c = assess(findings)
        assert 0.0 <= c.value <= 1.0 and c.band == band(c.value)
    assert [band(v) for v in (0.95, 0.8, 0.7, 0.1)] == ["best", "good", "weak", "poor"]


def test_a_worse_round_trip_lowers_confidence_and_says_so():
    good, _ = model_confidence(dict(NEUTRAL, round_trip=Finding(0.0)))
    bad, signals = model_confidence(dict(NEUTRAL, round_trip=Finding(0.9)))
    assert bad < good and [s.name for s in signals] == ["round_trip"] and signals[0].factor < 1


def test_rules_multiply_and_are_listed():
    base = assess(NEUTRAL).value
    looped = assess(dict(NEUTRAL, repetition=Finding(0.8, "80 % repeats")))
    assert looped.value == round(base * PENALTY["repetition"], 4)
    assert "repetition" in {s.name for s in looped.signals}


def test_problems_from_the_caller_apply_and_informational_signals_do_not():
    c = combine(0.8, [Signal("why", "explains")], [Signal("term_missing", "x", 0.5), Signal("tone_fixed", "y")])
    assert c.value == 0.4 and [s.name for s in c.signals] == ["why", "term_missing", "tone_fixed"]


def test_every_model_feature_has_a_mean_and_a_plain_words_detail():
    from gateway.confidence import _DETAILS, WEIGHTS

    assert set(WEIGHTS) == set(MEANS) == set(_DETAILS)


def test_output_words_in_the_wrong_language_lower_confidence_and_say_so():
    good, _ = model_confidence(dict(NEUTRAL, foreign_words=Finding(0.0)))
    bad, signals = model_confidence(dict(NEUTRAL, foreign_words=Finding(0.3, "3 of 10 words read as en")))
    assert bad < good and [s.detail for s in signals] == ["3 of 10 words read as en"]


def test_a_neural_engines_doubt_still_counts():
    sure, _ = model_confidence(dict(NEUTRAL, engine_score=Finding(0.0)))
    unsure, _ = model_confidence(dict(NEUTRAL, engine_score=Finding(0.9)))
    assert unsure < sure
