"""Hugging Face transformers seq2seq engine: Marian/OPUS-MT, NLLB-200 and M2M100 on CPU or CUDA."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Self

import torch

from models import neural
from models.base import Hypothesis, LanguagePair
from models.config import EngineSpec
from models.device import resolve_device
from models.engine import BaseEngine
from models.errors import ConfigError, EngineFailure

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase
    from transformers.generation.utils import GenerateBeamEncoderDecoderOutput, GenerateEncoderDecoderOutput

log = logging.getLogger(__name__)

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def torch_dtype(spec: EngineSpec, device: str) -> torch.dtype:
    """compute_type for torch: "auto" is float32 on CPU and float16 on CUDA."""
    if spec.compute_type == "auto":
        return torch.float16 if device == "cuda" else torch.float32
    if spec.compute_type not in _DTYPES:
        raise ConfigError(
            f"engine {spec.name}: compute_type {spec.compute_type!r} is not one the transformers engine runs; "
            f"valid: auto, {', '.join(_DTYPES)}"
        )
    return _DTYPES[spec.compute_type]


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and their attention mask."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids.to(device), mask.to(device)


def generated_mask(tokens: torch.Tensor, eos_id: int, skip_first: bool) -> torch.Tensor:
    """The positions a hypothesis really generated: up to and including its first EOS."""
    is_eos = (tokens == eos_id).long()
    after_eos = (is_eos.cumsum(dim=1) - is_eos) > 0
    keep = ~after_eos
    if skip_first:  # the forced target-language token is the caller's choice, not the model's
        keep[:, 0] = False
    return keep


def masked_mean(values: torch.Tensor, keep: torch.Tensor) -> list[float]:
    """Per-row mean of `values` over the kept positions."""
    values = values.float().masked_fill(~keep, 0.0)
    return (values.sum(dim=1) / keep.sum(dim=1).clamp(min=1)).tolist()


class TransformersEngine(BaseEngine):
    """A transformers seq2seq model; one lock serialises model calls (the tokenizer is stateful too)."""

    kind = "transformers"

    def __init__(
        self,
        spec: EngineSpec,
        pairs: frozenset[LanguagePair],
        *,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        languages: neural.ModelLanguages,
        device: str,
    ) -> None:
        super().__init__(spec, pairs)
        self.model = model
        self.tokenizer = tokenizer
        self.languages = languages
        self.device = device
        self._lock = threading.Lock()
        self._pad_id = int(model.config.pad_token_id)
        self._eos_id = int(model.config.eos_token_id)
        self._start_id = int(model.config.decoder_start_token_id)
        self._language_ids = neural.language_token_ids(languages.family, tokenizer)

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> Self:
        source = neural.resolve_model(spec)
        device = resolve_device(spec.device, "torch")
        dtype = torch_dtype(spec, device)
        family = neural.detect_family(spec, source)
        tokenizer = neural.load_tokenizer(spec, family, source)
        languages = neural.model_languages(family, tokenizer, source)
        pairs = neural.resolve_pairs(spec, languages)
        if spec.threads > 0:
            # Process-wide in torch; an operator who sets it wants exactly this.
            torch.set_num_threads(spec.threads)
        elif torch.get_num_threads() > neural.default_threads():
            # torch counts the machine's cores; a container may let this process use fewer, and
            # more threads than cores makes every step wait on descheduled threads.
            torch.set_num_threads(neural.default_threads())
        model = load_model(spec, source, dtype).to(device).eval()
        log.info(
            "engine %s: %s on %s (%s), %s", spec.name, source.location, device, dtype, neural.describe(languages, pairs)
        )
        return cls(spec, pairs, model=model, tokenizer=tokenizer, languages=languages, device=device)

    def _translate_batch(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        codes = self.languages.codes(pair)
        forced = codes.target_token is not None
        with self._lock, torch.inference_mode():
            ids, mask = pad_batch(neural.encode_sources(self.tokenizer, codes, segments), self._pad_id, self.device)
            out = self._generate(ids, mask, codes)
            # Raw logits, not the processed scores: forced tokens (BOS language, EOS at the length
            # limit) would otherwise count as certain, and the score is the model's own belief.
            logits = tuple(step.float() for step in out.logits)  # float16 on CUDA: normalise in float32
            logprobs = self.model.compute_transition_scores(
                out.sequences, logits, getattr(out, "beam_indices", None), normalize_logits=True
            )
            tokens = out.sequences[:, 1 : 1 + logprobs.shape[1]]  # column 0 is the decoder start
            texts = neural.decode_targets(self.tokenizer, self.languages.family, tokens.tolist(), self._language_ids)
        scores = masked_mean(logprobs, generated_mask(tokens, self._eos_id, skip_first=forced))
        return [Hypothesis(text=t, score=s) for t, s in zip(texts, scores, strict=True)]

    def _generate(
        self, ids: torch.Tensor, mask: torch.Tensor, codes: neural.PairCodes
    ) -> GenerateEncoderDecoderOutput | GenerateBeamEncoderDecoderOutput:
        forced: dict[str, int] = {}
        if codes.target_token is not None:
            forced["forced_bos_token_id"] = int(self.tokenizer.convert_tokens_to_ids(codes.target_token))
        try:
            return self.model.generate(
                input_ids=ids,
                attention_mask=mask,
                num_beams=self.spec.beam_size,
                do_sample=False,
                # spec.max_length counts the translation's tokens, not a forced language token.
                max_new_tokens=self.spec.max_length + len(forced),
                output_logits=True,
                return_dict_in_generate=True,
                **forced,
            )
        except (RuntimeError, IndexError) as exc:  # CUDA out of memory, a token id the model lacks, ...
            raise EngineFailure(f"engine {self.name}: generation failed: {exc}") from exc

    def _score_batch(self, sources: Sequence[str], targets: Sequence[str], pair: LanguagePair) -> list[float]:
        codes = self.languages.codes(pair)
        with self._lock, torch.inference_mode():
            ids, mask = pad_batch(neural.encode_sources(self.tokenizer, codes, sources), self._pad_id, self.device)
            labels, label_mask = pad_batch(
                neural.encode_targets(self.tokenizer, codes, targets), self._pad_id, self.device
            )
            start = torch.full((labels.shape[0], 1), self._start_id, dtype=torch.long, device=self.device)
            decoder_ids = torch.cat([start, labels[:, :-1]], dim=1)  # teacher forcing
            try:
                logits = self.model(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids).logits
            except (RuntimeError, IndexError) as exc:
                raise EngineFailure(f"engine {self.name}: scoring failed: {exc}") from exc
            logprobs = torch.log_softmax(logits.float(), dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
        keep = label_mask.bool()
        if codes.target_token is not None:
            keep[:, 0] = False
        return masked_mean(logprobs, keep)

    def close(self) -> None:
        """Give GPU memory back now; on CPU the weights go when the engine does."""
        if self.device == "cuda":
            with self._lock:
                self.model.to("cpu")
                torch.cuda.empty_cache()


def load_model(spec: EngineSpec, source: neural.ModelSource, dtype: torch.dtype) -> PreTrainedModel:
    """The seq2seq model behind the spec, on CPU, in `dtype`."""
    from transformers import AutoModelForSeq2SeqLM

    try:
        return AutoModelForSeq2SeqLM.from_pretrained(source.location, dtype=dtype, local_files_only=source.local)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"engine {spec.name}: cannot load model '{spec.model}': {exc}") from exc
