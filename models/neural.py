"""Shared by the neural engines: where the model is, which family it is, which languages it speaks.

Three families of seq2seq models are supported, each with its own way of naming languages:
Marian/OPUS-MT (one pair per model, or a `>>spa<<` / `>>es<<` token in front of the source for
multi-target models), NLLB-200 (FLORES-200 codes such as `spa_Latn`, the target forced as the first
generated token) and M2M100 (`__es__` tokens, forced the same way). Nothing here imports torch;
transformers is imported only inside the functions that load a tokenizer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from models import langcodes
from models.base import LanguagePair
from models.config import EngineSpec
from models.errors import ConfigError, UnknownLanguage

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

Family = Literal["marian", "nllb", "m2m100"]
FAMILIES: tuple[Family, ...] = get_args(Family)

# The tokenizer class each family is loaded with, and the classes that reveal a family.
TOKENIZER_CLASSES: dict[Family, str] = {
    "marian": "MarianTokenizer",
    "nllb": "NllbTokenizer",
    "m2m100": "M2M100Tokenizer",
}
_FAMILY_OF_TOKENIZER: dict[str, Family] = {
    "MarianTokenizer": "marian",
    "NllbTokenizer": "nllb",
    "NllbTokenizerFast": "nllb",
    "M2M100Tokenizer": "m2m100",
}
_FAMILY_OF_MODEL_TYPE: dict[str, Family] = {"marian": "marian", "m2m_100": "m2m100"}

_MARIAN_TAG = re.compile(r">>([A-Za-z_]+)<<")
_NLLB_TAG = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")
# OPUS-MT names carry their pair: opus-mt-en-es, opus-mt-tc-big-en-es, opus-mt-en-ROMANCE (multi).
_OPUS_NAME = re.compile(r"opus-mt-(?:tc-)?(?:big-)?([A-Za-z_]+)-([A-Za-z_]+)")


@dataclass(frozen=True, slots=True)
class ModelSource:
    """Where an engine's model lives: a local folder, or a hub id the operator allowed to fetch."""

    location: str
    local: bool

    @property
    def name(self) -> str:
        return Path(self.location).name if self.local else self.location


def resolve_model(spec: EngineSpec) -> ModelSource:
    """Turn `spec.model` into a local folder, or a hub id when downloads are allowed."""
    if not spec.model:
        raise ConfigError(f"engine {spec.name}: set `model` to a local model folder")
    path = Path(spec.model).expanduser()
    if path.is_dir():
        return ModelSource(str(path), local=True)
    if path.exists():
        raise ConfigError(f"engine {spec.name}: model '{spec.model}' is a file; point `model` at the model folder")
    if not spec.allow_download:
        raise ConfigError(
            f"engine {spec.name}: model '{spec.model}' is not a local folder; "
            "set allow_download = true to fetch hub ids"
        )
    return ModelSource(spec.model, local=False)


def read_json(source: ModelSource, filename: str) -> dict[str, Any]:
    """One JSON file of the model, or {} when it has none."""
    if source.local:
        path = Path(source.location) / filename
        if not path.is_file():
            return {}
    else:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import RemoteEntryNotFoundError

        try:
            path = Path(hf_hub_download(source.location, filename))
        except RemoteEntryNotFoundError:  # the repository has no such file
            return {}
        except OSError as exc:  # offline, unknown repository, no access
            raise ConfigError(f"model '{source.location}': cannot fetch {filename} from the hub: {exc}") from exc
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"model '{source.location}': cannot read {filename}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def detect_family(spec: EngineSpec, source: ModelSource) -> Family:
    """The spec's family, else the one the tokenizer class or config.json model_type names."""
    if spec.family != "auto":
        return cast(Family, spec.family)
    tokenizer_config = read_json(source, "tokenizer_config.json")
    config = read_json(source, "config.json")
    # tokenizer_class first: NLLB and M2M100 share model_type "m2m_100", and a CTranslate2 folder's
    # config.json is CTranslate2's own, without model_type.
    for name in (tokenizer_config.get("tokenizer_class"), config.get("tokenizer_class")):
        if name in _FAMILY_OF_TOKENIZER:
            return _FAMILY_OF_TOKENIZER[name]
    if config.get("model_type") in _FAMILY_OF_MODEL_TYPE:
        return _FAMILY_OF_MODEL_TYPE[config["model_type"]]
    raise ConfigError(
        f"engine {spec.name}: cannot tell the model family of '{spec.model}' from its tokenizer_config.json or "
        f"config.json; set family = {' | '.join(repr(f) for f in FAMILIES)}"
    )


def load_tokenizer(spec: EngineSpec, family: Family, source: ModelSource) -> PreTrainedTokenizerBase:
    """The family's tokenizer class, loaded from the model folder (or hub id)."""
    import transformers

    cls = getattr(transformers, TOKENIZER_CLASSES[family])
    try:
        return cls.from_pretrained(source.location, local_files_only=source.local)
    except (OSError, ValueError, KeyError, TypeError, AssertionError, RuntimeError) as exc:
        raise ConfigError(
            f"engine {spec.name}: cannot load a {TOKENIZER_CLASSES[family]} from '{spec.model}': {exc}"
        ) from exc


@dataclass(frozen=True, slots=True)
class PairCodes:
    """How to ask the model for one language pair."""

    src_lang: str | None = None  # tokenizer.src_lang: "eng_Latn" (NLLB), "en" (M2M100)
    tgt_lang: str | None = None  # tokenizer.tgt_lang, used to tokenize targets for scoring
    target_token: str | None = None  # forced first target token: "spa_Latn" (NLLB), "__es__" (M2M100)
    source_prefix: str = ""  # Marian multi-target: ">>es<< " in front of the source text


@dataclass(frozen=True, slots=True)
class ModelLanguages:
    """The languages a model serves, in the gateway's codes, and the model's own tag for each."""

    family: Family
    # gateway code -> model tag: "spa_Latn" (NLLB), "es" (M2M100), ">>es<<" (Marian multi-target).
    tags: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None  # Marian: the source language its name or tokenizer declares
    target: str | None = None  # one-pair Marian: the target language its name or tokenizer declares

    @property
    def multi_target(self) -> bool:
        return self.family != "marian" or bool(self.tags)

    def codes(self, pair: LanguagePair) -> PairCodes:
        if self.family == "nllb":
            return PairCodes(self.tags[pair.source], self.tags[pair.target], self.tags[pair.target])
        if self.family == "m2m100":
            return PairCodes(self.tags[pair.source], self.tags[pair.target], f"__{self.tags[pair.target]}__")
        if self.tags:
            return PairCodes(source_prefix=f"{self.tags[pair.target]} ")
        return PairCodes()

    def auto_pairs(self) -> frozenset[LanguagePair] | None:
        """Every pair the model declares, or None when it does not say enough."""
        if self.family != "marian":
            return frozenset(LanguagePair(s, t) for s in self.tags for t in self.tags if s != t)
        if self.source is None:
            return None
        targets = self.tags.keys() if self.tags else [self.target] if self.target else []
        return frozenset(LanguagePair(self.source, t) for t in targets if t != self.source) or None

    def refusal(self, pair: LanguagePair) -> str | None:
        """Why the model cannot serve `pair`, or None when it can."""
        if self.family != "marian":
            missing = [c for c in (pair.source, pair.target) if c not in self.tags]
            return f"it has no language token for {', '.join(missing)}" if missing else None
        if self.source is not None and pair.source != self.source:
            return f"it translates from {self.source} only"
        if self.tags and pair.target not in self.tags:
            return f"it has no >>{pair.target}<< target token (it has {', '.join(sorted(self.tags))})"
        if not self.tags and self.target is not None and pair.target != self.target:
            return f"it translates into {self.target} only"
        return None


def _gateway_code(tag: str) -> str | None:
    try:
        return langcodes.normalize(tag)
    except UnknownLanguage:
        return None


def _preference(code: str, tag: str) -> tuple[int, str]:
    """Rank tags that map to the same language: the exact ISO 639-1, -3 or FLORES code wins."""
    exact = [code, langcodes.iso3(code), langcodes.flores(code)]
    return (exact.index(tag) if tag in exact else len(exact), tag)


def _tag_map(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map (bare code, model tag) pairs onto gateway codes, keeping the best tag per language."""
    best: dict[str, tuple[tuple[int, str], str]] = {}
    for bare, tag in pairs:
        code = _gateway_code(bare)
        if code is None:
            continue
        rank = _preference(code, bare)
        if code not in best or rank < best[code][0]:
            best[code] = (rank, tag)
    return {code: tag for code, (_, tag) in sorted(best.items())}


def _marian_hints(tokenizer: PreTrainedTokenizerBase, source: ModelSource) -> tuple[str | None, str | None]:
    """Source and target the tokenizer config or the OPUS-MT model name declare (None when unsaid)."""
    src = getattr(tokenizer, "source_lang", None)
    tgt = getattr(tokenizer, "target_lang", None)
    named = _OPUS_NAME.search(source.name)
    if named:
        src, tgt = src or named.group(1), tgt or named.group(2)
    return (_gateway_code(src) if src else None), (_gateway_code(tgt) if tgt else None)


def keep_marian_pair(tokenizer: PreTrainedTokenizerBase, source: ModelSource) -> None:
    """Write the pair a model's name declares into its Marian tokenizer, so a renamed copy keeps it."""
    src, tgt = _marian_hints(tokenizer, source)
    if getattr(tokenizer, "source_lang", None) is None and src:
        tokenizer.source_lang = src
    if getattr(tokenizer, "target_lang", None) is None and tgt:
        tokenizer.target_lang = tgt


def model_languages(family: Family, tokenizer: PreTrainedTokenizerBase, source: ModelSource) -> ModelLanguages:
    """Read the languages a loaded tokenizer knows."""
    if family == "nllb":
        tokens = [t for t in tokenizer.get_vocab() if _NLLB_TAG.fullmatch(t)]
        return ModelLanguages(family, _tag_map((t, t) for t in tokens))
    if family == "m2m100":
        # transformers 5 keeps M2M100's language tokens out of get_vocab(); lang_code_to_id has them.
        codes = getattr(tokenizer, "lang_code_to_id", {})
        return ModelLanguages(family, _tag_map((c, c) for c in codes))
    src, tgt = _marian_hints(tokenizer, source)
    # The source vocabulary, not supported_language_codes: that one stays empty for separate vocabularies.
    found = (_MARIAN_TAG.fullmatch(t) for t in tokenizer.get_vocab())
    tags = _tag_map((m.group(1), m.group(0)) for m in found if m)
    return ModelLanguages(family, tags, source=src, target=None if tags else tgt)


def _parse_pair(spec: EngineSpec, text: str) -> LanguagePair:
    try:
        raw = LanguagePair.parse(text)
        pair = LanguagePair(langcodes.normalize(raw.source), langcodes.normalize(raw.target))
    except (ValueError, UnknownLanguage) as exc:
        raise ConfigError(f"engine {spec.name}: pairs: {exc}") from None
    if pair.source == pair.target:
        raise ConfigError(f"engine {spec.name}: pairs: {text!r} translates a language into itself")
    return pair


def resolve_pairs(spec: EngineSpec, languages: ModelLanguages) -> frozenset[LanguagePair]:
    """The spec's pairs, checked against the model; or, for "auto", the pairs the model declares."""
    if "auto" in spec.pairs:
        if len(spec.pairs) > 1:
            raise ConfigError(f'engine {spec.name}: pairs: "auto" cannot be combined with explicit pairs')
        derived = languages.auto_pairs()
        if not derived:
            raise ConfigError(
                f"engine {spec.name}: cannot tell which language pair model '{spec.model}' translates; "
                f'list `pairs` explicitly, e.g. pairs = ["en-es"]'
            )
        return derived
    pairs = [_parse_pair(spec, text) for text in spec.pairs]
    for pair in pairs:
        why = languages.refusal(pair)
        if why:
            raise ConfigError(f"engine {spec.name}: model '{spec.model}' cannot translate {pair}: {why}")
    if not languages.multi_target and len({p.target for p in pairs}) > 1:
        raise ConfigError(
            f"engine {spec.name}: model '{spec.model}' has no target-language tokens, so it writes one "
            f"target language; split the pairs into one engine per target"
        )
    return frozenset(pairs)


# The helpers below change tokenizer state (src_lang, target mode): callers hold the engine's lock.


def encode_sources(tokenizer: PreTrainedTokenizerBase, codes: PairCodes, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of the source texts, with the family's language markers and EOS."""
    if codes.src_lang is not None:
        tokenizer.src_lang = codes.src_lang
    batch = [codes.source_prefix + text for text in texts]
    return tokenizer(batch, truncation=True)["input_ids"]


def encode_targets(tokenizer: PreTrainedTokenizerBase, codes: PairCodes, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of target texts as the decoder must produce them (NLLB/M2M100: language token first)."""
    if codes.tgt_lang is not None:
        tokenizer.tgt_lang = codes.tgt_lang
    return tokenizer(text_target=list(texts), truncation=True)["input_ids"]


def language_token_ids(family: Family, tokenizer: PreTrainedTokenizerBase) -> frozenset[int]:
    """Ids of every language token; never part of a translation's text."""
    if family == "m2m100":
        # transformers 5 does not mark M2M100's language tokens special, so decode would keep them.
        return frozenset(getattr(tokenizer, "lang_token_to_id", {}).values())
    pattern = _NLLB_TAG if family == "nllb" else _MARIAN_TAG
    return frozenset(i for t, i in tokenizer.get_vocab().items() if pattern.fullmatch(t))


def decode_targets(
    tokenizer: PreTrainedTokenizerBase, family: Family, ids: Sequence[Sequence[int]], drop: frozenset[int]
) -> list[str]:
    """Target texts from generated ids, special tokens and the `drop` ids (language tokens) left out."""
    # Marian: decode with the target sentencepiece model (transformers 5 defaults to the source one).
    extra = {"use_source_tokenizer": False} if family == "marian" else {}
    rows = [[int(i) for i in row if int(i) not in drop] for row in ids]
    return [t.strip() for t in tokenizer.batch_decode(rows, skip_special_tokens=True, **extra)]


def default_threads() -> int:
    """CPU cores this process may use (the affinity mask, which containers narrow)."""
    import os

    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def describe(languages: ModelLanguages, pairs: Iterable[LanguagePair]) -> str:
    """One log line's worth about what was loaded."""
    shown = sorted(map(str, pairs))
    more = f" (+{len(shown) - 8} more)" if len(shown) > 8 else ""
    return f"family={languages.family} pairs={', '.join(shown[:8])}{more}"
