"""Apertium morphology through real lt-proc processes: analysis, generation, restarts, threads."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from models.errors import ConfigError
from models.morphology import ApertiumMorphology, installed_morphologies, parse_analysis

INSTALLED = installed_morphologies()
pytestmark = pytest.mark.skipif(
    shutil.which("lt-proc") is None or "es" not in INSTALLED, reason="needs lt-proc and apertium-eng-spa"
)


@pytest.fixture(scope="module")
def es():
    with ApertiumMorphology("es") as m:
        yield m


def test_installed_languages_come_from_pair_packages():
    assert {"en", "es", "fr", "it", "pt"} <= set(INSTALLED)
    analyser, generator = INSTALLED["es"]
    assert analyser.name == "spa-eng.automorf.bin" and generator.name == "eng-spa.autogen.bin"


def test_unknown_language_lists_the_installed_ones(tmp_path):
    with pytest.raises(ConfigError, match="installed: ca, en, es, fr, it, pt"):
        ApertiumMorphology("de")
    with pytest.raises(ConfigError, match="installed: none"):
        ApertiumMorphology("es", data_dir=tmp_path)


def test_nothing_starts_until_first_use():
    m = ApertiumMorphology("es")
    assert m._analyser._proc is None and m._generator._proc is None
    m.close()  # closing an unstarted instance is fine


def test_missing_binary_is_a_config_error():
    m = ApertiumMorphology("es", lt_proc="/nonexistent/lt-proc")
    with pytest.raises(ConfigError, match="cannot start"):
        m.analyse(["casa"])


def test_analysis_lists_every_reading(es):
    recibiras, quieres, te, unknown = es.analyse(["recibirás", "quieres", "te", "xqzv"])
    assert recibiras == ["recibir<vblex><fti><p2><sg>"]
    assert set(quieres) == {"querer<vbmod><pri><p2><sg>", "querer<vblex><pri><p2><sg>"}
    assert te == ["prpers<prn><pro><p2><mf><sg>"]
    assert unknown == []


def test_analysis_keeps_enclitics_and_order_and_duplicates(es):
    words = ["envíame", "casa", "envíame", ""]
    out = es.analyse(words)
    assert out[0] == out[2] == ["enviar<vblex><imp><p2><sg>+prpers<prn><enc><p1><mf><sg>"]
    assert out[1] and out[3] == []


def test_stream_characters_in_words_do_not_break_the_protocol(es):
    out = es.analyse(["a^b$", "[x]", "c/d", "tienes", "a\0b"])
    assert out[3] == ["tener<vblex><pri><p2><sg>"]
    assert len(out) == 5


def test_generation(es):
    forms = [
        "recibir<vblex><fti><p3><sg>",
        "enviar<vblex><imp><p3><sg>+prpers<prn><enc><p1><mf><sg>",
        "registrar<vblex><inf>+se<prn><enc><ref><p3><mf><sp>",
        "noexiste<vblex><pri><p3><sg>",
        "bad$form",
    ]
    assert es.generate(forms) == ["recibirá", "envíeme", "registrarse", None, None]
    assert es.generate([]) == []


@pytest.mark.parametrize(
    ("lang", "word", "reading", "form", "surface"),
    [
        ("fr", "as", "avoir<vbhaver><pri><p2><sg>", "avoir<vbhaver><pri><p2><pl>", "avez"),
        ("it", "hai", "avere<vbhaver><pri><p2><sg>", "avere<vbhaver><pri><p3><sg>", "ha"),
        ("pt", "recebes", "receber<vblex><pri><p2><sg>", "receber<vblex><pri><p3><sg>", "recebe"),
    ],
)
def test_other_languages(lang, word, reading, form, surface):
    if lang not in INSTALLED:
        pytest.skip(f"no dictionaries for {lang}")
    with ApertiumMorphology(lang) as m:
        assert reading in m.analyse([word])[0]
        assert m.generate([form]) == [surface]


def test_restarts_after_the_process_dies(es):
    es.analyse(["casa"])
    es.generate(["casa<n><f><sg>"])
    before = es.restarts
    assert es._analyser._proc is not None and es._generator._proc is not None
    es._analyser._proc.kill()
    es._analyser._proc.wait()
    es._generator._proc.kill()
    es._generator._proc.wait()
    assert es.analyse(["tenéis"]) == [["tener<vblex><pri><p2><pl>"]]  # not cached yet
    assert es.generate(["tener<vblex><pri><p3><sg>"]) == ["tiene"]
    assert es.restarts == before + 2


def test_concurrent_callers_get_their_own_answers():
    words = ["tienes", "puedes", "recibirás", "quieres", "estás", "casa", "eres", "has"]
    with ApertiumMorphology("es", cache_size=1) as m:  # a tiny cache: most calls reach lt-proc
        expected = {w: m.analyse([w])[0] for w in words}

        def work(n: int) -> bool:
            w = words[n % len(words)]
            return m.analyse([w, "casa"])[0] == expected[w] and m.generate(["tener<vblex><pri><p3><sg>"]) == ["tiene"]

        with ThreadPoolExecutor(8) as pool:
            assert all(pool.map(work, range(400)))


def test_parse_analysis():
    assert parse_analysis("^casa/casa<n><f><sg>/casar<vblex><pri><p3><sg>$") == [
        "casa<n><f><sg>",
        "casar<vblex><pri><p3><sg>",
    ]
    assert parse_analysis("^xq/*xq$") == []
    assert parse_analysis("^e/e<cnjcoo>$-^mail/mail<n>$") == []  # split into two units: not one word
    assert parse_analysis("^a\\/b/a\\/b<n>$") == ["a\\/b<n>"]
