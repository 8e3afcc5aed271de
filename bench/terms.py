"""Term success with Apertium en→es on TICO-19 dev, without and with the two TICO-19 term lists
loaded as a brand glossary, through the gateway's own pipeline; plus chrF against the reference.

An applicable term is one whose source occurs in the source segment and whose target occurs in the
reference (case-insensitive, whole words); success means the target appears in the output.

    python bench/terms.py --quick     # 300 segments
    python bench/terms.py             # all 971
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
from pathlib import Path

import regex
import sacrebleu

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.brands import Brand  # noqa: E402
from gateway.pipeline import Pipeline, TranslateJob  # noqa: E402
from glossary.matcher import CompiledTermbase  # noqa: E402
from glossary.terms import Termbase, find_duplicates, make_term  # noqa: E402
from models.config import EngineSpec  # noqa: E402
from models.registry import EngineRegistry  # noqa: E402

TICO = ROOT.parent / "shared" / "data" / "tico19-dev"
LISTS = ("f_en-es_XX.csv", "g_en_es-419.csv")


def load_terms() -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name in LISTS:
        with (TICO / "terminologies" / name).open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                src, tgt = row["sourceString"].strip(), row["targetString"].strip()
                if src and tgt:
                    pairs.append((src, tgt))
    return pairs


def load_segments(n: int | None) -> list[tuple[str, str]]:
    with (TICO / "tico19.en-es-419.dev.tsv").open(newline="", encoding="utf-8") as f:
        rows = [(r["en"], r["es-419"]) for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    return rows[:n] if n else rows


def termbase(pairs: list[tuple[str, str]]) -> Termbase:
    terms = []
    for src, tgt in pairs:
        terms.append(
            make_term({"kind": "term", "source": src, "target": tgt, "source_lang": "en", "target_lang": "es"})
        )
    # Both lists name some sources twice; the glossary keeps the first (as an import would refuse the rest).
    drop = {id(b) for _, b in find_duplicates(terms)}
    return Termbase("tico", 1, tuple(t for t in terms if id(t) not in drop))


def whole(text: str) -> regex.Pattern[str]:
    return regex.compile(rf"(?<![\p{{L}}\p{{N}}]){regex.escape(text)}(?![\p{{L}}\p{{N}}])", regex.IGNORECASE)


def term_success(pairs, segments, outputs) -> tuple[float, int]:
    compiled = [(whole(s), whole(t)) for s, t in dict.fromkeys(pairs)]
    hits = total = 0
    for (src, ref), out in zip(segments, outputs, strict=True):
        for s_re, t_re in compiled:
            if s_re.search(src) and t_re.search(ref):
                total += 1
                hits += bool(t_re.search(out))
    return hits / total if total else 0.0, total


class StaticRules:
    """The pipeline's rules cache, holding one ready termbase (no Redis in this bench)."""

    def __init__(self, compiled: CompiledTermbase | None) -> None:
        self._compiled = compiled

    async def compiled(self, brand: str) -> CompiledTermbase | None:
        return self._compiled


async def translate(registry, segments, compiled, strategy="post_edit") -> tuple[list[str], float]:
    pipeline = Pipeline(registry, None, None, 0.6, rules=StaticRules(compiled), term_strategy=strategy)  # type: ignore[arg-type]
    brand = Brand(name="tico")
    start = time.perf_counter()
    out: list[str] = []
    for lo in range(0, len(segments), 64):
        chunk = tuple(s for s, _ in segments[lo : lo + 64])
        done = await pipeline.translate(TranslateJob(chunk, "es", "en", brand=brand))
        out.extend(t.text for t in done)
    return out, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the first 300 segments")
    args = ap.parse_args()
    pairs = load_terms()
    segments = load_segments(300 if args.quick else None)
    tb = termbase(pairs)
    compiled = CompiledTermbase.compile(tb)
    registry = EngineRegistry.from_specs([EngineSpec(name="apertium", kind="apertium", pairs=("en-es",))])
    try:
        plain, t_plain = asyncio.run(translate(registry, segments, None))
        glossed, t_gloss = asyncio.run(translate(registry, segments, compiled))
        masked, t_mask = asyncio.run(translate(registry, segments, compiled, "mask"))
    finally:
        registry.close()
    refs = [[r for _, r in segments]]
    rows = []
    systems = (
        ("Apertium alone", plain, t_plain),
        ("+ glossary (post-edit)", glossed, t_gloss),
        ("+ glossary (mask all)", masked, t_mask),
    )
    for name, outs, secs in systems:
        success, n = term_success(pairs, segments, outs)
        rows.append(
            (name, success, n, sacrebleu.corpus_chrf(outs, refs).score, sacrebleu.corpus_bleu(outs, refs).score, secs)
        )
    print(f"{'system':24} {'term success':>12} {'terms':>6} {'chrF':>6} {'BLEU':>6} {'secs':>6}")
    for name, success, n, chrf, bleu, secs in rows:
        print(f"{name:24} {success:12.3f} {n:6d} {chrf:6.1f} {bleu:6.1f} {secs:6.1f}")
    print(
        json.dumps(
            {
                "segments": len(segments),
                "glossary_entries": len(tb.terms),
                "applicable_terms": rows[0][2],
                "term_success_plain": round(rows[0][1], 4),
                "term_success_glossary": round(rows[1][1], 4),
                "chrf_plain": round(rows[0][3], 2),
                "chrf_glossary": round(rows[1][3], 2),
                "bleu_plain": round(rows[0][4], 2),
                "bleu_glossary": round(rows[1][4], 2),
                "term_success_mask_all": round(rows[2][1], 4),
                "chrf_mask_all": round(rows[2][3], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
