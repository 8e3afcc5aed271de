"""CTranslate2Engine and convert() on tiny real models converted at test time."""

from __future__ import annotations

import json
import math
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from models.base import Engine, LanguagePair
from models.config import EngineSpec
from models.errors import ConfigError, UnsupportedPair

ctranslate2 = pytest.importorskip("ctranslate2")
pytest.importorskip("transformers")

from models.ct2 import CTranslate2Engine, convert, mean_logprob  # noqa: E402
from tests.models.tinymodels import EN_ES, SEGMENTS  # noqa: E402

GPU = ctranslate2.get_cuda_device_count() > 0


def engine(model: Path, **fields) -> CTranslate2Engine:
    # One intra-op thread: CTranslate2's spinning OpenMP workers would starve torch in this process.
    fields = {"max_length": 12, "beam_size": 1, "threads": 1, **fields}
    return CTranslate2Engine.from_spec(EngineSpec(name="tiny", kind="ctranslate2", model=str(model), **fields))


class RecordingTranslator:
    """Delegates to the real Translator and keeps the arguments of translate_batch."""

    def __init__(self, translator: Any) -> None:
        self._translator = translator
        self.calls: list[dict] = []

    def translate_batch(self, source, **kwargs):
        self.calls.append({"source": source, **kwargs})
        return self._translator.translate_batch(source, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._translator, name)


@pytest.fixture(scope="module")
def marian_ct2(converted, marian_dir: Path) -> Path:
    return converted(marian_dir)


@pytest.fixture(scope="module")
def nllb_ct2(converted, nllb_dir: Path) -> Path:
    return converted(nllb_dir)


@pytest.fixture(scope="module")
def marian(marian_ct2: Path) -> CTranslate2Engine:
    return engine(marian_ct2)


# --- convert() --------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["marian_dir", "marian_multi_dir", "nllb_dir", "m2m100_dir"])
def test_convert_writes_the_model_and_its_tokenizer(request: pytest.FixtureRequest, converted, fixture: str) -> None:
    folder = converted(request.getfixturevalue(fixture))
    assert (folder / "model.bin").is_file() and (folder / "tokenizer_config.json").is_file()
    assert json.loads((folder / "tokenizer_config.json").read_text())["tokenizer_class"].endswith("Tokenizer")


def test_convert_keeps_every_m2m100_language_token(converted, m2m100_dir: Path) -> None:
    vocab = json.loads((converted(m2m100_dir) / "shared_vocabulary.json").read_text())
    assert {"__en__", "__es__", "__no__"} <= set(vocab)


def test_convert_refuses_bad_input(tmp_path: Path, marian_dir: Path, marian_ct2: Path) -> None:
    with pytest.raises(ConfigError, match="is not a local folder"):
        convert(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(ConfigError, match="cannot convert"):
        convert(marian_dir, marian_ct2)  # exists already, no force
    again = convert(marian_dir, tmp_path / "again", "float32", force=True)
    assert again == tmp_path / "again" and (again / "model.bin").is_file()


def test_convert_keeps_the_pair_an_opus_mt_name_declares(tmp_path: Path, marian_anonymous_dir: Path) -> None:
    named = shutil.copytree(marian_anonymous_dir, tmp_path / "opus-mt-de-fr")
    folder = convert(named, tmp_path / "converted")
    assert engine(folder).pairs == frozenset({LanguagePair("de", "fr")})


# --- loading ----------------------------------------------------------------------------------


def test_from_spec_loads_a_converted_marian_model(marian: CTranslate2Engine) -> None:
    assert isinstance(marian, Engine)
    assert (marian.kind, marian.device) == ("ctranslate2", "cpu")
    assert marian.pairs == frozenset({EN_ES})
    assert marian.translator.compute_type.startswith("int8")  # compute_type auto on CPU


def test_nllb_and_m2m100_pairs(nllb_ct2: Path, converted, m2m100_dir: Path) -> None:
    for eng in (engine(nllb_ct2), engine(converted(m2m100_dir))):
        assert {EN_ES, LanguagePair("es", "en"), LanguagePair("de", "fr")} <= eng.pairs


def test_explicit_pairs_are_validated(marian_ct2: Path, nllb_ct2: Path) -> None:
    assert engine(nllb_ct2, pairs=["en-es"]).pairs == frozenset({EN_ES})
    with pytest.raises(ConfigError, match="cannot translate es-en"):
        engine(marian_ct2, pairs=["es-en"])


def test_a_transformers_folder_must_be_converted_first(marian_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"not a CTranslate2 model folder.*tonegate models convert"):
        engine(marian_dir)


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a local folder; set allow_download = true"):
        engine(tmp_path / "missing")


def test_compute_types(marian_ct2: Path) -> None:
    assert engine(marian_ct2, compute_type="float32").translator.compute_type == "float32"
    with pytest.raises(ConfigError, match="compute_type 'float8' does not run on cpu"):
        engine(marian_ct2, compute_type="float8")


@pytest.mark.skipif(GPU, reason="a GPU is visible")
def test_cuda_without_a_gpu_is_a_config_error(marian_ct2: Path) -> None:
    with pytest.raises(ConfigError, match='device = "cuda" was requested'):
        engine(marian_ct2, device="cuda")


@pytest.mark.skipif(not GPU, reason="needs a CUDA GPU")
def test_cuda_runs_int8_float16(marian_ct2: Path) -> None:
    eng = engine(marian_ct2, device="auto")
    assert (eng.device, eng.translator.compute_type) == ("cuda", "int8_float16")
    hyps = eng.translate(SEGMENTS, EN_ES)
    assert all(math.isfinite(h.score) and h.score <= 0 for h in hyps)


def test_default_threads_fit_the_host(marian_ct2: Path) -> None:
    eng = engine(marian_ct2, threads=0)
    assert eng.translator.num_translators == 1  # inter_threads=1: one replica, intra-op threads inside
    assert eng.translate(["Thanks"], EN_ES)[0].text


# --- translation ------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["marian_dir", "marian_multi_dir", "nllb_dir", "m2m100_dir"])
@pytest.mark.parametrize("beam_size", [1, 3])
def test_batches_translate_like_single_segments(
    request: pytest.FixtureRequest, converted, fixture: str, beam_size: int
) -> None:
    eng = engine(converted(request.getfixturevalue(fixture)), max_batch_size=2, beam_size=beam_size)
    batched = eng.translate(SEGMENTS, EN_ES)
    assert len(batched) == len(SEGMENTS)
    assert all(isinstance(h.text, str) and math.isfinite(h.score) and h.score <= 0 for h in batched)
    single = [eng.translate([s], EN_ES)[0] for s in SEGMENTS]
    assert [h.text for h in batched] == [h.text for h in single]
    assert [h.score for h in batched] == pytest.approx([h.score for h in single], abs=1e-4)


@pytest.mark.parametrize(("fixture", "token"), [("nllb_dir", "spa_Latn"), ("m2m100_dir", "__es__")])
def test_target_language_goes_in_the_target_prefix(
    request: pytest.FixtureRequest, converted, fixture: str, token: str
) -> None:
    eng = engine(converted(request.getfixturevalue(fixture)))
    eng.translator = spy = RecordingTranslator(eng.translator)
    hyps = eng.translate(SEGMENTS[:3], EN_ES)
    assert spy.calls[0]["target_prefix"] == [[token]] * 3
    assert all(token not in h.text for h in hyps)  # the prefix is stripped from the output


def test_multi_target_marian_puts_the_token_in_the_source(converted, marian_multi_dir: Path) -> None:
    eng = engine(converted(marian_multi_dir))
    eng.translator = spy = RecordingTranslator(eng.translator)
    to_fr = eng.translate(SEGMENTS, LanguagePair("en", "fr"))
    to_es = eng.translate(SEGMENTS, EN_ES)
    assert [s[0] for s in spy.calls[0]["source"]] == [">>fr<<"] * 5
    assert [s[0] for s in spy.calls[1]["source"]] == [">>es<<"] * 5
    assert spy.calls[0]["target_prefix"] is None
    assert [h.text for h in to_fr] != [h.text for h in to_es]


def test_one_pair_marian_has_no_prefix(marian: CTranslate2Engine) -> None:
    marian.translator = spy = RecordingTranslator(marian.translator)
    try:
        marian.translate(SEGMENTS[:2], EN_ES)
    finally:
        marian.translator = spy._translator
    assert spy.calls[0]["target_prefix"] is None and spy.calls[0]["source"][0][-1] == "</s>"


def test_placeholders_and_concurrent_callers(marian: CTranslate2Engine) -> None:
    segments = ["⟦0⟧", "Order ⟦12⟧ shipped ⟦3⟧.", *SEGMENTS]
    expected = [h.text for h in marian.translate(segments, EN_ES)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: [h.text for h in marian.translate(segments, EN_ES)], range(8)))
    assert all(r == expected for r in results)


# --- scores -----------------------------------------------------------------------------------


@pytest.mark.parametrize("beam_size", [1, 4])
@pytest.mark.parametrize(("fixture", "prefix"), [("marian_dir", []), ("nllb_dir", ["spa_Latn"])])
def test_score_is_the_mean_log_probability_of_the_generated_tokens(
    request: pytest.FixtureRequest, converted, fixture: str, prefix: list[str], beam_size: int
) -> None:
    """Rescore each hypothesis' exact tokens with score_batch and compare."""
    eng = engine(converted(request.getfixturevalue(fixture)), beam_size=beam_size)
    eng.translator = spy = RecordingTranslator(eng.translator)
    hyps = eng.translate(SEGMENTS, EN_ES)
    source = spy.calls[0]["source"]
    results = spy._translator.translate_batch(source, **{k: v for k, v in spy.calls[0].items() if k != "source"})
    for src, result, hyp in zip(source, results, hyps, strict=True):
        tokens = result.hypotheses[0]
        ended = tokens[-1] == "</s>"
        body = tokens[:-1] if ended else tokens
        logprobs = spy._translator.score_batch([src], [body], offset=len(prefix))[0].log_probs
        generated = logprobs if ended else logprobs[:-1]  # score_batch always appends the end token
        # int8 kernels pad a batch of one and a batch of many differently: a few 1e-4 apart
        # (seen: 2.4e-4 on a loaded machine). A wrong token set is off by far more than this.
        assert hyp.score == pytest.approx(sum(generated) / len(generated), abs=2e-3)


@pytest.mark.parametrize("fixture", ["nllb_dir", "m2m100_dir"])
def test_float32_conversion_matches_transformers(request: pytest.FixtureRequest, converted, fixture: str) -> None:
    """Same model, two runtimes: same greedy and beam output, same scores."""
    from models.transformers_engine import TransformersEngine

    model_dir = request.getfixturevalue(fixture)
    for beam_size in (1, 4):
        fast = engine(converted(model_dir, "float32"), compute_type="float32", beam_size=beam_size)
        slow = TransformersEngine.from_spec(
            EngineSpec(
                name="hf", kind="transformers", model=str(model_dir), max_length=12, beam_size=beam_size, threads=1
            )
        )
        a, b = fast.translate(SEGMENTS, EN_ES), slow.translate(SEGMENTS, EN_ES)
        assert [h.text for h in a] == [h.text for h in b]
        assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-3)
        targets = [h.text for h in b]
        assert fast.score(SEGMENTS, targets, EN_ES) == pytest.approx(slow.score(SEGMENTS, targets, EN_ES), abs=1e-3)


@pytest.mark.parametrize("fixture", ["marian_dir", "nllb_dir", "m2m100_dir"])
def test_forced_decoding_prefers_the_models_own_output(request: pytest.FixtureRequest, converted, fixture: str) -> None:
    eng = engine(converted(request.getfixturevalue(fixture)), max_batch_size=2)
    own = [h.text for h in eng.translate(SEGMENTS, EN_ES)]
    shuffled = [" ".join(reversed(t.split())) + " zq" for t in own]
    own_scores, other_scores = eng.score(SEGMENTS, own, EN_ES), eng.score(SEGMENTS, shuffled, EN_ES)
    assert all(math.isfinite(s) and s <= 0 for s in own_scores + other_scores)
    assert all(a > b for a, b in zip(own_scores, other_scores, strict=True))


def test_score_checks_the_pair(marian: CTranslate2Engine) -> None:
    with pytest.raises(UnsupportedPair):
        marian.score(["a"], ["b"], LanguagePair("es", "en"))


@pytest.mark.parametrize(
    ("normalized", "length", "prefix", "expected"),
    [(-0.5, 4, 0, -0.5), (-0.5, 3, 1, -0.75), (-1.0, 1, 1, 0.0)],
)
def test_mean_logprob_undoes_length_normalisation(normalized, length, prefix, expected) -> None:
    assert mean_logprob(normalized, length, prefix) == pytest.approx(expected)


def test_close_unloads_the_model(marian_ct2: Path) -> None:
    eng = engine(marian_ct2)
    eng.close()
    assert not eng.translator.model_is_loaded
