"""Time per chat message spent outside the engine: detection, protection, glossary, checks, scoring, Redis.

The gateway's services are opened exactly as `tonegate serve` opens them (`gateway.services.
open_services`: Redis, lingua preloaded, the Apertium morphologies for tone, the translation
cache, the memory, the batchers), on a private `redis-server`. A brand with a glossary (a dnt
name, terms) and a formal Spanish tone is created, and English agent replies of 18–24 words (the
`response` column of the Bitext set, cut at sentence ends; `{{slots}}` included) are translated
to Spanish one at a time with the source language detected, as a helpdesk sends them:
`Pipeline.translate` end to end, round trip included.

Engine time is what the engines themselves report (`BaseEngine.seconds_busy`, the time inside
`translate()` of every engine the message used: the translation, the re-translation of texts
whose terms were missed, and the round trip); everything else — detection, protection, glossary,
checks, scoring, Redis, the batcher's hand-over — is overhead. Two deployments:
- **apertium**: Apertium en→es, and es→en for the round trip;
- **ctranslate2**: bench/engines.py's OPUS-MT-shaped model (int8, beam 4, ≤ 32 target tokens)
  for en→es, Apertium es→en for the round trip.
Every message is new text, so the cache misses (its GET and SET are part of the overhead).

    python bench/overhead.py --quick    # 60 messages per deployment (~2 min on 2 cores)
    python bench/overhead.py            # 200

The last line is one JSON object; `overhead_share` is the larger of the two deployments' shares.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engines import DATA, build_opus_shaped, messages  # noqa: E402
from gateway.brands import Brand  # noqa: E402
from gateway.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from gateway.metrics import STAGES  # noqa: E402
from gateway.pipeline import TranslateJob  # noqa: E402
from gateway.services import Services, open_services  # noqa: E402
from gateway.settings import load_settings  # noqa: E402
from glossary.terms import make_term  # noqa: E402
from models.ct2 import convert  # noqa: E402

BRAND = Brand(name="bench", languages=["en", "es"], tone={"es": "formal"})
TERMS = [
    {"kind": "dnt", "source": "Shop Pay"},
    {"kind": "term", "source": "order", "target": "pedido", "source_lang": "en", "target_lang": "es"},
    {"kind": "term", "source": "refund", "target": "reembolso", "source_lang": "en", "target_lang": "es"},
    {"kind": "term", "source": "account", "target": "cuenta", "source_lang": "en", "target_lang": "es"},
    {"kind": "forbidden", "source": "orden", "target": "pedido", "source_lang": "es", "target_lang": "es"},
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def replies(n: int) -> list[str]:
    """Distinct agent replies of 18–24 words: leading sentences of the `response` column."""
    out: list[str] = []
    with DATA.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text, words = "", 0
            for sentence in _SENTENCE.split(row["response"].split("\n")[0].strip()):
                text, words = f"{text} {sentence}".strip(), words + len(sentence.split())
                if words >= 18:
                    break
            if 18 <= words <= 24 and text not in out:
                out.append(text)
                if len(out) == n:
                    break
    return out


async def measure(services: Services, texts: Sequence[str]) -> dict[str, float]:
    await services.brands.put(BRAND)
    for entry in TERMS:
        await services.termbases.add(BRAND.name, make_term(entry), who="bench")
    engines = services.registry.engines
    pipeline = services.pipeline

    async def one(text: str) -> None:
        [t] = await pipeline.translate(TranslateJob(texts=(text,), target="es", brand=BRAND))
        assert t.source_lang == "en" and t.text, t

    for text in texts[:3]:  # warm-up: pipelines, morphology processes, lazy imports
        await one(f"{text} Thanks!")
    busy = sum(e.seconds_busy for e in engines)
    stage_before = {s: _stage_sum(services, s) for s in STAGES}
    total = 0.0
    for text in texts:
        started = time.perf_counter()
        await one(text)
        total += time.perf_counter() - started
    engine = sum(e.seconds_busy for e in engines) - busy
    n = len(texts)
    stages = {s: (_stage_sum(services, s) - stage_before[s]) / n * 1000 for s in STAGES}
    return {
        "messages": n,
        "total_ms": total / n * 1000,
        "engine_ms": engine / n * 1000,
        "outside_ms": (total - engine) / n * 1000,
        "overhead_share": (total - engine) / total,
        **{f"stage_{s}_ms": v for s, v in stages.items() if v},
    }


def _stage_sum(services: Services, stage: str) -> float:
    return services.metrics.registry.get_sample_value("tonegate_stage_seconds_sum", {"stage": stage}) or 0.0


async def deployment(name: str, engines_toml: str, root: Path, redis_url: str, texts: Sequence[str]) -> dict:
    path = root / f"{name}.toml"
    path.write_text(engines_toml)
    settings = load_settings(redis_url=redis_url, data_dir=root / "data", engines=path, admin_key="b" * 32)
    async with open_services(settings) as services:
        await services.redis.flushdb()
        result = await measure(services, texts)
    print(
        f"  {name}: {result['total_ms']:.1f} ms per message, engine {result['engine_ms']:.1f} ms, "
        f"outside {result['outside_ms']:.1f} ms ({result['overhead_share']:.1%})",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 messages per deployment instead of 200")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the neural model here, e.g. bench/out/engines")
    args = parser.parse_args()
    texts = replies(60 if args.quick else 200)
    mean_words = sum(len(t.split()) for t in texts) / len(texts)
    with tempfile.TemporaryDirectory(prefix="tonegate-bench-") as tmp:
        root = Path(tmp)
        base = args.keep or root
        hf_dir, ct2_dir = base / "opus-shaped", base / "opus-shaped-ct2"
        if not (ct2_dir / "model.bin").is_file():
            build_opus_shaped(hf_dir, messages())
            convert(hf_dir, ct2_dir, "int8", force=True)
        redis = EmbeddedRedis(root / "redis", port=free_port())
        redis.start()
        try:
            apertium = asyncio.run(
                deployment(
                    "apertium",
                    '[[engine]]\nname = "apertium"\nkind = "apertium"\npairs = ["en-es", "es-en"]\n',
                    root,
                    redis.url,
                    texts,
                )
            )
            neural = asyncio.run(
                deployment(
                    "ctranslate2",
                    f'[[engine]]\nname = "opus-shaped"\nkind = "ctranslate2"\nmodel = "{ct2_dir}"\npairs = ["en-es"]\n'
                    "beam_size = 4\nmax_length = 32\n\n"
                    '[[engine]]\nname = "apertium"\nkind = "apertium"\npairs = ["es-en"]\n',
                    root,
                    redis.url,
                    texts,
                )
            )
        finally:
            redis.stop()
    print("| deployment | ms per message | in the engine | outside | share outside |")
    print("|---|---:|---:|---:|---:|")
    for name, r in (("Apertium", apertium), ("CTranslate2 int8 (+ Apertium round trip)", neural)):
        cells = [f"{r[k]:.1f}" for k in ("total_ms", "engine_ms", "outside_ms")] + [f"{r['overhead_share']:.1%}"]
        print(f"| {name} | {' | '.join(cells)} |")
    print("| stage (ms per message) | Apertium | CTranslate2 |")
    print("|---|---:|---:|")
    for s in STAGES:
        a, b = apertium.get(f"stage_{s}_ms"), neural.get(f"stage_{s}_ms")
        if a or b:
            print(f"| {s} | {a or 0:.2f} | {b or 0:.2f} |")
    result = {
        "overhead_share": round(max(apertium["overhead_share"], neural["overhead_share"]), 3),
        "overhead_share_apertium": round(apertium["overhead_share"], 3),
        "overhead_share_ct2": round(neural["overhead_share"], 3),
        "apertium_ms_per_message": round(apertium["total_ms"], 2),
        "apertium_outside_ms": round(apertium["outside_ms"], 2),
        "ct2_ms_per_message": round(neural["total_ms"], 2),
        "ct2_outside_ms": round(neural["outside_ms"], 2),
        "messages": len(texts),
        "mean_words": round(mean_words, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
