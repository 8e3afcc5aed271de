"""Protected-token survival through Apertium en→es, without protection and with it.

Takes the agent replies (the `response` column) of the Bitext customer-support set, finds the
tokens `glossary.protect` protects (slots, URLs, e-mails, numbers, amounts, …) in each reply,
translates the replies twice — as plain sentences, and protected (protect → split → translate →
join → restore) — and counts how many of each reply's tokens come back intact: the same text, as
often as in the source.

The replies hold few URLs, e-mails or emoji, so a second variant fills the `{{…}}` slots the way an
agent's macro would: contact slots with a phone number, an e-mail, a URL or opening hours, order
slots with order and tracking numbers, the rest (names of pages such as "Live Chat") with their
label as plain text; and adds an emoji after the first exclamation mark.

    python bench/protection.py --quick     # 300 replies, under a minute
    python bench/protection.py             # all 4,514 replies

The last line of output is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from glossary.protect import Restored, protect, restore  # noqa: E402
from glossary.segment import join, split, split_masked  # noqa: E402
from glossary.spans import find_spans  # noqa: E402
from models.apertium import ApertiumEngine  # noqa: E402
from models.base import LanguagePair  # noqa: E402
from models.config import EngineSpec  # noqa: E402

DATA = (
    ROOT.parent / "shared" / "data" / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)
EN_ES = LanguagePair("en", "es")


def replies(quick: bool, n: int) -> list[str]:
    with DATA.open(newline="", encoding="utf-8") as f:
        rows = [r["response"] for r in csv.DictReader(f) if r["response"].strip()]
    # A fixed random sample: the file is sorted by intent, so its first rows are all alike.
    return random.Random(0).sample(rows, n) if quick else rows


_SLOT = re.compile(r"\{\{([^{}]*)\}\}")
_ORDER_IDS = ("#48213", "A-1234-XY", "1Z999AA10123456784", "ORD-2024-0042")


def fill(reply: str, seed: int) -> str:
    """The reply as an agent would send it: slots filled with realistic values."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1).lower()
        if "email" in name:
            return "support@acme-shop.com"
        if "phone" in name:
            return "+1 (555) 010-9999"
        if "url" in name:
            return "https://www.acme-shop.com/help?ref=bot&lang=en"
        if "website" in name:
            return "www.acme-shop.com"
        if "availability" in name or "hours" in name:
            return "Mon–Fri 9:00–17:00 CET"
        if "number" in name or " id" in name or "anonymized" in name:
            return _ORDER_IDS[(seed + m.start()) % len(_ORDER_IDS)]
        if "date" in name:
            return "2024-05-01"
        return m.group(1)

    return _SLOT.sub(value, reply).replace("!", "! 😊", 1)


def tokens(text: str) -> Counter[tuple[str, str]]:
    """(kind, text) of every protected token; merged neighbours are counted one by one."""
    return Counter((kind, text[a:b]) for a, b, kind in find_spans(text))


def survival(source: str, output: str) -> Counter[str]:
    """Per kind: tokens in the source, and how many of them the output has intact."""
    found = Counter(text for _, text in tokens(output).elements())
    counts: Counter[str] = Counter()
    for (kind, text), n in tokens(source).items():
        counts[f"{kind}:total"] += n
        counts[f"{kind}:kept"] += min(n, found[text])
    return counts


def translate_all(engine: ApertiumEngine, segments: list[str], workers: int) -> list[str]:
    """One engine, `workers` pipelines: chunks go through them in parallel, order kept."""
    size = max(1, -(-len(segments) // (workers * 8)))
    chunks = [segments[i : i + size] for i in range(0, len(segments), size)]
    with ThreadPoolExecutor(workers) as pool:
        done = pool.map(lambda chunk: [h.text for h in engine.translate(chunk, EN_ES)], chunks)
        return [text for chunk in done for text in chunk]


def unprotected(engine: ApertiumEngine, texts: Sequence[str], workers: int) -> list[str]:
    pieces = [split(t, "en") for t in texts]
    hyps = iter(translate_all(engine, [s for p in pieces for s in p.sentences], workers))
    return [join(p, [next(hyps) for _ in p.sentences]) for p in pieces]


def protected(engine: ApertiumEngine, texts: Sequence[str], workers: int) -> list[Restored]:
    masked = [protect(t) for t in texts]
    pieces = [split_masked(m, "en") for m in masked]
    hyps = iter(translate_all(engine, [s for p in pieces for s in p.sentences], workers))
    return [restore(join(p, [next(hyps) for _ in p.sentences]), m) for m, p in zip(masked, pieces, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fixed sample of replies instead of all")
    parser.add_argument("--sample", type=int, default=300, help="replies in the --quick sample")
    parser.add_argument("--processes", type=int, default=2, help="Apertium pipelines run in parallel")
    parser.add_argument("--show", type=int, default=5, help="examples of damaged tokens to print")
    args = parser.parse_args()

    texts = replies(args.quick, args.sample)
    filled = [fill(t, i) for i, t in enumerate(texts)]
    spec = EngineSpec(name="apertium", kind="apertium", pairs=("en-es",), processes=args.processes)
    engine = ApertiumEngine.from_spec(spec)
    try:
        engine.start()
        results = {}
        for name, batch in (("templates", texts), ("filled", filled)):
            t0 = time.perf_counter()
            plain = unprotected(engine, batch, args.processes)
            t1 = time.perf_counter()
            guarded = protected(engine, batch, args.processes)
            t2 = time.perf_counter()
            results[name] = report(name, batch, plain, guarded, t1 - t0, t2 - t1, args.show)
    finally:
        engine.close()
    t, f = results["templates"], results["filled"]
    print(
        json.dumps(
            {
                "survival_unprotected": t["unprotected"],
                "survival_protected": t["protected"],
                "slots_unprotected": t["slot_unprotected"],
                "slots_protected": t["slot_protected"],
                "filled_survival_unprotected": f["unprotected"],
                "filled_survival_protected": f["protected"],
                "tokens": t["tokens"],
                "filled_tokens": f["tokens"],
                "lost": t["lost"] + f["lost"],
                "duplicated": t["duplicated"] + f["duplicated"],
                "replies": len(texts),
            }
        )
    )


def report(
    name: str,
    texts: Sequence[str],
    plain: Sequence[str],
    guarded: Sequence[Restored],
    s_plain: float,
    s_guarded: float,
    show: int,
) -> dict[str, float]:
    """Print one variant's per-kind table; return its headline figures."""
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    damaged: list[tuple[str, str]] = []
    for source, out, res in zip(texts, plain, guarded, strict=True):
        before += survival(source, out)
        got = survival(source, res.text)
        after += got
        if any(got[k.replace(":total", ":kept")] < v for k, v in got.items() if k.endswith(":total")):
            damaged.append((source, res.text))

    kinds = sorted({k.split(":")[0] for k in before}, key=lambda k: -before[f"{k}:total"])
    print(
        f"\n## {name}: {len(texts)} agent replies, Apertium en→es "
        f"(unprotected {s_plain:.1f} s, protected {s_guarded:.1f} s)\n"
    )
    print("| kind | tokens | intact, unprotected | intact, protected |\n|---|---:|---:|---:|")
    for kind in kinds:
        total = before[f"{kind}:total"]
        print(f"| {kind} | {total} | {before[f'{kind}:kept'] / total:.1%} | {after[f'{kind}:kept'] / total:.1%} |")
    total = sum(v for k, v in before.items() if k.endswith(":total")) or 1
    kept_before = sum(v for k, v in before.items() if k.endswith(":kept"))
    kept_after = sum(v for k, v in after.items() if k.endswith(":kept"))
    print(f"| all | {total} | {kept_before / total:.1%} | {kept_after / total:.1%} |\n")
    lost = sum(len(r.lost) for r in guarded)
    dup = sum(len(r.duplicated) for r in guarded)
    repaired = sum(r.repaired for r in guarded)
    print(f"placeholders the engine lost: {lost}, duplicated: {dup}; replies repaired: {repaired}")
    for source, out in damaged[:show]:
        print(f"\nDAMAGED\n  source: {source[:300]!r}\n  output: {out[:300]!r}")
    slots = before["slot:total"] or 1
    return {
        "unprotected": round(kept_before / total, 4),
        "protected": round(kept_after / total, 4),
        "slot_unprotected": round(before["slot:kept"] / slots, 4),
        "slot_protected": round(after["slot:kept"] / slots, 4),
        "tokens": total,
        "lost": lost,
        "duplicated": dup,
    }


if __name__ == "__main__":
    main()
