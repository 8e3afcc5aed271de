"""models.neural: model location, family detection, language tags and pair resolution."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from models import neural
from models.base import LanguagePair
from models.config import EngineSpec
from models.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def spec(model: Path | str | None, **fields) -> EngineSpec:
    return EngineSpec(name="neural-test", kind="transformers", model=None if model is None else str(model), **fields)


def languages_of(model_dir: Path, **fields) -> neural.ModelLanguages:
    s = spec(model_dir, **fields)
    source = neural.resolve_model(s)
    family = neural.detect_family(s, source)
    return neural.model_languages(family, neural.load_tokenizer(s, family, source), source)


def pairs(*texts: str) -> frozenset[LanguagePair]:
    return frozenset(LanguagePair.parse(t) for t in texts)


# --- where the model is -----------------------------------------------------------------------


def test_local_folder_resolves(marian_dir: Path) -> None:
    source = neural.resolve_model(spec(marian_dir))
    assert source.local and source.location == str(marian_dir) and source.name == marian_dir.name


def test_missing_folder_without_download_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        neural.resolve_model(spec(tmp_path / "nope"))
    assert str(err.value) == (
        f"engine neural-test: model '{tmp_path / 'nope'}' is not a local folder; "
        "set allow_download = true to fetch hub ids"
    )


def test_hub_id_is_passed_on_only_when_downloads_are_allowed() -> None:
    with pytest.raises(ConfigError, match="allow_download"):
        neural.resolve_model(spec("Helsinki-NLP/opus-mt-en-es"))
    source = neural.resolve_model(spec("Helsinki-NLP/opus-mt-en-es", allow_download=True))
    assert not source.local and source.location == "Helsinki-NLP/opus-mt-en-es"


def test_model_must_be_set_and_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set `model`"):
        neural.resolve_model(spec(None))
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(ConfigError, match="is a file"):
        neural.resolve_model(spec(tmp_path / "model.bin"))


# --- which family -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "family"), [("marian_dir", "marian"), ("nllb_dir", "nllb"), ("m2m100_dir", "m2m100")]
)
def test_family_is_detected(request: pytest.FixtureRequest, fixture: str, family: str) -> None:
    model_dir = request.getfixturevalue(fixture)
    assert neural.detect_family(spec(model_dir), neural.resolve_model(spec(model_dir))) == family


def test_family_falls_back_to_config_model_type(tmp_path: Path, marian_dir: Path, nllb_dir: Path) -> None:
    for src, expected in ((marian_dir, "marian"), (nllb_dir, "nllb")):
        folder = tmp_path / src.name
        folder.mkdir()
        shutil.copy(src / "config.json", folder / "config.json")  # no tokenizer_config.json
        assert neural.detect_family(spec(folder), neural.resolve_model(spec(folder))) == expected


def test_family_of_a_converted_folder_comes_from_its_tokenizer(converted, nllb_dir: Path) -> None:
    folder = converted(nllb_dir)
    assert neural.detect_family(spec(folder), neural.resolve_model(spec(folder))) == "nllb"


def test_spec_family_wins_and_unknown_folders_need_one(tmp_path: Path) -> None:
    assert neural.detect_family(spec(tmp_path, family="m2m100"), neural.resolve_model(spec(tmp_path))) == "m2m100"
    with pytest.raises(ConfigError, match=r"engine neural-test: cannot tell the model family.*set family"):
        neural.detect_family(spec(tmp_path), neural.resolve_model(spec(tmp_path)))


def test_wrong_family_is_a_config_error(marian_dir: Path) -> None:
    s = spec(marian_dir, family="m2m100")
    with pytest.raises(ConfigError, match="cannot load a M2M100Tokenizer"):
        neural.load_tokenizer(s, "m2m100", neural.resolve_model(s))


# --- which languages --------------------------------------------------------------------------


def test_one_pair_marian_declares_its_pair(marian_dir: Path) -> None:
    langs = languages_of(marian_dir)
    assert (langs.family, langs.source, langs.target, dict(langs.tags)) == ("marian", "en", "es", {})
    assert not langs.multi_target
    assert langs.auto_pairs() == pairs("en-es")
    assert langs.codes(LanguagePair("en", "es")) == neural.PairCodes()


def test_multi_target_marian_tags_come_from_the_vocabulary(marian_multi_dir: Path) -> None:
    langs = languages_of(marian_multi_dir)
    assert dict(langs.tags) == {"es": ">>es<<", "fr": ">>fr<<"}
    assert langs.multi_target and langs.source == "en"
    assert langs.auto_pairs() == pairs("en-es", "en-fr")
    assert langs.codes(LanguagePair("en", "fr")).source_prefix == ">>fr<< "


def test_nllb_tags_are_flores_codes(nllb_dir: Path) -> None:
    langs = languages_of(nllb_dir)
    assert langs.tags["es"] == "spa_Latn" and langs.tags["en"] == "eng_Latn"
    assert langs.tags["zh"] == "zho_Hans"  # zho_Hant maps to zh too; the FLORES code we name wins
    assert langs.tags["fa"] == "pes_Arab"
    codes = langs.codes(LanguagePair("en", "es"))
    assert codes == neural.PairCodes(src_lang="eng_Latn", tgt_lang="spa_Latn", target_token="spa_Latn")
    n = len(langs.tags)
    assert len(langs.auto_pairs()) == n * (n - 1) and n >= 40


def test_m2m100_tags_are_its_language_codes(m2m100_dir: Path) -> None:
    langs = languages_of(m2m100_dir)
    assert langs.tags["es"] == "es" and langs.tags["nb"] == "no"
    assert langs.codes(LanguagePair("en", "nb")) == neural.PairCodes("en", "no", "__no__")


def test_marian_tags_prefer_the_exact_code() -> None:
    tags = [">>spa<<", ">>es<<", ">>por<<", ">>zho_Hant<<", ">>zho_Hans<<", ">>xyz<<", "▁hola"]
    tokenizer = SimpleNamespace(source_lang=None, target_lang=None, get_vocab=lambda: dict.fromkeys(tags, 0))
    langs = neural.model_languages("marian", tokenizer, neural.ModelSource("/m/opus-mt-en-ROMANCE", local=True))
    assert dict(langs.tags) == {"es": ">>es<<", "pt": ">>por<<", "zh": ">>zho_Hans<<"}
    assert langs.source == "en"  # from the OPUS-MT name; "ROMANCE" is no language


@pytest.mark.parametrize(
    ("name", "expected"),
    [("opus-mt-en-es", ("en", "es")), ("opus-mt-tc-big-en-es-ct2", ("en", "es")), ("opus-mt-es-ROMANCE", ("es", None))],
)
def test_marian_pair_from_the_opus_mt_name(name: str, expected: tuple) -> None:
    tokenizer = SimpleNamespace(source_lang=None, target_lang=None, get_vocab=dict)
    langs = neural.model_languages("marian", tokenizer, neural.ModelSource(f"/models/{name}", local=True))
    assert (langs.source, langs.target) == expected


def test_opus_mt_folder_name_gives_auto_pairs(tmp_path: Path, marian_anonymous_dir: Path) -> None:
    folder = shutil.copytree(marian_anonymous_dir, tmp_path / "opus-mt-de-fr")
    langs = languages_of(folder)
    assert langs.auto_pairs() == pairs("de-fr")


# --- pairs ------------------------------------------------------------------------------------


def test_auto_pairs_of_an_anonymous_one_pair_model_need_explicit_pairs(marian_anonymous_dir: Path) -> None:
    langs = languages_of(marian_anonymous_dir)
    with pytest.raises(ConfigError, match=r"engine neural-test: cannot tell which language pair.*list `pairs`"):
        neural.resolve_pairs(spec(marian_anonymous_dir), langs)
    explicit = spec(marian_anonymous_dir, pairs=["de-es", "fr-es"])
    assert neural.resolve_pairs(explicit, langs) == pairs("de-es", "fr-es")
    with pytest.raises(ConfigError, match="one target language"):
        neural.resolve_pairs(spec(marian_anonymous_dir, pairs=["de-es", "de-fr"]), langs)


def test_explicit_pairs_are_normalised_and_validated(marian_dir: Path, nllb_dir: Path) -> None:
    marian = languages_of(marian_dir)
    assert neural.resolve_pairs(spec(marian_dir, pairs=["eng-spa"]), marian) == pairs("en-es")
    with pytest.raises(ConfigError, match="cannot translate en-fr: it translates into es only"):
        neural.resolve_pairs(spec(marian_dir, pairs=["en-fr"]), marian)
    with pytest.raises(ConfigError, match="cannot translate de-es: it translates from en only"):
        neural.resolve_pairs(spec(marian_dir, pairs=["de-es"]), marian)
    nllb = languages_of(nllb_dir)
    assert neural.resolve_pairs(spec(nllb_dir, pairs=["en-es", "es-de"]), nllb) == pairs("en-es", "es-de")


def test_multi_target_pairs_need_a_target_token(marian_multi_dir: Path) -> None:
    langs = languages_of(marian_multi_dir)
    with pytest.raises(ConfigError, match=r"no >>de<< target token \(it has es, fr\)"):
        neural.resolve_pairs(spec(marian_multi_dir, pairs=["en-de"]), langs)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["auto", "en-es"], "cannot be combined"),
        (["en-en"], "into itself"),
        (["xx-es"], "unknown language code 'xx'"),
        (["english"], "must look like 'en-es'"),
    ],
)
def test_bad_pair_lists(nllb_dir: Path, given: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        neural.resolve_pairs(spec(nllb_dir, pairs=given), languages_of(nllb_dir))


def test_language_token_ids_cover_every_language_token(m2m100_dir: Path, nllb_dir: Path) -> None:
    for folder, family in ((m2m100_dir, "m2m100"), (nllb_dir, "nllb")):
        s = spec(folder)
        tokenizer = neural.load_tokenizer(s, family, neural.resolve_model(s))
        ids = neural.language_token_ids(family, tokenizer)
        token = "__es__" if family == "m2m100" else "spa_Latn"
        assert tokenizer.convert_tokens_to_ids(token) in ids and len(ids) >= 100


def test_default_threads_fit_the_host() -> None:
    assert 1 <= neural.default_threads() <= (os.cpu_count() or 1)


def test_importing_the_neural_modules_loads_no_framework() -> None:
    code = (
        "import sys, models.neural, models.ct2; "
        "heavy = {'torch', 'transformers', 'ctranslate2'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
