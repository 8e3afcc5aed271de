"""An LLM as a reviewer: an MQM-style judgement of one translation (errors with a severity).

The same OpenAI-compatible server that translates can judge a translation made anywhere, as one
more "fit to send" signal: a major or critical error means not fit. The answer must be JSON
(`{"errors": [{"category", "severity", "span"}]}`), read strictly: a code fence around it is
accepted, anything else that is not that shape fails the call rather than guessing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from models.base import LanguagePair
from models.errors import EngineFailure
from models.remote.prompt import _name

Severity = Literal["minor", "major", "critical"]
SEVERITIES: tuple[Severity, ...] = ("minor", "major", "critical")
# MQM weights as in the WMT human evaluations (minor 1, major 5); critical errors weigh 10.
WEIGHTS: dict[str, float] = {"minor": 1.0, "major": 5.0, "critical": 10.0}

_JSON = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True, slots=True)
class MQMError:
    category: str  # e.g. "accuracy/mistranslation", "fluency/grammar", "style/register", "terminology"
    severity: Severity
    span: str = ""  # the words of the translation at fault


@dataclass(frozen=True, slots=True)
class Review:
    errors: tuple[MQMError, ...] = ()

    @property
    def fit(self) -> bool:
        """Fit to send: no major or critical error."""
        return not any(e.severity != "minor" for e in self.errors)

    @property
    def mqm_score(self) -> float:
        """The weighted error count (0 is perfect)."""
        return sum(WEIGHTS[e.severity] for e in self.errors)


def review_messages(source: str, translation: str, pair: LanguagePair) -> list[dict[str, str]]:
    system = "\n".join(
        [
            "You review translations of customer-support messages the way MQM annotators do.",
            f"The source is in {_name(pair.source)}, the translation in {_name(pair.target)}.",
            "List every error in the translation with its category (accuracy/mistranslation, accuracy/omission, "
            "accuracy/addition, fluency/grammar, fluency/spelling, style/register, terminology, other) and severity: "
            "minor (the customer would not mind), major (the meaning or tone is wrong, not fit to send), "
            "critical (harmful or misleading).",
            "Tokens like ⟦0⟧ are protected text: not errors.",
            'Answer with JSON only: {"errors": [{"category": "...", "severity": "minor|major|critical", '
            '"span": "the words at fault"}]}; {"errors": []} when there are none.',
        ]
    )
    user = f"Source:\n{source}\n\nTranslation:\n{translation}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_review(answer: str | None) -> Review:
    """The errors in a reviewer's answer; EngineFailure when it is not the JSON asked for."""
    text = (answer or "").strip()
    if text.startswith("```"):
        text = re.sub(r"\A```[\w-]*\n?|\n?```\Z", "", text).strip()
    m = _JSON.search(text)
    if m is None:
        raise EngineFailure(f"the reviewer did not answer with JSON: {text[:120]!r}")
    try:
        data = json.loads(m.group(0))
    except json.JSONDecodeError as exc:
        raise EngineFailure(f"the reviewer's JSON does not parse ({exc.msg}): {text[:120]!r}") from None
    items = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise EngineFailure(f"the reviewer's answer has no list of errors: {text[:120]!r}")
    errors = []
    for item in items:
        if not isinstance(item, dict) or str(item.get("severity", "")).lower() not in SEVERITIES:
            raise EngineFailure(f"a reviewer's error needs a severity of {', '.join(SEVERITIES)}: {item!r}")
        errors.append(
            MQMError(
                str(item.get("category") or "other"),
                str(item["severity"]).lower(),  # type: ignore[arg-type]
                str(item.get("span") or ""),
            )
        )
    return Review(tuple(errors))
