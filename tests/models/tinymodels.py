"""Build tiny models (random weights, vocabularies trained on a few lines) for engine tests: seq2seq
translation models, and a chat model for `transformers serve` (build_causal_lm).

They exercise the real loading, tokenisation, batching, scoring and conversion code of the neural
engines; their translations are noise. Nothing here downloads anything.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from models.base import LanguagePair

# A few support-chat lines in English, Spanish and French, enough to train vocabularies of ~150 pieces.
CORPUS = [
    "Hello, how can I help you today?",
    "Hola, ¿en qué puedo ayudarte hoy?",
    "Bonjour, comment puis-je vous aider aujourd'hui ?",
    "My order has not arrived yet.",
    "Mi pedido todavía no ha llegado.",
    "Ma commande n'est pas encore arrivée.",
    "Please send me the tracking number.",
    "Por favor, envíame el número de seguimiento.",
    "Merci de m'envoyer le numéro de suivi.",
    "The package was shipped yesterday.",
    "El paquete fue enviado ayer.",
    "Le colis a été expédié hier.",
    "I would like to return this product.",
    "Me gustaría devolver este producto.",
    "Je voudrais retourner ce produit.",
    "Your refund will be processed within five days.",
    "Tu reembolso se procesará en cinco días.",
    "Votre remboursement sera traité sous cinq jours.",
    "Thank you for your patience.",
    "Gracias por tu paciencia.",
    "Merci pour votre patience.",
    "Can I change the delivery address?",
    "¿Puedo cambiar la dirección de entrega?",
    "Puis-je changer l'adresse de livraison ?",
    "The payment failed twice.",
    "El pago falló dos veces.",
    "Le paiement a échoué deux fois.",
    "We are sorry for the inconvenience.",
    "Sentimos las molestias.",
    "Nous sommes désolés pour le désagrément.",
]

# What the engine tests translate: messages of several lengths, one with placeholders.
EN_ES = LanguagePair("en", "es")
SEGMENTS = [
    "Hello, my order has not arrived.",
    "Thanks",
    "Please send me the tracking number.",
    "⟦0⟧ Le colis a été expédié ⟦1⟧",
    "Can I change the delivery address?",
]

# Small enough to build in well under a second, large enough that random weights give peaked
# distributions (init_std well above the default 0.02), so greedy output is clearly the model's own.
TINY_DIMS = dict(
    d_model=32,
    encoder_layers=1,
    decoder_layers=1,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=64,
    decoder_ffn_dim=64,
    max_position_embeddings=128,
    init_std=0.5,
    dropout=0.0,
    attention_dropout=0.0,
    activation_dropout=0.0,
)
MAX_TOKENS = 128  # tokenizer model_max_length, equal to max_position_embeddings


def _train_spm(model_type: str, vocab_size: int, corpus: Sequence[str] = CORPUS, **ids: int) -> bytes:
    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=buf,
        vocab_size=vocab_size,
        model_type=model_type,
        hard_vocab_limit=False,
        character_coverage=1.0,
        minloglevel=2,
        num_threads=1,
        **ids,
    )
    return buf.getvalue()


def _spm_pieces(model: bytes) -> list[str]:
    """The ordinary pieces of a sentencepiece model, control and unknown symbols left out."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=model)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not (sp.is_control(i) or sp.is_unknown(i))]


def _seeded(seed: int) -> None:
    import torch

    torch.manual_seed(seed)


def _quiet(model, token_ids: list[int]) -> None:
    """Shrink the (tied) embeddings of language tokens so the noise model rarely generates them.

    NLLB and M2M100 vocabularies here are mostly language tokens; left alone, random weights would
    spell out language codes instead of text, which real models never do.
    """
    import torch

    with torch.no_grad():
        model.get_input_embeddings().weight[token_ids] *= 0.01


def build_marian(
    out: Path,
    *,
    target_tokens: tuple[str, ...] = (),
    source_lang: str | None = "en",
    target_lang: str | None = "es",
    seed: int = 0,
    dims: Mapping[str, object] = TINY_DIMS,
    corpus: Sequence[str] = CORPUS,
    spm_pieces: int = 150,
    vocab_size: int | None = None,
    max_tokens: int = MAX_TOKENS,
) -> Path:
    """A MarianMT model; `target_tokens` such as (">>es<<", ">>fr<<") make it multi-target.

    `dims`, `corpus`, `spm_pieces` and `vocab_size` (filler tokens up to that size, so embeddings
    cost what a real model's do) build larger models, e.g. the OPUS-MT-shaped one of bench/engines.py.
    """
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    out.mkdir(parents=True, exist_ok=True)
    work = out.parent / f"{out.name}.src"
    work.mkdir(parents=True, exist_ok=True)
    model = _train_spm("unigram", spm_pieces, corpus, unk_id=1, bos_id=-1, eos_id=0, pad_id=-1)
    (work / "source.spm").write_bytes(model)
    (work / "target.spm").write_bytes(model)
    # OPUS-MT layout: </s> and <unk> first, language tokens next, <pad> last (the decoder start).
    tokens = list(dict.fromkeys(["</s>", "<unk>", *target_tokens, *_spm_pieces(model)]))
    if vocab_size is not None:
        tokens += [f"<filler{i}>" for i in range(vocab_size - 1 - len(tokens))]
    vocab = {tok: i for i, tok in enumerate([*tokens, "<pad>"])}
    (work / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = MarianTokenizer(
        str(work / "source.spm"),
        str(work / "target.spm"),
        str(work / "vocab.json"),
        source_lang=source_lang,
        target_lang=target_lang,
        model_max_length=max_tokens,
    )
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        **dims,
    )
    _seeded(seed)
    net = MarianMTModel(config).eval()
    # Real OPUS-MT checkpoints forbid generating <pad>; so does CTranslate2's converter.
    net.generation_config.bad_words_ids = [[pad]]
    net.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_nllb(out: Path, *, seed: int = 0) -> Path:
    """An NLLB-style model: M2M100 weights with an NllbTokenizer carrying the FLORES-200 codes."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    out.mkdir(parents=True, exist_ok=True)
    # No protobuf here to convert a sentencepiece model, so train the BPE with `tokenizers` directly.
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    bpe.train_from_iterator(
        CORPUS,
        trainers.BpeTrainer(vocab_size=150, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], show_progress=False),
    )
    state = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["merges"]]
    tokenizer = NllbTokenizer(vocab=state["vocab"], merges=merges, model_max_length=MAX_TOKENS)
    config = M2M100Config(
        vocab_size=len(tokenizer),
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        scale_embedding=True,
        **TINY_DIMS,
    )
    config.tokenizer_class = "NllbTokenizer"
    _seeded(seed)
    net = M2M100ForConditionalGeneration(config).eval()
    _quiet(net, [i for t, i in tokenizer.get_vocab().items() if len(t) == 8 and t[3] == "_"])
    net.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_m2m100(out: Path, *, seed: int = 0) -> Path:
    """An M2M100 model with its sentencepiece tokenizer and `__xx__` language tokens."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    out.mkdir(parents=True, exist_ok=True)
    work = out.parent / f"{out.name}.src"
    work.mkdir(parents=True, exist_ok=True)
    model = _train_spm("bpe", 150, bos_id=0, pad_id=1, eos_id=2, unk_id=3)
    (work / "sentencepiece.bpe.model").write_bytes(model)
    tokens = ["<s>", "<pad>", "</s>", "<unk>", *_spm_pieces(model)]
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(tokens))}
    (work / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = M2M100Tokenizer(
        str(work / "vocab.json"), str(work / "sentencepiece.bpe.model"), model_max_length=MAX_TOKENS
    )
    # The language tokens follow the vocabulary, then fairseq's "madeup" filler words.
    languages = max(tokenizer.lang_code_to_id.values()) + 1
    config = M2M100Config(
        vocab_size=languages + tokenizer.num_madeup_words,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        scale_embedding=True,
        **TINY_DIMS,
    )
    _seeded(seed)
    net = M2M100ForConditionalGeneration(config).eval()
    _quiet(net, list(range(languages - len(tokenizer.lang_code_to_id), config.vocab_size)))
    net.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


# A chat template in the shape real instruction-tuned models ship (role markers, end of turn).
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_causal_lm(out: Path, *, seed: int = 0) -> Path:
    """A tiny Llama-shaped chat model for `transformers serve`: byte-level BPE, a chat template, random weights."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    specials = ["<unk>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    bpe.train_from_iterator(
        CORPUS,
        trainers.BpeTrainer(
            vocab_size=400,
            special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="</s>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
        initializer_range=0.5,
    )
    _seeded(seed)
    LlamaForCausalLM(config).eval().save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
