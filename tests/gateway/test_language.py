"""The documented order in which context decides a short message's language (gateway/language.py)."""

from __future__ import annotations

import pytest

from gateway.language import AGENT, BRAND, CONVERSATION, DETECTOR, GUESS, LOCALE, NOTHING, Context, decide
from models.langid import Detection

OK = Detection("pl", 0.2, (("hu", 0.15), ("en", 0.05), ("es", 0.04)), "too_short")  # lingua on "ok"
SURE = Detection("fr", 0.99, (("en", 0.01),))
NO_LETTERS = Detection(None, 0.0, (), "no_letters")
FULL = Context(conversation="de", locale="it", brand_languages=("es", "en"), agent="es")


def test_a_reliable_detection_wins_over_every_context() -> None:
    assert decide(SURE, FULL).lang == "fr"
    assert decide(SURE, FULL).decided_by == DETECTOR
    assert decide(SURE, FULL).detail == ""


def test_no_letters_is_nothing_to_translate() -> None:
    assert decide(NO_LETTERS, FULL) == decide(NO_LETTERS, Context()) == decide(NO_LETTERS, Context(agent="es"))
    assert decide(NO_LETTERS, FULL).lang is None and decide(NO_LETTERS, FULL).decided_by == NOTHING


@pytest.mark.parametrize(
    ("context", "lang", "by"),
    [
        (FULL, "de", CONVERSATION),
        (Context(locale="it", brand_languages=("es", "en"), agent="es"), "it", LOCALE),
        # Of the brand's languages, the one the detector scored highest ("en" 0.05 > "es" 0.04).
        (Context(brand_languages=("es", "en"), agent="es"), "en", BRAND),
        (Context(agent="es"), "es", AGENT),
        (Context(), "pl", GUESS),
    ],
)
def test_context_decides_a_weak_guess_in_the_documented_order(context: Context, lang: str, by: str) -> None:
    decision = decide(OK, context)
    assert (decision.lang, decision.decided_by) == (lang, by)
    assert "best guess pl 0.20" in decision.detail


def test_brand_order_breaks_ties_between_unscored_languages() -> None:
    weak = Detection("vi", 0.3, (("de", 0.1),), "too_short")
    assert decide(weak, Context(brand_languages=("es", "en"), agent="fr")).lang == "es"
    assert decide(weak, Context(brand_languages=("en", "es"), agent="fr")).lang == "en"


def test_a_context_language_no_route_serves_is_passed_over() -> None:
    # No pl or de engine reaches Spanish: the conversation and locale step aside for the next.
    serves = {"es", "en"}.__contains__
    context = Context(conversation="pl", locale="de-DE"[:2], brand_languages=("pl", "en"), agent="es")
    decision = decide(OK, context, serves)
    assert (decision.lang, decision.decided_by) == ("en", BRAND)
    decision = decide(OK, Context(conversation="pl", agent="es"), serves)
    assert (decision.lang, decision.decided_by) == ("es", AGENT)


def test_a_short_message_keeps_its_conversations_language_unless_the_detector_is_near_certain() -> None:
    danke = Detection("de", 0.95, (("nl", 0.03),))  # reliable, but one word in a French chat
    context = Context(conversation="fr", agent="en")
    assert decide(danke, context).decided_by == DETECTOR  # a long text: the detector decides
    sticky = decide(danke, context, short=True)
    assert (sticky.lang, sticky.decided_by) == ("fr", CONVERSATION)
    assert "a short message in a conversation in fr (best guess de 0.95)" in sticky.detail
    certain = Detection("de", 0.995, ())
    assert decide(certain, context, short=True).lang == "de"
    # Nothing to stick to, or a conversation language no route serves: the detector decides.
    assert decide(danke, Context(agent="en"), short=True).decided_by == DETECTOR
    assert decide(danke, context, lambda lang: lang != "fr", short=True).decided_by == DETECTOR


def test_an_output_stuck_in_the_pivot_language_reads_as_a_wrong_language() -> None:
    from gateway.pipeline import Pipeline
    from models.langid import build_detector

    # No engine runs here: only the detector on outputs, as the pipeline calls it after a pivot.
    pipeline = Pipeline(None, build_detector("lingua", preload=False), None, 0.5)  # type: ignore[arg-type]
    stuck = "Hola, todavía no he recibido mi pedido y necesito ayuda."
    [(lang, confidence)] = pipeline._output_languages([stuck], "fr", "en", ("es",))
    assert lang == "es" and confidence > 0.9
    # Between the source and target alone the same text had no right answer to find.
    [(alone, _)] = pipeline._output_languages([stuck], "fr", "en")
    assert alone in {"fr", "en", None}
    # A short output is checked against source and target only: "No." reads as Spanish among the
    # three, and is a fine English translation.
    [(no, _)] = pipeline._output_languages(["No."], "fr", "en", ("es",))
    assert no in {"en", None}
