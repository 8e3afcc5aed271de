"""The same text gives the same translation whatever the engine translated before (issue 16).

Apertium 3.8's HMM tagger changes state when it meets an ambiguity class it was not trained on
("a lot of" = adj / det.qnt): a long-lived tagger then tagged "touch" in "I will be in touch
shprtly" as a verb ("tocar") where a fresh one says noun ("tacto"). Runs with the translation
cache on and off differed this way. The sentences here are hand-written.
"""

from __future__ import annotations

import random

import pytest

from models.apertium import ApertiumEngine, mode_commands, split_tagger
from models.base import LanguagePair
from models.config import EngineSpec

EN_ES = LanguagePair("en", "es")
ES_EN = LanguagePair("es", "en")
SENSITIVE = "I will be in touch shprtly"
POISON = "For some reason I tried with a lot of USB cables"
OTHERS = [
    "Do you have the ereader connected to the computer?",
    "Check your spam folder, please.",
    "Thanks for waiting, the order is on its way.",
    "I have deleted the payment information, please add it again",
    "Tap the icon at the top of the screen.",
    "Would you like me to arrange a return of this item?",
    "Take care and stay safe",
    "the book is not available with your credits",
]


def _engine() -> ApertiumEngine:
    return ApertiumEngine.from_spec(EngineSpec(name="apertium", kind="apertium", pairs=["en-es", "es-en"]))


@pytest.fixture(scope="module")
def engine():
    eng = _engine()
    yield eng
    eng.close()


def test_the_tagger_is_cut_out_of_the_long_lived_chain():
    from pathlib import Path

    parts = split_tagger(mode_commands(Path("/usr/share/apertium/modes/eng-spa.mode")))
    assert parts is not None
    before, tagger, after = parts
    assert before[0][0] == "lt-proc" and "apertium-tagger" in tagger[0] and after


def test_what_came_before_does_not_change_a_translation(engine):
    fresh = _engine()
    try:
        [alone] = fresh.translate([SENSITIVE], EN_ES)
    finally:
        fresh.close()
    engine.translate([POISON], EN_ES)  # an unknown ambiguity class, met first
    [after] = engine.translate([SENSITIVE], EN_ES)
    assert after.text == alone.text


def test_batch_composition_and_order_do_not_change_translations(engine):
    texts = [POISON, *OTHERS, SENSITIVE]
    single = {t: engine.translate([t], EN_ES)[0].text for t in texts}
    rng = random.Random(16)
    for _ in range(3):
        order = texts[:]
        rng.shuffle(order)
        got = engine.translate(order, EN_ES)
        assert {t: h.text for t, h in zip(order, got, strict=True)} == single


def test_spanish_to_english_is_deterministic_too(engine):
    texts = ["Tienes el lector conectado al ordenador?", "Comprueba tu carpeta de spam.", "Hay mucho que hacer."]
    first = [h.text for h in engine.translate(texts, ES_EN)]
    engine.translate(list(reversed(texts)) * 3, ES_EN)
    assert [h.text for h in engine.translate(texts, ES_EN)] == first


def test_taggers_that_met_an_unknown_class_are_retired(engine):
    pipe = engine._pool(EN_ES)._idle.get()
    try:
        before = pipe.taggers.retired
        pipe.run([POISON])
        assert pipe.taggers.retired == before + 1
    finally:
        engine._pool(EN_ES)._idle.put(pipe)
