"""Brand names that are ordinary words, kept intact through Apertium en→es; and the time a
10,000-entry glossary adds per message. Runs the gateway's own pipeline (no HTTP, no Redis).

    python bench/brands.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.brands import Brand  # noqa: E402
from gateway.pipeline import Pipeline, TranslateJob  # noqa: E402
from glossary.matcher import CompiledTermbase  # noqa: E402
from glossary.terms import Termbase, make_term  # noqa: E402
from models.config import EngineSpec  # noqa: E402
from models.registry import EngineRegistry  # noqa: E402

# Real or realistic store names made of everyday English words, the kind Apertium translates.
BRANDS = [
    "Shop Pay",
    "Outdoor Voices",
    "Case for Making",
    "West Path",
    "Away",
    "Parachute",
    "Public Goods",
    "Best Made",
    "Native",
    "Honest Company",
    "Simple Mills",
    "Good American",
    "Blue Bottle",
    "Open Road",
    "Little Sleepies",
    "Great Jones",
    "Our Place",
    "Brilliant Earth",
    "True Botanicals",
    "Re:amaze",
]
# Support replies written for this bench; {b} is the brand.
TEMPLATES = [
    "Thanks for shopping with {b}! Your order will ship tomorrow.",
    "You can pay with {b} at checkout, and the discount is applied automatically.",
    "Our team at {b} has refunded your payment; it can take five days to appear.",
    "If the size does not fit, {b} offers free returns for thirty days.",
    "I have checked your {b} account and your subscription is active.",
    "Sorry for the delay: {b} is sending a replacement today.",
]


def replies() -> list[tuple[str, str]]:
    return [(t.format(b=b), b) for b in BRANDS for t in TEMPLATES]


class StaticRules:
    def __init__(self, compiled: CompiledTermbase | None) -> None:
        self._compiled = compiled

    async def compiled(self, brand: str) -> CompiledTermbase | None:
        return self._compiled


def big_termbase(n: int) -> Termbase:
    rng = random.Random(7)
    words = "order refund parcel box size colour store card gift code return label invoice account cart".split()
    terms = [make_term({"kind": "dnt", "source": b}) for b in BRANDS]
    seen = set()
    while len(terms) < n:
        src = f"{rng.choice(words)} {rng.choice(words)}{rng.randint(0, 99999)}"
        if src not in seen:
            seen.add(src)
            terms.append(
                make_term(
                    {
                        "kind": "term",
                        "source": src,
                        "target": f"t{len(terms)}",
                        "source_lang": "en",
                        "target_lang": "es",
                    }
                )
            )
    return Termbase("bench", 1, tuple(terms))


async def run(pipeline: Pipeline, texts: list[str]) -> tuple[list[str], list[float]]:
    brand = Brand(name="bench")
    outs, times = [], []
    for text in texts:  # one at a time: the per-message cost a chat user waits for
        start = time.perf_counter()
        [t] = await pipeline.translate(TranslateJob((text,), "es", "en", brand=brand))
        times.append(time.perf_counter() - start)
        outs.append(t.text)
    return outs, times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer timing rounds")
    args = ap.parse_args()
    data = replies()
    texts = [t for t, _ in data]
    registry = EngineRegistry.from_specs([EngineSpec(name="apertium", kind="apertium", pairs=("en-es",))])
    try:
        brand_tb = Termbase("bench", 1, tuple(make_term({"kind": "dnt", "source": b}) for b in BRANDS))
        plain = Pipeline(registry, None, None, 0.6, rules=StaticRules(None))  # type: ignore[arg-type]
        glossed = Pipeline(registry, None, None, 0.6, rules=StaticRules(CompiledTermbase.compile(brand_tb)))  # type: ignore[arg-type]
        out_plain, _ = asyncio.run(run(plain, texts))
        out_gloss, _ = asyncio.run(run(glossed, texts))
        kept_plain = sum(b in o for (_, b), o in zip(data, out_plain, strict=True))
        kept_gloss = sum(b in o for (_, b), o in zip(data, out_gloss, strict=True))
        names_plain = sum(all(b in o for (_, bb), o in zip(data, out_plain, strict=True) if bb == b) for b in BRANDS)

        big = big_termbase(10_000)
        start = time.perf_counter()
        big_compiled = CompiledTermbase.compile(big)
        compile_ms = (time.perf_counter() - start) * 1000
        heavy = Pipeline(registry, None, None, 0.6, rules=StaticRules(big_compiled))  # type: ignore[arg-type]
        rounds = 3 if args.quick else 10
        none, base, with_big = [], [], []
        for _ in range(rounds):  # interleaved, so machine noise hits all alike
            none.extend(asyncio.run(run(plain, texts))[1])
            base.extend(asyncio.run(run(glossed, texts))[1])
            with_big.extend(asyncio.run(run(heavy, texts))[1])
    finally:
        registry.close()
    p50 = statistics.median
    added_ms = (p50(with_big) - p50(base)) * 1000
    print(
        f"brand names kept: {kept_plain}/{len(data)} replies without a glossary "
        f"({names_plain}/{len(BRANDS)} names always kept), {kept_gloss}/{len(data)} with dnt entries"
    )
    for o in out_plain[:: len(TEMPLATES) * 4][:5]:
        print("   e.g.", o)
    print(
        f"per message p50: {p50(none) * 1000:.2f} ms without a glossary, {p50(base) * 1000:.2f} ms with the "
        f"20 brand names, {p50(with_big) * 1000:.2f} ms with the same names in a 10,000-entry termbase "
        f"({added_ms:+.2f} ms); the 10,000 entries compile in {compile_ms:.0f} ms"
    )
    print(
        json.dumps(
            {
                "replies": len(data),
                "brands": len(BRANDS),
                "kept_plain": round(kept_plain / len(data), 4),
                "kept_glossary": round(kept_gloss / len(data), 4),
                "names_always_kept_plain": names_plain,
                "compile_10k_ms": round(compile_ms, 1),
                "message_p50_ms_no_glossary": round(p50(none) * 1000, 3),
                "message_p50_ms_20": round(p50(base) * 1000, 3),
                "message_p50_ms_10k": round(p50(with_big) * 1000, 3),
                "glossary_added_ms": round(added_ms, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
