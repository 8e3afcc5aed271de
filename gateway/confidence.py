"""Confidence: the calibrated probability that a translation is fit to send, a band, and the
signals that lowered it.

"Fit to send" is what reviewers decide: the translation has no major or critical error (MQM), so
it could go to a customer as it is. 0.8 means about 8 in 10 translations with that score are fit.
Two calibrated models (constants in gateway/defaults/fit_model.json, written by
`bench/fit.py --fit`; bench/README.md (fit to send) has the figures):

1. **patterns** — where the target language has a table of known mistranslations
   (gateway/patterns.py; Spanish, learned from reviewers' error spans on `support-fit`): logit
   P(fit) = intercept + evidence_weight · error_patterns. Cross-validated on real agent replies,
   it tells fit from unfit far better than everything else measured (bench/fit.py lists each
   signal's own AUROC).
2. **generic** — every other target language: a logistic model over engine-free signals
   (gateway/quality.py), fitted on WMT24 chat translations by many systems with human scores.

Failures too rare in either data to fit (a lost placeholder, a changed number, a loop, the wrong
output language, a missing glossary term) then multiply the value by a hand-set factor, each with
a signal. Whether a translation is held for review depends on who made it: the default threshold
per engine kind (`review_below`) is the lowest at which at most 5 % of what goes out unreviewed was
unfit on the labelled data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from gateway.patterns import table_for
from gateway.quality import Finding

MODEL_FILE = Path(__file__).resolve().parent / "defaults" / "fit_model.json"

# Bands are ranges of the calibrated probability itself, so they mean the same for every engine:
# "best" = at least 9 in 10 such translations are fit. docs/api.md shows this table (a test checks).
BANDS: tuple[tuple[float, str], ...] = ((0.9, "best"), (0.75, "good"), (0.5, "weak"), (0.0, "poor"))

# Who made the translation decides the default review threshold (an engine's kind → its maker kind).
ENGINE_KINDS: dict[str, str] = {
    "apertium": "rule",
    "transformers": "neural",
    "ctranslate2": "neural",
    "ct2": "neural",
    "openai": "llm",
    "llm": "llm",
    "deepl": "neural",
    "libretranslate": "neural",
    "memory": "other",
    "human": "other",
}

# The usual log(target chars / source chars) per direction (TICO-19 references); 0 where unmeasured.
LENGTH_LOG_RATIO: dict[tuple[str, str], float] = {("en", "es"): 0.15}

# How much each rare, unfittable problem lowers confidence (a multiplier).
PENALTY = {
    "mask_lost": 0.5,
    "mask_duplicated": 0.8,
    "pivot": 0.92,
    "untranslated": 0.4,  # the output is the source, unchanged
    "empty_output": 0.0,
    "mismatch": 0.6,  # per differing number / URL / e-mail / name, at most twice
    "repetition": 0.5,  # a loop: a fifth or more of the output repeats itself
    "wrong_language": 0.3,
    # Translated back, it reads as something else (chrF ≤ 10 against the source): rare in
    # rule-based output (3 of 600 support replies), the mark of an engine that made text up.
    "round_trip_lost": 0.5,
}
ROUND_TRIP_LOST = 0.9
ENGINE_DOUBT_FREE = 0.5  # mean token probability from which an engine's doubt costs nothing
ENGINE_DOUBT_FLOOR = 0.3
LOOP_SHARE = 1 / 3
ROUND_TRIP_MIN_WORDS = 6
# Only signals that cost at least this much are listed; the rest is noise to an editor.
_SHOW_BELOW = 0.97

_DETAILS = {
    "length_ratio": "the translation's length is unusual for this source",
    "repetition": "the translation repeats itself",
    "untranslated": "some source words were left untranslated",
    "mismatch": "numbers or names differ",
    "plainness": "plain prose with few names or numbers, where word choice goes wrong most",
    "word_length": "short everyday words, the most ambiguous kind",
    "source_rarity": "the source is everyday wording, which engines render loosely",
    "common_words": "the source is mostly rare or technical words",
    "output_rarity": "the translation has many words that are rare in the target language",
    "foreign_words": "{value:.0%} of the translation's words read as the source language",
    "unseen_words": "{value:.0%} of the translation's words are not known words of the target language",
    "wrong_language": "the translation may not be in the target language",
    "rated_wording": "wording that raters often scored low in support chats",
}


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    detail: str
    factor: float = 1.0  # what it multiplied confidence by (1.0 = informational)


@dataclass(frozen=True, slots=True)
class Confidence:
    value: float
    band: str
    signals: tuple[Signal, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def load_model() -> dict[str, Any]:
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def band(value: float) -> str:
    return next(name for floor, name in BANDS if value >= floor)


def engine_kind(kinds: Sequence[str] = ()) -> str:
    """'rule', 'neural', 'llm' or 'other' for a route's engine kinds ("apertium", "openai", …)."""
    makers = {ENGINE_KINDS.get(k.lower(), "other") for k in kinds}
    # A chain through a rule-based hop is as doubtful as rule-based output.
    for maker in ("rule", "neural", "llm"):
        if maker in makers:
            return maker
    return "other"


def review_below(kind: str) -> float:
    """The default threshold for an engine kind (a brand's or the operator's setting overrides it)."""
    thresholds = load_model()["review_below"]
    return float(thresholds.get(kind, thresholds["other"]))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _pattern_intercept(kind: str) -> float:
    """The patterns model was fitted on rule-based output (20 % fit). Other makers start from their
    own share of fit output (WMT24 chat systems: 87 %): a prior shift of the intercept, the
    standard correction when only the base rate differs."""
    m = load_model()["patterns"]
    return m["intercept"] + m["prior_shift"].get(kind, m["prior_shift"]["other"]) if kind != "rule" else m["intercept"]


def pattern_probability(translation: str, lang: str, kind: str = "rule") -> float:
    """P(fit) from the known-mistranslation table alone (the bench's view of the patterns model)."""
    table = table_for(lang)
    evidence = table.evidence(translation, strict=kind != "rule")[0] if table else 0.0
    return _sigmoid(_pattern_intercept(kind) + load_model()["patterns"]["evidence"] * evidence)


def model_confidence(findings: Mapping[str, Finding], kind: str = "rule") -> tuple[float, list[Signal]]:
    """P(fit) from the calibrated model that applies, and the signals that lowered it noticeably."""
    model = load_model()
    patterns = findings.get("error_patterns_strict" if kind != "rule" else "error_patterns")
    if patterns is not None:
        m = model["patterns"]
        intercept = _pattern_intercept(kind)
        value = _sigmoid(intercept + m["evidence"] * patterns.value)
        clean = _sigmoid(intercept)
        factor = value / clean if clean else 1.0
        signals = []
        if factor < _SHOW_BELOW:
            signals.append(Signal("error_patterns", patterns.detail or "known mistranslations", round(factor, 3)))
        return value, signals
    g = model["generic"]
    features = {k: f.value for k, f in findings.items() if k in g["weights"] and f.value == f.value}
    # logit P(unfit); a missing feature counts as its mean, so it moves nothing.
    z = g["intercept"] + sum(w * (features.get(k, g["means"][k]) - g["means"][k]) for k, w in g["weights"].items())
    value = 1.0 - _sigmoid(z)
    signals = []
    for name, x in features.items():
        contribution = g["weights"][name] * (x - g["means"][name])
        if contribution <= 0:
            continue
        without = 1.0 - _sigmoid(z - contribution)
        factor = value / without if without else 1.0
        if factor < _SHOW_BELOW:
            detail = findings[name].detail or _DETAILS.get(name, name).format(value=x)
            signals.append(Signal(name, detail, round(factor, 3)))
    return value, signals


def rule_signals(findings: Mapping[str, Finding]) -> list[Signal]:
    """Hand-set penalties for the failures the fitted model has too few examples of."""
    out = []
    m = findings.get("mismatch")
    if m is not None and m.value > 0:
        out.append(Signal("mismatch", m.detail or "numbers or names differ", PENALTY["mismatch"] ** min(m.value, 2)))
    r = findings.get("repetition")
    # A third or more: a loop. Below that, fluent text that reuses its words ("de", "tiene") —
    # 4 of 123 human translations reached 20–25 %.
    if r is not None and r.detail and r.value >= LOOP_SHARE:
        out.append(Signal("repetition", r.detail, PENALTY["repetition"]))
    w = findings.get("wrong_language")
    if w is not None and w.value >= 0.5 and w.detail:
        out.append(Signal("wrong_language", w.detail, PENALTY["wrong_language"]))
    # A neural or LLM engine's own doubt: 1 − its mean token probability. No labelled neural output
    # is here to fit it on, so it is a hand-set factor: nothing while the mean token probability is
    # 0.5 or more (ordinary for a trained model), down to ENGINE_DOUBT_FLOOR for a model that guessed.
    e = findings.get("engine_score")
    if e is not None and e.value > 1 - ENGINE_DOUBT_FREE and not (e.detail or "").endswith("unknown to the engine"):
        factor = max(ENGINE_DOUBT_FLOOR, (1.0 - e.value) / ENGINE_DOUBT_FREE)
        out.append(Signal("engine_score", e.detail or f"the engine was unsure ({e.value:.0%} doubt)", round(factor, 3)))
    rt = findings.get("round_trip")
    # Short texts round-trip badly even when right ("Merci!" → "Gracias!" → "Grâces!").
    long_enough = findings.get("source_words", Finding(ROUND_TRIP_MIN_WORDS)).value >= ROUND_TRIP_MIN_WORDS
    if rt is not None and rt.value >= ROUND_TRIP_LOST and long_enough:
        out.append(
            Signal("round_trip", rt.detail or "translated back, it reads as something else", PENALTY["round_trip_lost"])
        )
    u = findings.get("untranslated")
    if u is not None and u.value >= 1.0 and u.detail:
        out.append(Signal("untranslated", u.detail, PENALTY["untranslated"]))
    return out


def assess(findings: Mapping[str, Finding], problems: Sequence[Signal] = (), kind: str = "rule") -> Confidence:
    """The fitted model, then every rule and the caller's problems (glossary, masks) as factors.

    `kind` is who made the translation ('rule', 'neural', 'llm', 'other'): it sets the prior."""
    value, signals = model_confidence(findings, kind)
    return combine(value, signals, [*rule_signals(findings), *problems])


def combine(base: float, base_signals: Sequence[Signal], problems: Sequence[Signal]) -> Confidence:
    """`base` times every problem's factor; base_signals explain the base and are not applied again."""
    value = base
    for s in problems:
        value *= s.factor
    value = min(1.0, max(0.0, value))
    return Confidence(round(value, 4), band(value), tuple(base_signals) + tuple(problems))
