"""Confidence, first version: the engine's own score and the protection audit, as one number.

The number is what the engine's score says (its geometric-mean token probability, or the share of
words Apertium knew), lowered by a factor for each problem found. Every factor comes with a
signal, so an editor sees why a translation was flagged. A later version calibrates this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Lower bounds of the bands, best first (the industry's habit: best / good / weak / poor).
BANDS: tuple[tuple[float, str], ...] = ((0.9, "best"), (0.75, "good"), (0.5, "weak"), (0.0, "poor"))

# How much each problem lowers confidence (a multiplier).
PENALTY = {
    "mask_lost": 0.5,
    "mask_duplicated": 0.8,
    "pivot": 0.92,
    "untranslated": 0.4,
    "empty_output": 0.0,
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


def engine_signals(score: float, details: dict[str, float]) -> tuple[float, list[Signal]]:
    """Turn an engine score (mean token log-probability) into a probability and its signals."""
    base = math.exp(max(min(score, 0.0), -20.0))
    signals: list[Signal] = []
    unknown = sum(
        v for k, v in details.items() if k.endswith(("unknown_words", "untranslated_words", "generation_errors"))
    )
    words = max((v for k, v in details.items() if k.endswith("words") and "_" not in k.rsplit(".", 1)[-1]), default=0)
    if unknown:
        signals.append(
            Signal("unknown_words", f"{int(unknown)} of {int(words)} words were unknown to the engine", base)
        )
    elif base < 0.9:
        signals.append(Signal("engine_score", f"the engine's mean token log-probability is {score:.2f}", base))
    return base, signals


def combine(base: float, base_signals: Sequence[Signal], problems: Sequence[Signal]) -> Confidence:
    value = base
    for s in problems:
        value *= s.factor
    value = min(1.0, max(0.0, value))
    return Confidence(round(value, 4), band(value), tuple(base_signals) + tuple(problems))
