"""Which language a message is in: the detector when it is sure, context in a fixed order when not.

The detector always has a best guess; on "ok", "thx" or "hola" that guess is weak (Polish,
Vietnamese, Spanish-or-Catalan). Such a message is decided by the first of these that can serve:

1. the conversation's language — the last language detected reliably in this conversation;
2. the customer's locale — the helpdesk's contact or ticket locale;
3. the brand's languages — the one the detector scored highest (brand order breaks ties);
4. the agent's language — the translation's target: the message passes through unchanged;
5. the detector's best guess, where none of the above is known.

A short message (one or two words) in a conversation whose language is known keeps that language
even when the detector calls its own guess reliable, unless it is near certain (STICKY): "ok",
"Danke" or "password reset" in a French chat are the customer writing to the same agent, and the
guess of a single word is the weakest evidence there is (bench/README.md, "conversations").

A context language "can serve" when it is the target or some route (direct or pivoted) reaches
the target from it, so a short message never ends in "no engine for pl→es". Pure code: the
pipeline gathers the context (gateway/pipeline.py), the language-ID bench replays conversations
through the same function (bench/langid.py --conversations).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from models.langid import NO_LETTERS, Detection

# Who decided a message's source language (`detected.decided_by` in the API).
GIVEN, DETECTOR, CONVERSATION, LOCALE, BRAND, AGENT, GUESS, NOTHING = (
    "given",
    "detector",
    "conversation",
    "locale",
    "brand",
    "agent",
    "guess",
    "no_letters",
)
# Above this confidence a short message's own language wins over its conversation's.
STICKY = 0.99
_WHY = {
    CONVERSATION: "the conversation's language",
    LOCALE: "the customer's locale",
    BRAND: "the brand's languages",
    AGENT: "the agent's language",
}


@dataclass(frozen=True, slots=True)
class Context:
    conversation: str | None = None
    locale: str | None = None
    brand_languages: Sequence[str] = ()
    agent: str | None = None  # the target language: the one the reader understands


@dataclass(frozen=True, slots=True)
class Decision:
    lang: str | None  # None: nothing to translate (no letters)
    decided_by: str
    detail: str = ""  # for the language_fallback signal; empty when the detector decided


def decide(
    detection: Detection,
    context: Context,
    can_serve: Callable[[str], bool] = lambda _: True,
    *,
    short: bool = False,
) -> Decision:
    """The source language of one detected text, and who decided it (the order in the module doc).

    short: the text has one or two words (models.langid.base.SHORT_WORDS)."""
    conversation = context.conversation
    sticky = (
        short
        and conversation is not None
        and detection.lang != conversation
        and detection.confidence < STICKY
        and can_serve(conversation)
    )
    if detection.reliable and not sticky:
        return Decision(detection.lang, DETECTOR)
    if detection.lang is None and detection.reason == NO_LETTERS:
        return Decision(None, NOTHING)
    guess = (
        f"best guess {detection.lang} {detection.confidence:.2f}" if detection.lang else "no candidate fits its script"
    )
    why = (
        f"a short message in a conversation in {conversation} ({guess})"
        if detection.reliable
        else f"too short or unclear to detect reliably ({guess})"
    )
    for lang, by in ((context.conversation, CONVERSATION), (context.locale, LOCALE)):
        if lang and can_serve(lang):
            return Decision(lang, by, f"{why}; used {_WHY[by]}, {lang}")
    scores = dict(detection.alternatives)
    if detection.lang:
        scores[detection.lang] = detection.confidence
    brand = [lang for lang in context.brand_languages if can_serve(lang)]
    if brand:
        # max() keeps the first of equal scores, so the brand's own order breaks ties.
        lang = max(brand, key=lambda code: scores.get(code, 0.0))
        return Decision(lang, BRAND, f"{why}; used {_WHY[BRAND]}, {lang}")
    if context.agent:
        return Decision(context.agent, AGENT, f"{why}; used {_WHY[AGENT]}, {context.agent}")
    if detection.lang:
        return Decision(detection.lang, GUESS, f"{why}; used the best guess")
    return Decision(None, NOTHING, why)
