"""Routing language pairs to engines, pivoting, and the engines file."""

from __future__ import annotations

import pytest

from models.config import EngineSpec, load_engine_specs, parse_engine_specs
from models.errors import ConfigError, UnsupportedPair
from models.registry import EngineRegistry


@pytest.fixture(scope="module")
def registry():
    reg = EngineRegistry.from_specs([EngineSpec(name="apertium", kind="apertium")])
    yield reg
    reg.close()


def test_direct_pairs_route_to_one_hop(registry):
    assert registry.route("en", "es").label == "apertium:en-es"
    assert registry.route("en", "es").pivots == ()


def test_pivot_gives_french_to_english_through_spanish(registry):
    route = registry.route("fr", "en")
    assert route.label == "apertium:fr-es>apertium:es-en"
    [hyp], _ = registry.translate(["Merci beaucoup pour votre aide."], "fr", "en")
    assert hyp.text.startswith("Thank you very much")
    assert "fr-es.words" in hyp.details and "es-en.words" in hyp.details


def test_every_pair_among_the_six_debian_languages_is_reachable(registry):
    langs = {"en", "es", "fr", "pt", "it", "ca"}
    assert registry.languages() == langs
    assert len(registry.routes) == len(langs) * (len(langs) - 1)


def test_unsupported_pair_names_the_pair_and_lists_what_exists(registry):
    with pytest.raises(UnsupportedPair, match="no engine for de→en; available pairs: ca-en"):
        registry.route("de", "en")


def test_first_declared_engine_wins_a_pair():
    first = EngineSpec(name="first", kind="apertium", pairs=["en-es"])
    second = EngineSpec(name="second", kind="apertium", pairs=["en-es", "es-en"])
    reg = EngineRegistry.from_specs([first, second])
    try:
        assert reg.route("en", "es").label == "first:en-es"
        assert reg.route("es", "en").label == "second:es-en"
    finally:
        reg.close()


def test_unknown_engine_kind_lists_the_valid_kinds():
    with pytest.raises(
        ConfigError,
        match="unknown engine kind 'marian'; valid kinds: apertium, ctranslate2, deepl, fallback, libretranslate, "
        "openai, transformers",
    ):
        parse_engine_specs({"engine": [{"name": "x", "kind": "marian"}]})


def test_engines_file_errors_name_the_engine_and_field(tmp_path):
    path = tmp_path / "engines.toml"
    path.write_text('[[engine]]\nname = "opus"\nkind = "ctranslate2"\ndevice = "tpu"\n')
    with pytest.raises(ConfigError, match="engine opus: device"):
        load_engine_specs(path)
    path.write_text("[[engine]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_engine_specs(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_engine_specs(tmp_path / "missing.toml")
    path.write_text('[[engine]]\nname = "a"\nkind = "apertium"\n[[engine]]\nname = "a"\nkind = "apertium"\n')
    with pytest.raises(ConfigError, match="unique, repeated: a"):
        load_engine_specs(path)
