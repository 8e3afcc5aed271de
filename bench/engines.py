"""Neural engine speed: transformers (float32) vs CTranslate2 (int8) on an OPUS-MT-shaped model, CPU.

Builds a MarianMT model with the dimensions of an OPUS-MT checkpoint — 6 encoder and 6 decoder
layers, d_model 512, 8 heads, FFN 2048, a 58,101-entry vocabulary (opus-mt-en-de's size) with tied
embeddings — random weights, and a sentencepiece model trained on the Bitext customer messages (its
vocab.json is padded with filler tokens up to the full size, so the embedding and output projection,
which dominate decoding cost, have the real size). `models.ct2.convert()` converts it to
CTranslate2 int8; both engines are loaded by the project's own `from_spec()` with threads = the
cores this process may use, then the same batches of English customer messages (the `instruction`
column of the Bitext customer-support set) are translated by each.

Random weights never emit EOS reliably, so the output length is fixed: every sentence gets exactly
`--target-tokens` decoder steps (transformers: min_new_tokens = max_new_tokens = N; CTranslate2:
min_decoding_length = max_decoding_length = N), and the script checks that both produced N tokens.
Timing calls the loaded model directly — `engine.model.generate()` and
`engine.translator.translate_batch()` — on the same token ids, because the engines' translate()
has no minimum length; tokenisation (shared, identical) is left out of the timing. One warm-up
batch precedes each engine's first timed batches (per layout and beam). Target tokens/s =
sentences × N / wall seconds for all batches. The batches are split into `--rounds` rounds
(default 2) and the engine order alternates (transformers then CTranslate2, then the reverse), so
load from other jobs that rises or falls during the run weighs on both engines alike.

Two thread layouts are measured for each engine, with the same cores:
- `intra`: one batch at a time, every core working inside it (torch threads = cores;
  CTranslate2 intra_threads = cores, inter_threads = 1) — the lowest latency for one batch;
- `inter`: one batch per core at once, one thread each (torch: set_num_threads(1) and a thread
  per core calling generate(); CTranslate2: inter_threads = cores, intra_threads = 1) — what a
  server under load runs when batches queue up.
`ct2_vs_transformers` compares each engine's better layout (beam 4); the same-layout ratios are
reported beside it.

    python bench/engines.py --quick     # 64 sentences in batches of 16, beam 4 (~2 min idle, 2 cores)
    python bench/engines.py             # 256 sentences, beam 4 and greedy

On a machine other jobs load, the `intra` layout suffers most (a parallel region waits for its
slowest thread, and a descheduled one stalls it), which is why `inter` is measured beside it.

The last line of output is one JSON object; `ct2_vs_transformers` is the beam-search ratio.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from models import neural  # noqa: E402
from models.base import LanguagePair  # noqa: E402
from models.config import EngineSpec  # noqa: E402
from models.ct2 import CTranslate2Engine, convert  # noqa: E402
from models.transformers_engine import TransformersEngine, pad_batch  # noqa: E402
from tests.models.tinymodels import build_marian  # noqa: E402

DATA = (
    ROOT.parent / "shared" / "data" / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)
EN_ES = LanguagePair("en", "es")
VOCAB_SIZE = 58_101  # Helsinki-NLP/opus-mt-en-de
SPM_PIECES = 8_000  # trained on the customer messages; the rest of the vocabulary is filler
OPUS_DIMS = dict(
    d_model=512,
    encoder_layers=6,
    decoder_layers=6,
    encoder_attention_heads=8,
    decoder_attention_heads=8,
    encoder_ffn_dim=2048,
    decoder_ffn_dim=2048,
    max_position_embeddings=512,
    scale_embedding=True,
    share_encoder_decoder_embeddings=True,
    dropout=0.0,
    attention_dropout=0.0,
    activation_dropout=0.0,
)

Ids = list[list[int]]
Pieces = list[list[str]]
B = TypeVar("B", Ids, Pieces)


LAYOUTS = ("intra", "inter")


@dataclass(frozen=True)
class Run:
    engine: str
    layout: str
    beam_size: int
    sentences: int
    target_tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.sentences * self.target_tokens / self.seconds


def messages() -> list[str]:
    """Distinct customer messages (the `instruction` column), in file order."""
    with DATA.open(newline="", encoding="utf-8") as f:
        rows = [r["instruction"].strip() for r in csv.DictReader(f)]
    return list(dict.fromkeys(r for r in rows if r))


def build_opus_shaped(out: Path, corpus: Sequence[str], seed: int = 0) -> Path:
    """An OPUS-MT-sized MarianMT en→es model with random weights, built like the tests' tiny ones."""
    return build_marian(
        out, seed=seed, dims=OPUS_DIMS, corpus=corpus, spm_pieces=SPM_PIECES, vocab_size=VOCAB_SIZE, max_tokens=512
    )


def timed(run_batch: Callable[[B], int], work: Sequence[B], n: int, parallel: int = 1) -> float:
    """Wall seconds for `work`; `parallel` batches run at once (one per thread). Checks that every
    output has N tokens. (Warm-up is the caller's: one batch per engine, layout and beam.)"""
    start = time.perf_counter()
    if parallel == 1:
        produced = [run_batch(batch) for batch in work]
    else:
        with ThreadPoolExecutor(parallel) as pool:
            produced = list(pool.map(run_batch, work))
    seconds = time.perf_counter() - start
    if any(p != n for p in produced):
        raise SystemExit(f"expected {n} target tokens per sentence, got {sorted(set(produced))}")
    return seconds


def transformers_runner(engine: TransformersEngine, beam: int, n: int) -> Callable[[Ids], int]:
    """One batch through model.generate() with exactly N new tokens; returns the tokens produced."""
    pad = int(engine.model.config.pad_token_id)

    def run(batch: Ids) -> int:
        ids, mask = pad_batch(batch, pad, engine.device)
        with torch.inference_mode():
            out = engine.model.generate(
                input_ids=ids, attention_mask=mask, num_beams=beam, do_sample=False, min_new_tokens=n, max_new_tokens=n
            )
        return int(out.shape[1]) - 1  # column 0 is the decoder start token

    return run


def ct2_runner(engine: CTranslate2Engine, beam: int, n: int) -> Callable[[Pieces], int]:
    """One batch through Translator.translate_batch() with exactly N tokens; returns the tokens produced."""

    def run(batch: Pieces) -> int:
        results = engine.translator.translate_batch(
            batch, beam_size=beam, min_decoding_length=n, max_decoding_length=n, return_end_token=True
        )
        lengths = {len(r.hypotheses[0]) for r in results}
        return lengths.pop() if len(lengths) == 1 else -1

    return run


def split(rows: list, size: int) -> list:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def spec(kind: str, model: Path, threads: int, **fields: object) -> EngineSpec:
    return EngineSpec(name=f"bench-{kind}", kind=kind, model=str(model), device="cpu", threads=threads, **fields)


def run_both(hf_model: Path, ct2_model: Path, ids: Ids, args: argparse.Namespace, threads: int) -> list[Run]:
    """Both engines on the same batches, in rounds of alternating order (transformers first, then
    CTranslate2 first, ...), so load from other jobs that rises or falls during the run weighs on
    both alike; each engine's seconds are summed over the rounds."""
    hf = TransformersEngine.from_spec(spec("transformers", hf_model, threads, compute_type="float32"))
    ct2: dict[str, CTranslate2Engine] = {}
    for layout in args.layouts:
        fields: dict[str, object] = {"compute_type": args.ct2_compute}
        if layout == "inter":  # one thread per batch, `threads` batches at once
            fields |= {"threads": 1, "inter_threads": threads}
        ct2[layout] = CTranslate2Engine.from_spec(
            spec("ctranslate2", ct2_model, fields.pop("threads", threads), **fields)
        )
    pieces = [ct2[args.layouts[0]].tokenizer.convert_ids_to_tokens(row) for row in ids]
    hf_work, ct2_work = split(ids, args.batch_size), split(pieces, args.batch_size)
    per_round = max(1, len(hf_work) // args.rounds)
    seconds: dict[tuple[str, str, int], float] = {}
    ct2_name = f"ctranslate2 {args.ct2_compute}"

    def measure(name: str, first_round: bool, lo: int, hi: int) -> None:
        for layout in args.layouts:
            parallel = 1 if layout == "intra" else threads
            for beam in args.beams:
                if name == "transformers":
                    # intra: every core inside one generate(); inter: one core per generate(), `threads` at once.
                    torch.set_num_threads(threads if layout == "intra" else 1)
                    run, work = transformers_runner(hf, beam, args.target_tokens), hf_work
                else:
                    run, work = ct2_runner(ct2[layout], beam, args.target_tokens), ct2_work
                if first_round:
                    run(work[0])  # warm-up, untimed
                t = timed(run, work[lo:hi], args.target_tokens, parallel)
                seconds[(name, layout, beam)] = seconds.get((name, layout, beam), 0.0) + t
                print(f"  {name} {layout} beam {beam}: batches {lo}-{hi - 1} {t:.2f} s", flush=True)

    for r in range(args.rounds):
        lo, hi = r * per_round, (len(hf_work) if r == args.rounds - 1 else (r + 1) * per_round)
        order = ("transformers", ct2_name) if r % 2 == 0 else (ct2_name, "transformers")
        for name in order:
            measure(name, r == 0, lo, hi)
        print(f"  round {r + 1}/{args.rounds} done, load average {os.getloadavg()[0]:.2f}", flush=True)
    torch.set_num_threads(threads)
    hf.close()
    for engine in ct2.values():
        engine.close()
    return [
        Run(name, layout, beam, len(ids), args.target_tokens, seconds[(name, layout, beam)])
        for name in ("transformers", ct2_name)
        for layout in args.layouts
        for beam in args.beams
    ]


def source_ids(model: Path, texts: Sequence[str]) -> Ids:
    """Token ids of the source texts, as the engines encode them (Marian: pieces + </s>)."""
    engine_spec = spec("transformers", model, 1)
    source = neural.resolve_model(engine_spec)
    family = neural.detect_family(engine_spec, source)
    tokenizer = neural.load_tokenizer(engine_spec, family, source)
    codes = neural.model_languages(family, tokenizer, source).codes(EN_ES)
    return neural.encode_sources(tokenizer, codes, texts)


def table(runs: Sequence[Run]) -> str:
    lines = ["| engine | threads | beam | target tokens/s | seconds |", "|---|---|---:|---:|---:|"]
    lines += [f"| {r.engine} | {r.layout} | {r.beam_size} | {r.tokens_per_s:,.0f} | {r.seconds:.2f} |" for r in runs]
    return "\n".join(lines)


def best(runs: Sequence[Run], beam: int, ct2: bool, layout: str | None = None) -> Run:
    """The fastest run of one engine at one beam size (in one layout, if given)."""
    mine = [
        r for r in runs if r.beam_size == beam and (r.engine != "transformers") == ct2 and layout in (None, r.layout)
    ]
    return max(mine, key=lambda r: r.tokens_per_s)


def ratio(runs: Sequence[Run], beam: int, layout: str | None = None) -> float:
    return best(runs, beam, True, layout).tokens_per_s / best(runs, beam, False, layout).tokens_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="64 sentences instead of 256, beam 4 only")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of alternating engine order")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--target-tokens", type=int, default=32, help="decoder steps per sentence (fixed)")
    parser.add_argument(
        "--beams", type=int, nargs="+", help="beam sizes; the first is the headline (default 4 1; --quick: 4)"
    )
    parser.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=LAYOUTS, help="thread layouts")
    parser.add_argument("--ct2-compute", default="int8", help="CTranslate2 compute type (int8, int8_float32, ...)")
    parser.add_argument(
        "--keep", type=Path, help="build the models in this folder and keep them (e.g. bench/out/engines)"
    )
    args = parser.parse_args()
    sentences = 64 if args.quick else 256
    args.beams = args.beams or ([4] if args.quick else [4, 1])
    threads = neural.default_threads()
    torch.set_num_threads(threads)

    corpus = messages()
    texts = random.Random(0).sample(corpus, sentences)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tonegate-bench-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        hf_dir, ct2_dir = base / "opus-shaped", base / "opus-shaped-ct2"
        if not (args.keep and (ct2_dir / "model.bin").is_file()):  # --keep reuses what it built before
            build_opus_shaped(hf_dir, corpus)
            convert(hf_dir, ct2_dir, "int8", force=True)
        build_s = time.perf_counter() - started
        ids = source_ids(hf_dir, texts)
        mean_len = sum(len(r) for r in ids) / len(ids)
        print(
            f"model built and converted in {build_s:.0f} s; {sentences} sentences, {mean_len:.1f} source tokens "
            f"on average, batches of {args.batch_size}, {args.target_tokens} target tokens each, {threads} threads",
            flush=True,
        )
        runs = run_both(hf_dir, ct2_dir, ids, args, threads)
    print(table(runs))
    head = args.beams[0]
    ct2_best, hf_best = best(runs, head, True), best(runs, head, False)
    result: dict[str, object] = {
        "ct2_vs_transformers": round(ratio(runs, head), 2),
        "transformers_tokens_per_s": round(hf_best.tokens_per_s, 1),
        "transformers_layout": hf_best.layout,
        "ct2_int8_tokens_per_s": round(ct2_best.tokens_per_s, 1),
        "ct2_layout": ct2_best.layout,
        "ct2_compute_type": args.ct2_compute,
        **{f"ct2_vs_transformers_{lay}": round(ratio(runs, head, lay), 2) for lay in args.layouts},
        "beam_size": head,
        "target_tokens": args.target_tokens,
        "batch_size": args.batch_size,
        "sentences": sentences,
        "mean_source_tokens": round(mean_len, 1),
        "threads": threads,
        "rounds": args.rounds,
        "load_average": round(os.getloadavg()[0], 2),  # other jobs on the machine, at the end
    }
    for beam in args.beams[1:]:
        result[f"ct2_vs_transformers_beam{beam}"] = round(ratio(runs, beam), 2)
        result[f"transformers_tokens_per_s_beam{beam}"] = round(best(runs, beam, False).tokens_per_s, 1)
        result[f"ct2_int8_tokens_per_s_beam{beam}"] = round(best(runs, beam, True).tokens_per_s, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
