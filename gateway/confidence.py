"""Confidence: one number in [0, 1], a band, and the signals that lowered it.

Two layers:

1. A small logistic model over measured features (gateway/quality.py) gives the probability that
   a translation is *not* among the worst quarter of what the engine produces. Its weights were
   fitted by bench/calibrate.py on TICO-19 dev (Apertium en→es, label: the worst quarter by
   sentence chrF within each decile of source length, so length alone cannot win) and are written
   here as constants; bench/README.md (calibration) has the figures and the command that refits them.
2. Failures too rare in that data to fit (a lost placeholder, a changed number, a loop, the
   wrong output language, a missing glossary term) multiply the result by a hand-set factor,
   as the first version did; each comes with a signal.

Every feature that lowered the value by a noticeable amount is reported as a Signal whose factor
is what that feature alone cost (the model's value without it / with it), so editors see why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.quality import Finding

# Lower bounds of the bands, best first (the industry's habit: best / good / weak / poor). They are
# the quartiles of confidence on the calibration set: "best" is the top quarter of the gateway's
# own translations, "good" the next, "poor" the quarter flagged for review by default.
BANDS: tuple[tuple[float, str], ...] = ((0.854, "best"), (0.782, "good"), (0.662, "weak"), (0.0, "poor"))

# The fitted model (bench/calibrate.py --fit; TICO-19 dev, Apertium en→es, n=971).
# logit P(worst quarter) = INTERCEPT + Σ WEIGHTS[f] · (x_f − MEANS[f]); a missing feature counts
# as its mean, so it moves nothing (e.g. no reverse engine: no round trip).
INTERCEPT = -1.251
WEIGHTS: dict[str, float] = {
    # 1 − exp(engine score): Apertium's unknown-word share, or a neural engine's doubt. Held at its
    # earlier fitted value (bench/calibrate.py HELD): on Apertium output foreign_words and
    # unseen_words say the same better, but it is all a neural engine tells us.
    "engine_score": 1.399,
    "round_trip": 1.44,  # 1 − chrF(back-translation, source)/100
    "round_trip_words": 2.807,  # 1 − word F1(back-translation, source): whole words lost or changed
    "generation_errors": 0.677,  # how many words Apertium marked # (a form it could not generate)
    "length_ratio": 0.221,  # |log length ratio − the pair's usual|
    "source_rarity": -0.914,  # mean 7 − Zipf frequency of the source's words (rare terms copy well)
    "output_rarity": 0.296,  # the same on the output, in the target language
    "foreign_words": 3.826,  # share of output words 10× more frequent in the source language
    "unseen_words": 6.027,  # share of output words absent from the target language's word list
    "untranslated": 0.0,  # share of source words copied unchanged: fitted negative, so held at 0
    "plainness": 2.415,  # 1 − share of source tokens that are numbers or capitalised
    "word_length": -0.538,  # mean letters per source word
    "common_words": -2.537,  # share of source words with Zipf ≥ 5.5 (given the rest: function words translate safely)
}
MEANS: dict[str, float] = {
    "engine_score": 0.071,
    "round_trip": 0.255,
    "round_trip_words": 0.228,
    "generation_errors": 0.082,
    "length_ratio": 0.081,
    "source_rarity": 1.672,
    "output_rarity": 1.932,
    "foreign_words": 0.019,
    "unseen_words": 0.084,
    "untranslated": 0.092,
    "plainness": 0.897,
    "word_length": 5.407,
    "common_words": 0.467,
}
# The usual log(target chars / source chars) per direction (TICO-19 references); 0 where unmeasured.
LENGTH_LOG_RATIO: dict[tuple[str, str], float] = {("en", "es"): 0.15}

# Below this confidence a translation needs review unless the brand sets its own `review_below`
# (bench/README.md (calibration): flags about the worst quarter on TICO-19).
REVIEW_BELOW = 0.662

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
}
# Only signals that cost at least this much are listed; the rest is noise to an editor.
_SHOW_BELOW = 0.97

_DETAILS = {
    "engine_score": "the engine was unsure ({value:.0%} doubt)",
    "round_trip": "the round trip lost much of the meaning",
    "length_ratio": "the translation's length is unusual for this source",
    "source_rarity": "the source is everyday wording, which the engine renders loosely",
    "output_rarity": "the translation has many words that are rare in the target language",
    "untranslated": "some source words were left untranslated",
    "plainness": "plain prose with few names or numbers, where word choice goes wrong most",
    "word_length": "short everyday words, the most ambiguous kind",
    "round_trip_words": "translated back, many words came back different",
    "generation_errors": "the engine could not build the right form of {value:.0f} word(s)",
    "foreign_words": "{value:.0%} of the translation's words read as the source language",
    "unseen_words": "{value:.0%} of the translation's words are not known words of the target language",
    "common_words": "the source is mostly rare or technical words",
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


def band(value: float) -> str:
    return next(name for floor, name in BANDS if value >= floor)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def logit(features: Mapping[str, float]) -> float:
    """The model's logit of 'worst quarter' for the given features (missing ones count as their mean)."""
    return INTERCEPT + sum(w * (features.get(k, MEANS[k]) - MEANS[k]) for k, w in WEIGHTS.items())


def model_confidence(findings: Mapping[str, Finding]) -> tuple[float, list[Signal]]:
    """P(not among the worst quarter) and a signal for each feature that lowered it noticeably."""
    features = {k: f.value for k, f in findings.items() if k in WEIGHTS}
    z = logit(features)
    value = 1.0 - _sigmoid(z)
    signals = []
    for name, x in features.items():
        contribution = WEIGHTS[name] * (x - MEANS[name])
        if contribution <= 0:
            continue
        without = 1.0 - _sigmoid(z - contribution)
        factor = value / without if without else 1.0
        if factor < _SHOW_BELOW:
            detail = findings[name].detail or _DETAILS[name].format(value=x)
            signals.append(Signal(name, detail, round(factor, 3)))
    return value, signals


def rule_signals(findings: Mapping[str, Finding]) -> list[Signal]:
    """Hand-set penalties for the failures the fitted model has too few examples of."""
    out = []
    m = findings.get("mismatch")
    if m is not None and m.value > 0:
        out.append(Signal("mismatch", m.detail or "numbers or names differ", PENALTY["mismatch"] ** min(m.value, 2)))
    r = findings.get("repetition")
    if r is not None and r.detail:
        out.append(Signal("repetition", r.detail, PENALTY["repetition"]))
    w = findings.get("wrong_language")
    if w is not None and w.value >= 0.5 and w.detail:
        out.append(Signal("wrong_language", w.detail, PENALTY["wrong_language"]))
    u = findings.get("untranslated")
    if u is not None and u.value >= 1.0 and u.detail:
        out.append(Signal("untranslated", u.detail, PENALTY["untranslated"]))
    return out


def assess(findings: Mapping[str, Finding], problems: Sequence[Signal] = ()) -> Confidence:
    """The fitted model, then every rule and the caller's problems (glossary, masks) as factors."""
    value, signals = model_confidence(findings)
    return combine(value, signals, [*rule_signals(findings), *problems])


def combine(base: float, base_signals: Sequence[Signal], problems: Sequence[Signal]) -> Confidence:
    """`base` times every problem's factor; base_signals explain the base and are not applied again."""
    value = base
    for s in problems:
        value *= s.factor
    value = min(1.0, max(0.0, value))
    return Confidence(round(value, 4), band(value), tuple(base_signals) + tuple(problems))
