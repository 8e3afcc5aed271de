"""The Apertium engine against the real Debian pipelines."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from models.apertium import ApertiumEngine, decode_segment, encode_segment, installed_modes, mode_commands
from models.base import LanguagePair
from models.config import EngineSpec
from models.errors import ConfigError, UnsupportedPair

EN_ES = LanguagePair("en", "es")
MODES = Path("/usr/share/apertium/modes")


@pytest.fixture(scope="module")
def engine():
    eng = ApertiumEngine.from_spec(EngineSpec(name="apertium", kind="apertium", pairs=["en-es", "es-en", "fr-es"]))
    yield eng
    eng.close()


def test_installed_modes_cover_the_debian_pairs():
    pairs = {str(p) for p in installed_modes(MODES)}
    assert {"en-es", "es-en", "fr-es", "es-fr", "es-pt", "pt-es", "es-it", "it-es", "en-ca", "ca-en"} <= pairs


def test_mode_commands_run_every_stage_in_null_flush_mode():
    commands = mode_commands(MODES / "eng-spa.mode")
    assert len(commands) > 5
    assert all(argv[1] == "-z" for argv in commands)
    assert "-g" in commands[-2]  # the generator keeps the unknown-word marks we score


def test_translates_english_to_spanish(engine):
    [hyp] = engine.translate(["Thank you very much, my car is red."], EN_ES)
    assert hyp.text == "Muchas gracias, mi coche es rojo."
    assert hyp.score == 0.0
    assert hyp.details["unknown_words"] == 0


def test_unknown_words_become_a_score_and_lose_their_mark(engine):
    [hyp] = engine.translate(["The blorfwidget is red."], EN_ES)
    assert "*" not in hyp.text
    assert "blorfwidget" in hyp.text
    assert hyp.details["unknown_words"] == 1
    assert hyp.score < 0


def test_special_characters_and_placeholders_come_back_verbatim(engine):
    src = "Use [x] or \\path $5 <b> *now* #1 @bob ⟦0⟧ ⟦12⟧ ok."
    [hyp] = engine.translate([src], EN_ES)
    for piece in ("[x]", "\\", "$5", "<b>", "*", "#1", "@bob", "⟦0⟧", "⟦12⟧"):
        assert piece in hyp.text, (piece, hyp.text)


def test_sentence_final_punctuation_is_kept(engine):
    texts = ["I paid with Shop Pay.", "Hello...", "Where is it?", "Thanks!!"]
    out = [h.text for h in engine.translate(texts, EN_ES)]
    assert [t[-1] for t in out] == [".", ".", "?", "!"]


def test_batch_matches_one_by_one_and_keeps_order(engine):
    texts = ["Good morning.", "", "My order has not arrived.", "   ", "Can you help me?"]
    batch = engine.translate(texts, EN_ES)
    single = [engine.translate([t], EN_ES)[0] for t in texts]
    assert [h.text for h in batch] == [h.text for h in single]
    assert batch[1].text == "" and batch[3].text == "   "


def test_concurrent_callers_each_get_their_own_answer(engine):
    texts = [f"I have {n} red cars." for n in ("two", "three", "four", "five", "six", "seven")] * 5
    expected = {t: engine.translate([t], EN_ES)[0].text for t in set(texts)}
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda t: engine.translate([t], EN_ES)[0].text, texts))
    assert got == [expected[t] for t in texts]


def test_a_killed_pipeline_is_restarted(engine):
    engine.translate(["Hello."], EN_ES)
    pool = engine._pool(EN_ES)
    pipe = pool._idle.get()
    os.kill(pipe.procs[3].pid, signal.SIGKILL)
    pipe.procs[3].wait()
    pool._idle.put(pipe)
    before = engine.restarts
    [hyp] = engine.translate(["Good morning."], EN_ES)
    assert hyp.text == "Buenos días."
    assert engine.restarts == before + 1


def test_a_large_batch_does_not_deadlock_the_pipes(engine):
    texts = ["This is a fairly long sentence about a parcel that never arrived at my house."] * 400
    hyps = engine.translate(texts, EN_ES)
    assert len(hyps) == 400 and len({h.text for h in hyps}) == 1


def test_pair_outside_the_engine_is_refused(engine):
    with pytest.raises(UnsupportedPair, match="en→de"):
        engine.translate(["Hello"], LanguagePair("en", "de"))


def test_declaring_a_pair_that_is_not_installed_fails_with_the_installed_list():
    with pytest.raises(ConfigError, match=r"no Apertium mode for en-de.*installed: .*en-es"):
        ApertiumEngine.from_spec(EngineSpec(name="a", kind="apertium", pairs=["en-de"]))


def test_missing_modes_dir_says_what_to_install(tmp_path):
    with pytest.raises(ConfigError, match="apt-get install apertium"):
        ApertiumEngine.from_spec(EngineSpec(name="a", kind="apertium", modes_dir=str(tmp_path)))


def test_stream_encoding_round_trips_literal_text():
    text = "a [b] \\c ^d$ /e <f> {g} *h #i @j ~k"
    decoded = decode_segment(encode_segment(text))
    assert decoded.text == text
    assert sum(decoded.marks.values()) == 0
