"""TransformersEngine on tiny real models: loading, languages, batching, scores, devices."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from models.base import Engine, Hypothesis, LanguagePair
from models.config import EngineSpec
from models.errors import ConfigError, UnsupportedPair

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from models import neural  # noqa: E402
from models.transformers_engine import TransformersEngine, pad_batch  # noqa: E402
from tests.models.tinymodels import EN_ES, SEGMENTS  # noqa: E402


def engine(model: Path, **fields) -> TransformersEngine:
    # One thread: these models are tiny, and spinning OpenMP workers crawl on a busy 2-core host.
    fields = {"max_length": 12, "beam_size": 1, "threads": 1, **fields}
    return TransformersEngine.from_spec(EngineSpec(name="tiny", kind="transformers", model=str(model), **fields))


@pytest.fixture(scope="module")
def marian(marian_dir: Path) -> TransformersEngine:
    return engine(marian_dir)


@pytest.fixture(scope="module")
def nllb(nllb_dir: Path) -> TransformersEngine:
    return engine(nllb_dir)


def assert_scored(hyps: list[Hypothesis], n: int) -> None:
    assert len(hyps) == n
    for h in hyps:
        assert isinstance(h.text, str)
        assert math.isfinite(h.score) and h.score <= 0


def record_generate(eng: TransformersEngine, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Spy on the real generate() call: record its arguments, keep its behaviour."""
    calls: list[dict] = []
    real = eng.model.generate

    def spy(*args, **kwargs):
        calls.append(kwargs)
        out = real(*args, **kwargs)
        calls[-1]["sequences"] = out.sequences
        return out

    monkeypatch.setattr(eng.model, "generate", spy)
    return calls


# --- loading ----------------------------------------------------------------------------------


def test_from_spec_loads_a_one_pair_marian_model(marian: TransformersEngine) -> None:
    assert isinstance(marian, Engine)
    assert (marian.kind, marian.name, marian.device) == ("transformers", "tiny", "cpu")
    assert marian.pairs == frozenset({EN_ES})
    assert not marian.model.training


def test_nllb_and_m2m100_serve_every_pair_among_their_languages(nllb: TransformersEngine, m2m100_dir: Path) -> None:
    m2m = engine(m2m100_dir)
    for eng in (nllb, m2m):
        assert {LanguagePair("en", "es"), LanguagePair("es", "en"), LanguagePair("de", "fr")} <= eng.pairs
        assert all(p.source != p.target for p in eng.pairs)


def test_explicit_pairs_restrict_the_engine(nllb_dir: Path) -> None:
    eng = engine(nllb_dir, pairs=["en-es", "es-en"])
    assert eng.pairs == frozenset({EN_ES, LanguagePair("es", "en")})
    with pytest.raises(UnsupportedPair):
        eng.translate(["hello"], LanguagePair("en", "de"))


def test_unsupported_explicit_pair_is_a_config_error(marian_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"engine tiny: model .* cannot translate en-de"):
        engine(marian_dir, pairs=["en-de"])


def test_missing_model_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a local folder; set allow_download = true"):
        engine(tmp_path / "missing")


def test_anonymous_marian_needs_pairs(marian_anonymous_dir: Path) -> None:
    with pytest.raises(ConfigError, match="list `pairs`"):
        engine(marian_anonymous_dir)
    assert engine(marian_anonymous_dir, pairs=["de-it"]).pairs == frozenset({LanguagePair("de", "it")})


def test_a_converted_folder_is_not_a_transformers_model(converted, marian_dir: Path) -> None:
    with pytest.raises(ConfigError, match="cannot load model"):
        engine(converted(marian_dir))


def test_unknown_compute_type_is_a_config_error(marian_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"compute_type 'int8'.*valid: auto, float32"):
        engine(marian_dir, compute_type="int8")


# --- devices and threads ----------------------------------------------------------------------


def test_auto_device_uses_cpu_without_a_gpu(marian: TransformersEngine, cuda_available: bool) -> None:
    if cuda_available:
        pytest.skip("a GPU is visible: auto picks it")
    assert marian.device == "cpu" and next(marian.model.parameters()).device.type == "cpu"


def test_cuda_without_a_gpu_is_a_config_error(marian_dir: Path, cuda_available: bool) -> None:
    if cuda_available:
        pytest.skip("a GPU is visible")
    with pytest.raises(ConfigError, match='device = "cuda" was requested but no CUDA device is visible'):
        engine(marian_dir, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_translates_like_cpu(nllb_dir: Path, nllb: TransformersEngine) -> None:
    gpu = engine(nllb_dir, device="cuda", compute_type="float32")
    assert gpu.device == "cuda" and next(gpu.model.parameters()).is_cuda
    on_gpu, on_cpu = gpu.translate(SEGMENTS, EN_ES), nllb.translate(SEGMENTS, EN_ES)
    assert [h.text for h in on_gpu] == [h.text for h in on_cpu]
    assert [h.score for h in on_gpu] == pytest.approx([h.score for h in on_cpu], abs=1e-3)
    assert engine(nllb_dir, device="auto").device == "cuda"
    half = engine(nllb_dir, device="cuda")  # compute_type auto: float16 on CUDA
    assert next(half.model.parameters()).dtype == torch.float16
    assert_scored(half.translate(SEGMENTS, EN_ES), len(SEGMENTS))
    gpu.close()


def test_threads_set_torch_threads(marian_dir: Path) -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        engine(marian_dir, threads=0)  # 0 leaves torch's setting alone
        assert torch.get_num_threads() == 2
        engine(marian_dir, threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


# --- translation ------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["marian_dir", "marian_multi_dir", "nllb_dir", "m2m100_dir"])
@pytest.mark.parametrize("beam_size", [1, 3])
def test_batches_translate_like_single_segments(request: pytest.FixtureRequest, fixture: str, beam_size: int) -> None:
    eng = engine(request.getfixturevalue(fixture), max_batch_size=2, beam_size=beam_size)
    batched = eng.translate(SEGMENTS, EN_ES)
    assert_scored(batched, len(SEGMENTS))
    single = [eng.translate([s], EN_ES)[0] for s in SEGMENTS]
    assert [h.text for h in batched] == [h.text for h in single]
    assert [h.score for h in batched] == pytest.approx([h.score for h in single], abs=1e-4)
    assert eng.segments_done == 2 * len(SEGMENTS)


def test_blank_segments_keep_their_place(marian: TransformersEngine) -> None:
    hyps = marian.translate(["Thanks", "  ", "Hello"], EN_ES)
    assert hyps[1] == Hypothesis(text="  ", score=0.0)
    assert hyps[0].text == marian.translate(["Thanks"], EN_ES)[0].text


def test_nllb_forces_the_flores_target_token(nllb: TransformersEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = record_generate(nllb, monkeypatch)
    nllb.translate(SEGMENTS[:2], EN_ES)
    spa = nllb.tokenizer.convert_tokens_to_ids("spa_Latn")
    assert calls[0]["forced_bos_token_id"] == spa
    assert calls[0]["sequences"][:, 1].tolist() == [spa, spa]  # first token after the decoder start
    eng = nllb.tokenizer.convert_tokens_to_ids("eng_Latn")
    assert calls[0]["input_ids"][:, 0].tolist() == [eng, eng]  # source language token leads the input
    nllb.translate(SEGMENTS[:1], LanguagePair("en", "de"))
    assert calls[1]["forced_bos_token_id"] == nllb.tokenizer.convert_tokens_to_ids("deu_Latn")


def test_m2m100_forces_the_language_token_and_hides_it(m2m100_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(m2m100_dir)
    calls = record_generate(eng, monkeypatch)
    hyps = eng.translate(SEGMENTS[:2], EN_ES)
    es = eng.tokenizer.convert_tokens_to_ids("__es__")
    assert calls[0]["forced_bos_token_id"] == es
    assert calls[0]["sequences"][:, 1].tolist() == [es, es]
    assert all("__" not in h.text for h in hyps)


def test_multi_target_marian_prefixes_the_target_token(marian_multi_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(marian_multi_dir)
    calls = record_generate(eng, monkeypatch)
    to_fr = eng.translate(SEGMENTS, LanguagePair("en", "fr"))
    to_es = eng.translate(SEGMENTS, EN_ES)
    fr, es = eng.tokenizer.convert_tokens_to_ids([">>fr<<", ">>es<<"])
    assert [c["input_ids"][:, 0].tolist() for c in calls] == [[fr] * 5, [es] * 5]
    assert "forced_bos_token_id" not in calls[0]
    assert [h.text for h in to_fr] != [h.text for h in to_es]


def test_placeholders_pass_through_without_errors(nllb: TransformersEngine) -> None:
    assert_scored(nllb.translate(["⟦0⟧", "Order ⟦12⟧ shipped ⟦3⟧."], EN_ES), 2)


def test_concurrent_callers_get_the_same_results(marian: TransformersEngine) -> None:
    expected = marian.translate(SEGMENTS, EN_ES)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: marian.translate(SEGMENTS, EN_ES), range(8)))
    assert all([h.text for h in r] == [h.text for h in expected] for r in results)


# --- scores -----------------------------------------------------------------------------------


@pytest.mark.parametrize("beam_size", [1, 4])
@pytest.mark.parametrize("fixture", ["marian_dir", "nllb_dir"])
def test_score_is_the_mean_log_probability_of_the_generated_tokens(
    request: pytest.FixtureRequest, fixture: str, beam_size: int
) -> None:
    """Recompute every hypothesis' score by teacher forcing its exact token ids."""
    eng = engine(request.getfixturevalue(fixture), beam_size=beam_size)
    hyps = eng.translate(SEGMENTS, EN_ES)
    codes = eng.languages.codes(EN_ES)
    with torch.inference_mode():
        ids, mask = pad_batch(neural.encode_sources(eng.tokenizer, codes, SEGMENTS), eng._pad_id, "cpu")
        sequences = eng._generate(ids, mask, codes).sequences
        logits = eng.model(input_ids=ids, attention_mask=mask, decoder_input_ids=sequences[:, :-1]).logits
        logprobs = torch.log_softmax(logits, dim=-1).gather(-1, sequences[:, 1:, None])[..., 0]
    skip = 1 if codes.target_token else 0  # the forced language token is not the model's choice
    for row, hyp in zip(range(len(SEGMENTS)), hyps, strict=True):
        tokens = sequences[row, 1:].tolist()
        end = tokens.index(eng._eos_id) + 1 if eng._eos_id in tokens else len(tokens)
        assert hyp.score == pytest.approx(logprobs[row, skip:end].mean().item(), abs=1e-4)


@pytest.mark.parametrize("fixture", ["marian_dir", "marian_multi_dir", "nllb_dir", "m2m100_dir"])
def test_forced_decoding_prefers_the_models_own_output(request: pytest.FixtureRequest, fixture: str) -> None:
    eng = engine(request.getfixturevalue(fixture), max_batch_size=2)
    pair = LanguagePair("en", "fr") if fixture == "marian_multi_dir" else EN_ES
    own = [h.text for h in eng.translate(SEGMENTS, pair)]
    shuffled = [" ".join(reversed(t.split())) + " zq" for t in own]
    own_scores = eng.score(SEGMENTS, own, pair)
    other_scores = eng.score(SEGMENTS, shuffled, pair)
    assert all(math.isfinite(s) and s <= 0 for s in own_scores + other_scores)
    assert all(a > b for a, b in zip(own_scores, other_scores, strict=True))


def test_score_batches_like_single_pairs(nllb_dir: Path) -> None:
    eng = engine(nllb_dir, max_batch_size=2)
    targets = ["Hola", "Gracias por tu paciencia.", "El paquete fue enviado ayer.", "⟦0⟧ sí", "¿Puedo?"]
    batched = eng.score(SEGMENTS, targets, EN_ES)
    single = [eng.score([s], [t], EN_ES)[0] for s, t in zip(SEGMENTS, targets, strict=True)]
    assert batched == pytest.approx(single, abs=1e-4)


def test_score_checks_its_inputs(marian: TransformersEngine) -> None:
    with pytest.raises(ValueError, match="differ in length"):
        marian.score(["a", "b"], ["c"], EN_ES)
    with pytest.raises(UnsupportedPair):
        marian.score(["a"], ["b"], LanguagePair("es", "en"))
