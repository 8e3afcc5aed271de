"""Dynamic batching: chat requests through the gateway's batching path vs one request at a time.

The model is bench/engines.py's OPUS-MT-shaped Marian (6+6 layers, d_model 512, 8 heads, FFN
2048, 58,101-entry vocabulary, random weights), converted to CTranslate2 int8 and loaded by the
project's own `EngineRegistry.from_specs` — so requests go through `models.batching.Batcher`
exactly as in `tonegate serve`. Each request is one English customer message (the `instruction`
column of the Bitext set), one segment, translated en→es with beam 4 and at most 32 target
tokens; random weights rarely emit the end token, so nearly every sentence costs the full 32
steps (the script reports the measured mean), as a chat reply of ~25 words would.

For each concurrency C in 1, 8, 32, 64, C client threads each send requests back to back (a
closed loop) until R requests are done, twice:
- **batching**: the registry as the gateway builds it (a Batcher per engine: 5 ms wait, 4,096
  token budget);
- **one at a time**: the same registry with batching off, so each request is its own
  `translate_batch` call (CTranslate2 runs them one after another: inter_threads = 1).
Both use the same model, threads (the cores this process may use), beam and requests.
Throughput = requests / wall seconds; latency = from the call to its answer, per request.

    python bench/batching.py --quick     # R = 16 at C = 1, 2·C (32 to 128) above (~4 min on 2 cores)
    python bench/batching.py             # R = 64 at C = 1, 384 above

The one-at-a-time rows cost R × (one request's time) whatever C is, so they set the run time;
R ≥ 2·C keeps at least two rounds per client, so the latencies are not only the first burst's.

The last line is one JSON object: `speedup_c32` (throughput with batching / without, C = 32) and
`p99_ratio_c32` (p99 latency with batching / without, C = 32), plus every level's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engines import build_opus_shaped, messages  # noqa: E402
from models import neural  # noqa: E402
from models.config import EngineSpec  # noqa: E402
from models.ct2 import convert  # noqa: E402
from models.registry import EngineRegistry, build_engine  # noqa: E402

TARGET_TOKENS = 32
BEAM = 4


@dataclass(frozen=True)
class Level:
    mode: str
    concurrency: int
    requests: int
    seconds: float
    latencies: tuple[float, ...]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_level(registry: EngineRegistry, texts: Sequence[str], concurrency: int, requests: int, mode: str) -> Level:
    """C closed-loop clients share a counter of R requests; each records its own latencies."""
    lock = threading.Lock()
    next_index = 0
    latencies: list[float] = []
    errors: list[BaseException] = []

    def client() -> None:
        nonlocal next_index
        while True:
            with lock:
                i = next_index
                next_index += 1
            if i >= requests:
                return
            started = time.perf_counter()
            try:
                [hyp], _ = registry.translate([texts[i % len(texts)]], "en", "es")
            except BaseException as exc:  # report, do not hang the other clients
                errors.append(exc)
                return
            elapsed = time.perf_counter() - started
            assert hyp.text is not None
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{mode} c={concurrency}: {errors[0]!r}")
    return Level(mode, concurrency, requests, seconds, tuple(latencies))


def mean_target_tokens(registry: EngineRegistry, texts: Sequence[str]) -> float:
    """How many tokens the model really decodes per sentence at these settings (the work per request)."""
    engine = registry.engines[0]
    tokens = [engine.tokenizer.convert_ids_to_tokens(row) for row in engine.tokenizer(list(texts))["input_ids"]]
    results = engine.translator.translate_batch(tokens, beam_size=BEAM, max_decoding_length=TARGET_TOKENS)
    return sum(len(r.hypotheses[0]) for r in results) / len(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer requests per level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--keep", type=Path, help="build (or reuse) the model in this folder, e.g. bench/out/engines")
    args = parser.parse_args()

    def requests_at(c: int) -> int:
        if args.quick:
            return 16 if c == 1 else min(128, max(32, 2 * c))
        return 64 if c == 1 else 384

    threads = neural.default_threads()

    corpus = messages()
    texts = random.Random(1).sample(corpus, 512)
    with tempfile.TemporaryDirectory(prefix="tonegate-bench-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        hf_dir, ct2_dir = base / "opus-shaped", base / "opus-shaped-ct2"
        if not (ct2_dir / "model.bin").is_file():
            build_opus_shaped(hf_dir, corpus)
            convert(hf_dir, ct2_dir, "int8", force=True)
        spec = EngineSpec(
            name="opus-shaped",
            kind="ctranslate2",
            model=str(ct2_dir),
            pairs=["en-es"],
            device="auto",
            beam_size=BEAM,
            max_length=TARGET_TOKENS,
        )
        levels: list[Level] = []
        mean_batch: dict[int, float] = {}
        target_tokens = 0.0
        for mode in ("batching", "one at a time"):
            registry = EngineRegistry([build_engine(spec)], batching=mode == "batching")
            try:
                if not target_tokens:
                    target_tokens = mean_target_tokens(registry, texts[:32])
                registry.translate(texts[:4], "en", "es")  # warm-up
                for c in args.concurrency:
                    n = requests_at(c)
                    stats = registry.batchers["opus-shaped"].stats if registry.batchers else None
                    before = (stats.segments, stats.batches) if stats else (0, 0)
                    level = run_level(registry, texts, c, n, mode)
                    levels.append(level)
                    p50, p99 = level.percentile(0.5) * 1000, level.percentile(0.99) * 1000
                    extra = ""
                    if stats:  # segments per engine call at this level
                        mean_batch[c] = (stats.segments - before[0]) / max(1, stats.batches - before[1])
                        extra = f"  {mean_batch[c]:.1f} segments per batch"
                    print(
                        f"  {mode:>13} c={c:<3} {level.throughput:6.2f} req/s  p50 {p50:7.0f} ms  "
                        f"p99 {p99:7.0f} ms{extra}",
                        flush=True,
                    )
            finally:
                registry.close()

    by = {(lv.mode, lv.concurrency): lv for lv in levels}
    print("| C | batching req/s | one at a time req/s | speed-up | p50 ms (b / 1) | p99 ms (b / 1) | p99 ratio |")
    print("|---:|---:|---:|---:|---|---|---:|")
    result: dict[str, object] = {}
    for c in args.concurrency:
        b, o = by[("batching", c)], by[("one at a time", c)]
        speedup = b.throughput / o.throughput
        p99 = b.percentile(0.99) / o.percentile(0.99)
        print(
            f"| {c} | {b.throughput:.2f} | {o.throughput:.2f} | {speedup:.2f}× | {b.percentile(0.5) * 1000:.0f} / "
            f"{o.percentile(0.5) * 1000:.0f} | {b.percentile(0.99) * 1000:.0f} / {o.percentile(0.99) * 1000:.0f} "
            f"| {p99:.2f} |"
        )
        result[f"speedup_c{c}"] = round(speedup, 2)
        result[f"p99_ratio_c{c}"] = round(p99, 3)
        result[f"batching_req_per_s_c{c}"] = round(b.throughput, 2)
        result[f"single_req_per_s_c{c}"] = round(o.throughput, 2)
        result[f"batching_p99_ms_c{c}"] = round(b.percentile(0.99) * 1000, 1)
        result[f"single_p99_ms_c{c}"] = round(o.percentile(0.99) * 1000, 1)
    result |= {
        "mean_batch_segments": {str(c): round(b, 1) for c, b in mean_batch.items()},
        "mean_target_tokens": round(target_tokens, 1),
        "beam_size": BEAM,
        "threads": threads,
        "requests_per_level": {str(c): requests_at(c) for c in args.concurrency},
        "load_average": round(os.getloadavg()[0], 2),  # other jobs on the machine, at the end
    }
    # Headline keys first, as the issue names them.
    ordered = {k: result[k] for k in ("speedup_c32", "p99_ratio_c32") if k in result} | result
    print(json.dumps(ordered))


if __name__ == "__main__":
    main()
