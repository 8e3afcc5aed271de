"""The calibrated confidence: bounded, monotone in each problem, explained by its signals, and
documented with the same cut-offs as the code."""

from __future__ import annotations

import re

import pytest

from gateway.confidence import (
    BANDS,
    PENALTY,
    Signal,
    assess,
    band,
    combine,
    engine_kind,
    load_model,
    model_confidence,
    review_below,
)
from gateway.quality import Finding
from tests.conftest import repo_root

GENERIC = load_model()["generic"]
NEUTRAL = {k: Finding(v) for k, v in GENERIC["means"].items()}


def test_value_is_a_probability_and_bands_are_ordered():
    for findings in (NEUTRAL, {k: Finding(v * 5) for k, v in GENERIC["means"].items()}, {}):
        c = assess(findings)
        assert 0.0 <= c.value <= 1.0 and c.band == band(c.value)
    assert [band(v) for v in (0.95, 0.8, 0.6, 0.1)] == ["best", "good", "weak", "poor"]


def test_more_known_mistranslations_lower_confidence_and_say_which():
    clean, none = model_confidence({"error_patterns": Finding(0.0)})
    bad, signals = model_confidence({"error_patterns": Finding(4.0, "known mistranslations: 'complacer'")})
    assert bad < clean and none == [] and signals[0].name == "error_patterns" and "complacer" in signals[0].detail


def test_the_same_evidence_means_more_from_a_maker_that_is_usually_right():
    rule, _ = model_confidence({"error_patterns": Finding(1.0)}, "rule")
    other, _ = model_confidence({"error_patterns": Finding(1.0)}, "other")
    assert other > rule


def test_rules_multiply_and_are_listed():
    base = assess(NEUTRAL).value
    looped = assess(dict(NEUTRAL, repetition=Finding(0.8, "80 % repeats")))
    assert looped.value < base * PENALTY["repetition"] + 1e-4
    assert "repetition" in {s.name for s in looped.signals}


def test_a_lost_round_trip_is_penalised_even_where_the_model_does_not_use_it():
    found = {"error_patterns": Finding(0.0)}
    kept = assess(dict(found, round_trip=Finding(0.3))).value
    lost = assess(dict(found, round_trip=Finding(0.9, "translated back it reads 'x'")))
    assert lost.value == pytest.approx(kept * PENALTY["round_trip_lost"], abs=1e-4)
    assert "round_trip" in {s.name for s in lost.signals}


def test_problems_from_the_caller_apply_and_informational_signals_do_not():
    c = combine(0.8, [Signal("why", "explains")], [Signal("term_missing", "x", 0.5), Signal("tone_fixed", "y")])
    assert c.value == 0.4 and [s.name for s in c.signals] == ["why", "term_missing", "tone_fixed"]


def test_output_words_in_the_wrong_language_lower_the_generic_confidence_and_say_so():
    good, _ = model_confidence(dict(NEUTRAL, foreign_words=Finding(0.0)))
    bad, signals = model_confidence(dict(NEUTRAL, foreign_words=Finding(0.3, "3 of 10 words read as en")))
    assert bad < good and "3 of 10 words read as en" in [s.detail for s in signals]


def test_engine_kinds_and_their_thresholds():
    assert engine_kind(("apertium",)) == "rule"
    assert engine_kind(("ctranslate2",)) == engine_kind(("deepl",)) == "neural"
    assert engine_kind(("openai",)) == "llm"
    assert engine_kind(()) == engine_kind(("something-new",)) == "other"
    assert engine_kind(("transformers", "apertium")) == "rule"  # a pivot through a rule-based hop
    for kind in ("rule", "neural", "llm", "other"):
        assert 0.0 < review_below(kind) <= 1.0


def _doc_table(heading: str) -> dict[str, str]:
    """The rows of the markdown table that follows `heading` in docs/api.md."""
    text = (repo_root() / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    rows = {}
    for line in section.splitlines()[1:]:
        if line.startswith("|") and not set(line) <= set("|-: "):
            cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
            rows[cells[0].split(" ")[0].strip("`")] = cells[1]
        elif rows and not line.startswith("|"):
            break
    return rows


def test_docs_give_the_bands_the_code_uses():
    rows = _doc_table("Bands of the confidence")
    for floor, name in BANDS:
        assert name in rows, f"docs/api.md lacks band {name}"
        numbers = re.findall(r"\d+\.\d+", rows[name])
        assert (float(numbers[0]) if numbers else 0.0) == floor, (name, rows[name])


def test_docs_give_the_review_thresholds_the_code_uses():
    rows = _doc_table("Default review thresholds")
    for kind in ("rule", "neural", "llm", "other"):
        assert float(re.findall(r"\d+\.\d+", rows[kind])[0]) == review_below(kind), kind


def test_a_neural_engines_doubt_costs_only_when_it_guessed():
    found = {"error_patterns": Finding(0.0)}
    sure = assess(dict(found, engine_score=Finding(0.3)), kind="neural")
    guessed = assess(dict(found, engine_score=Finding(0.95, "the engine was unsure")), kind="neural")
    assert sure.value == assess(found, kind="neural").value
    assert guessed.value < sure.value and "engine_score" in {s.name for s in guessed.signals}
    # Apertium's unknown words are its own signal, already inside the patterns it was calibrated on.
    unknown = assess(dict(found, engine_score=Finding(0.6, "3 of 5 words were unknown to the engine")))
    assert "engine_score" not in {s.name for s in unknown.signals}
