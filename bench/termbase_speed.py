"""Term matching speed with a big termbase: compile time, and match time per chat message.

Builds a 10,000-entry termbase shaped like a real brand's — 20 % dnt (product names, promo codes),
60 % term entries en→es/de/fr whose sources are the most frequent words and word pairs of the
Bitext customer-support replies (so messages really hit terms), 20 % forbidden words — compiles
it with `glossary.matcher`, and matches 1,000 customer messages (the `instruction` column, 8 words
on average) and the same messages joined into 20-word ones.

    python bench/termbase_speed.py --quick     # one timing round, a few seconds
    python bench/termbase_speed.py             # five rounds, the best of each figure

The last line of output is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from glossary.matcher import CompiledTermbase, TermbaseCache  # noqa: E402
from glossary.terms import Term, Termbase, make_term  # noqa: E402

DATA = (
    ROOT.parent / "shared" / "data" / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)
_WORD = re.compile(r"[a-z]{3,}")


def load(column: str) -> list[str]:
    with DATA.open(newline="", encoding="utf-8") as f:
        return [r[column] for r in csv.DictReader(f) if r[column].strip()]


def vocabulary(replies: Sequence[str]) -> list[str]:
    """Frequent words and word pairs of the replies, most frequent first."""
    counts: Counter[str] = Counter()
    for reply in replies:
        words = _WORD.findall(reply.lower())
        counts.update(words)
        counts.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return [w for w, _ in counts.most_common()]


def termbase(entries: int, vocab: Sequence[str], rng: random.Random) -> Termbase:
    terms: list[Term] = []
    sources = iter(vocab)
    pairs = [("en", "es")] * 3 + [("en", "de")] * 2 + [("en", "fr")]
    for i in range(entries):
        share = i % 10
        if share < 2:
            if i % 4:
                name = f"{rng.choice(vocab).split()[0].title()} {rng.choice(['Pay', 'Plus', 'Pro', 'Go'])} {i}"
            else:
                name = f"{rng.choice(['SPRING', 'HOLIDAY', 'WELCOME', 'VIP'])}{i}"
            terms.append(make_term({"kind": "dnt", "source": name}))
        elif share < 8:
            src, tgt = pairs[i % len(pairs)]
            word = next(sources)
            data = {"kind": "term", "source": word, "target": f"{word[::-1]}", "source_lang": src, "target_lang": tgt}
            terms.append(make_term({**data, "variants": [f"{word[::-1]}s"]}))
        else:
            lang = ("es", "de", "fr")[i % 3]
            word = f"{rng.choice(vocab).split()[0]}{rng.choice(['ito', 'chen', 'ette', 'azo'])}{i}"
            terms.append(make_term({"kind": "forbidden", "source": word, "target": word[:3], "target_lang": lang}))
    return Termbase("bench", 1, tuple(terms))


def per_call_us(fn: Callable[[str], object], texts: Sequence[str], rounds: int) -> float:
    """Best-of-rounds mean time of one call, in microseconds."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, (time.perf_counter() - t0) / len(texts))
    return best * 1e6


def twenty_words(messages: Sequence[str]) -> list[str]:
    """The messages joined in order into ones of at least 20 words."""
    joined, current = [], []
    for m in messages:
        current.append(m)
        if sum(len(c.split()) for c in current) >= 20:
            joined.append(" ".join(current))
            current = []
    return joined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one timing round instead of five")
    parser.add_argument("--entries", type=int, default=10_000, help="entries in the termbase")
    parser.add_argument("--messages", type=int, default=1_000, help="customer messages to match")
    args = parser.parse_args()
    rounds = 1 if args.quick else 5
    rng = random.Random(0)

    base = termbase(args.entries, vocabulary(load("response")), rng)
    messages = rng.sample(load("instruction"), args.messages)
    long_messages = twenty_words(messages)

    compile_s = []
    for _ in range(max(3, rounds)):
        t0 = time.perf_counter()
        compiled = CompiledTermbase.compile(base)
        compile_s.append(time.perf_counter() - t0)
    cache = TermbaseCache()
    cache.get(base)

    match_us = per_call_us(lambda t: compiled.source_matches(t, "en", "es"), messages, rounds)
    long_us = per_call_us(lambda t: compiled.source_matches(t, "en", "es"), long_messages, rounds)
    forbidden_us = per_call_us(lambda t: compiled.forbidden_matches(t, "es"), long_messages, rounds)
    cache_us = per_call_us(lambda t: cache.get(base), messages, rounds)
    hits = [len(compiled.source_matches(t, "en", "es")) for t in messages]
    words = statistics.mean(len(m.split()) for m in messages)
    long_words = statistics.mean(len(m.split()) for m in long_messages)

    kinds = Counter(t.kind for t in base.terms)
    print(f"\n## {len(base.terms)} entries ({', '.join(f'{k} {n}' for k, n in kinds.items())})\n")
    print("| step | time |\n|---|---:|")
    print(f"| compile (best of {len(compile_s)}) | {min(compile_s) * 1e3:.1f} ms |")
    print(f"| source_matches, {len(messages)} messages of {words:.1f} words | {match_us:.1f} µs / message |")
    print(f"| source_matches, {len(long_messages)} messages of {long_words:.1f} words | {long_us:.1f} µs / message |")
    print(f"| forbidden_matches, the same {long_words:.1f}-word messages | {forbidden_us:.1f} µs / message |")
    print(f"| TermbaseCache.get, a hit | {cache_us:.2f} µs |")
    print(f"\n{sum(hits)} matches in {len(messages)} messages ({sum(map(bool, hits))} messages with at least one).")
    print(
        json.dumps(
            {
                "compile_ms": round(min(compile_s) * 1e3, 1),
                "match_us_per_message": round(match_us, 1),
                "match_us_per_20_word_message": round(long_us, 1),
                "forbidden_us_per_20_word_message": round(forbidden_us, 1),
                "cache_hit_us": round(cache_us, 2),
                "matches_per_message": round(sum(hits) / len(messages), 2),
                "entries": len(base.terms),
                "messages": len(messages),
            }
        )
    )


if __name__ == "__main__":
    main()
