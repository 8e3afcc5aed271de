"""An LLM as a second reviewer: its MQM-style judgement as one more "fit to send" signal.

Optional per brand (`llm_review: true`) when the operator names a reviewing engine
(`TONEGATE_REVIEWER` = an `openai` engine of the engines file, models/remote/reviewer.py). A
major or critical error the LLM finds lowers the confidence by a hand-set factor (no labelled
LLM judgements are here to fit it on; bench/README.md, "Fit to send"), so the translation is held
for an editor; a reviewer that cannot answer leaves the score as it was and says so.
"""

from __future__ import annotations

import logging
from typing import Protocol

from gateway.confidence import Signal
from models.base import LanguagePair
from models.errors import ConfigError, ModelError

log = logging.getLogger(__name__)

# What each worst severity multiplies the confidence by.
FACTORS = {"critical": 0.1, "major": 0.3, "minor": 0.95}


class Reviewer(Protocol):
    name: str

    def review(self, source: str, translation: str, pair: LanguagePair): ...


def review_signal(reviewer: Reviewer, source: str, translation: str, source_lang: str, target_lang: str) -> Signal:
    """Blocking: the reviewer's verdict as a Signal (informational when it found nothing or failed)."""
    try:
        review = reviewer.review(source, translation, LanguagePair(source_lang, target_lang))
    except ModelError as exc:
        log.warning("LLM reviewer %s failed: %s", reviewer.name, exc)
        return Signal("llm_review", f"the LLM reviewer could not judge it ({exc})")
    if not review.errors:
        return Signal("llm_review", f"{reviewer.name} found no error")
    worst = max(review.errors, key=lambda e: ("minor", "major", "critical").index(e.severity))
    shown = "; ".join(f"{e.severity} {e.category}" + (f" {e.span!r}" if e.span else "") for e in review.errors[:3])
    return Signal("llm_review", f"{reviewer.name} found: {shown}", FACTORS[worst.severity])


def find_reviewer(engines: list, name: str) -> Reviewer:
    """The engine called `name` that can review; a ConfigError naming the ones that can, if not."""
    able = {e.name: e for e in engines if callable(getattr(e, "review", None))}
    if name not in able:
        choices = ", ".join(sorted(able)) or "none: declare an engine of kind 'openai' in the engines file"
        raise ConfigError(f"TONEGATE_REVIEWER={name!r} is not an engine that can review; engines that can: {choices}")
    return able[name]
