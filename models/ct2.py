"""CTranslate2 engine (the fast neural path) and the converter that prepares its model folders.

A converted folder holds CTranslate2's model.bin/config.json/vocabulary plus the original
tokenizer files, saved by `convert()`; the engine tokenizes with transformers and decodes with
CTranslate2. Importing this module imports neither torch nor ctranslate2.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from models import neural
from models.base import Hypothesis, LanguagePair
from models.config import EngineSpec
from models.device import resolve_device
from models.engine import BaseEngine
from models.errors import ConfigError, EngineFailure

if TYPE_CHECKING:
    import ctranslate2
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)

# compute_type "auto": int8 weights on CPU; int8 weights with float16 activations on CUDA.
_AUTO_COMPUTE = {"cpu": "int8", "cuda": "int8_float16"}


def compute_type(spec: EngineSpec, device: str) -> str:
    """The CTranslate2 compute type for `spec` on `device`, checked against what the device runs."""
    import ctranslate2

    wanted = _AUTO_COMPUTE[device] if spec.compute_type == "auto" else spec.compute_type
    supported = set(ctranslate2.get_supported_compute_types(device)) | {"default", "auto"}
    if wanted not in supported:
        raise ConfigError(
            f"engine {spec.name}: compute_type {wanted!r} does not run on {device} here; "
            f"valid: {', '.join(sorted(supported))}"
        )
    return wanted


def local_folder(spec: EngineSpec) -> neural.ModelSource:
    """The converted model folder; a hub id (allowed by the spec) is downloaded whole first."""
    source = neural.resolve_model(spec)
    if source.local:
        return source
    from huggingface_hub import snapshot_download

    log.info("engine %s: downloading %s", spec.name, source.location)
    return neural.ModelSource(snapshot_download(source.location), local=True)


class CTranslate2Engine(BaseEngine):
    """A converted Marian/NLLB/M2M100 model; the Translator is thread-safe, the tokenizer is locked."""

    kind = "ctranslate2"

    def __init__(
        self,
        spec: EngineSpec,
        pairs: frozenset[LanguagePair],
        *,
        translator: ctranslate2.Translator,
        tokenizer: PreTrainedTokenizerBase,
        languages: neural.ModelLanguages,
    ) -> None:
        super().__init__(spec, pairs)
        self.translator = translator
        self.tokenizer = tokenizer
        self.languages = languages
        self.device = translator.device
        self._tokenizer_lock = threading.Lock()
        self._language_ids = neural.language_token_ids(languages.family, tokenizer)
        self._eos = str(tokenizer.eos_token)

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> Self:
        import ctranslate2

        device = resolve_device(spec.device, "ctranslate2")
        compute = compute_type(spec, device)
        source = local_folder(spec)
        if not (Path(source.location) / "model.bin").is_file():
            raise ConfigError(
                f"engine {spec.name}: '{spec.model}' is not a CTranslate2 model folder (no model.bin); "
                f"convert it with `tonegate models convert`"
            )
        family = neural.detect_family(spec, source)
        tokenizer = neural.load_tokenizer(spec, family, source)
        languages = neural.model_languages(family, tokenizer, source)
        pairs = neural.resolve_pairs(spec, languages)
        # Never more threads than the cores this process may use (the affinity mask, which containers narrow).
        threads = spec.threads or max(1, neural.default_threads() // spec.inter_threads)
        try:
            translator = ctranslate2.Translator(
                source.location,
                device=device,
                compute_type=compute,
                inter_threads=spec.inter_threads,
                intra_threads=threads,
            )
        except (RuntimeError, ValueError) as exc:
            raise ConfigError(f"engine {spec.name}: cannot load CTranslate2 model '{spec.model}': {exc}") from exc
        log.info(
            "engine %s: %s on %s (%s, %d threads), %s",
            spec.name,
            source.location,
            device,
            compute,
            threads,
            neural.describe(languages, pairs),
        )
        return cls(spec, pairs, translator=translator, tokenizer=tokenizer, languages=languages)

    def _source_tokens(self, codes: neural.PairCodes, texts: Sequence[str]) -> list[list[str]]:
        with self._tokenizer_lock:
            rows = neural.encode_sources(self.tokenizer, codes, texts)
            return [self.tokenizer.convert_ids_to_tokens(row) for row in rows]

    def _translate_batch(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        codes = self.languages.codes(pair)
        prefix = [codes.target_token] if codes.target_token else []
        try:
            results = self.translator.translate_batch(
                self._source_tokens(codes, segments),
                target_prefix=[prefix] * len(segments) if prefix else None,
                beam_size=self.spec.beam_size,
                # spec.max_length counts the translation's tokens; CTranslate2 counts the prefix too.
                max_decoding_length=self.spec.max_length + len(prefix),
                length_penalty=1.0,  # scores come back divided by the hypothesis length: see mean_logprob
                return_scores=True,
                return_end_token=True,
            )
        except (RuntimeError, ValueError) as exc:
            raise EngineFailure(f"engine {self.name}: translation failed: {exc}") from exc
        tokens = [r.hypotheses[0] for r in results]
        scores = [mean_logprob(r.scores[0], len(t), len(prefix)) for r, t in zip(results, tokens, strict=True)]
        with self._tokenizer_lock:
            ids = [self.tokenizer.convert_tokens_to_ids(t[len(prefix) :]) for t in tokens]
            texts = neural.decode_targets(self.tokenizer, self.languages.family, ids, self._language_ids)
        return [Hypothesis(text=t, score=s) for t, s in zip(texts, scores, strict=True)]

    def _score_batch(self, sources: Sequence[str], targets: Sequence[str], pair: LanguagePair) -> list[float]:
        codes = self.languages.codes(pair)
        source_tokens = self._source_tokens(codes, sources)
        with self._tokenizer_lock:
            rows = neural.encode_targets(self.tokenizer, codes, targets)
            # score_batch appends the end token itself.
            target_tokens = [self._without_eos(self.tokenizer.convert_ids_to_tokens(row)) for row in rows]
        try:
            results = self.translator.score_batch(source_tokens, target_tokens, offset=1 if codes.target_token else 0)
        except (RuntimeError, ValueError) as exc:
            raise EngineFailure(f"engine {self.name}: scoring failed: {exc}") from exc
        return [sum(r.log_probs) / max(len(r.log_probs), 1) for r in results]

    def _without_eos(self, tokens: list[str]) -> list[str]:
        return tokens[:-1] if tokens and tokens[-1] == self._eos else tokens

    def close(self) -> None:
        # Frees the weights (GPU memory included) now rather than whenever the engine is collected.
        self.translator.unload_model()


def mean_logprob(normalized: float, hypothesis_length: int, prefix_length: int) -> float:
    """Mean log-probability per generated token from CTranslate2's length-normalised score.

    With length_penalty 1 CTranslate2 returns sum(log p of generated tokens, end token included,
    target prefix excluded) / len(hypothesis), where the length counts the prefix and the end token
    (kept in the hypothesis by return_end_token). Undo that, then divide by the generated tokens.
    """
    generated = hypothesis_length - prefix_length
    if generated <= 0:
        return 0.0
    return normalized * hypothesis_length / generated


def _converter(model_dir: str) -> Any:
    """CTranslate2's TransformersConverter, mended for transformers 5 M2M100 tokenizers."""
    from ctranslate2.converters import TransformersConverter

    class _LanguageVocabulary:
        """Tokenizer view whose get_vocab() includes M2M100's language tokens.

        CTranslate2 builds the vocabulary from get_vocab() and special_tokens_map; transformers 5
        lists M2M100's `__xx__` tokens in neither, and the conversion fails on the size mismatch.
        """

        def __init__(self, tokenizer: Any) -> None:
            self._tokenizer = tokenizer

        def __getattr__(self, name: str) -> Any:
            return getattr(self._tokenizer, name)

        def get_vocab(self) -> dict[str, int]:
            return {**self._tokenizer.get_vocab(), **self._tokenizer.lang_token_to_id}

    class Converter(TransformersConverter):
        def load_tokenizer(self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            tokenizer = super().load_tokenizer(tokenizer_class, model_name_or_path, **kwargs)
            return _LanguageVocabulary(tokenizer) if hasattr(tokenizer, "lang_token_to_id") else tokenizer

    return Converter(model_dir)


def convert(model_dir: str | Path, output_dir: str | Path, quantization: str = "int8", *, force: bool = False) -> Path:
    """Convert a transformers model folder to CTranslate2, with its tokenizer saved beside the model."""
    model_dir, output_dir = Path(model_dir), Path(output_dir)
    if not model_dir.is_dir():
        raise ConfigError(f"model '{model_dir}' is not a local folder")
    source = neural.ModelSource(str(model_dir), local=True)
    label = re.sub(r"[^A-Za-z0-9_.-]", "_", model_dir.name) or "model"  # for error messages only
    spec = EngineSpec(name=label, kind="ctranslate2", model=str(model_dir))
    family = neural.detect_family(spec, source)
    tokenizer = neural.load_tokenizer(spec, family, source)
    if family == "marian":
        neural.keep_marian_pair(tokenizer, source)  # "opus-mt-en-de" may not survive as the output's name
    try:
        _converter(str(model_dir)).convert(str(output_dir), quantization=quantization, force=force)
    except (RuntimeError, ValueError, OSError) as exc:
        raise ConfigError(f"cannot convert '{model_dir}' to CTranslate2: {exc}") from exc
    # The engine reads the tokenizer (and its class, in tokenizer_config.json) from this folder.
    tokenizer.save_pretrained(output_dir)
    log.info("converted %s (%s) to %s with %s weights", model_dir, family, output_dir, quantization)
    return output_dir
