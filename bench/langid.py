"""Language identification on short texts: accuracy per kind (word / pair / sentence) and speed.

Reads bench/data/langid/test.tsv (32 languages × 300 words, pairs and sentences from Debian's
translation catalogs; see its README) and compares lingua restricted to the set's languages with
and without the word-frequency prior, and langdetect. Ends with one JSON line.

    python bench/langid.py --quick          # 100 per language and kind, ~1 minute on 2 cores
    python bench/langid.py                  # the whole test split
    python bench/langid.py --calibrate      # on the dev split: prior weight sweep, too_short curve
    python bench/langid.py --ablations      # on dev: restricted vs renormalised; wordfreq list size

Accuracy counts the detector's best guess, which it always gives for a text with letters; a text
it gives no language (none here: every item has letters) would count as wrong. Brands and
conversations as context: bench/langid_context.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.langid import MIN_CONFIDENCE_SHORT, WORDFREQ_WEIGHT, build_detector
from models.langid.base import SHORT_WORDS
from models.langid.text import strip_non_language, word_count

DATA = Path(__file__).resolve().parent / "data" / "langid"
KINDS = ("word", "pair", "sentence")
BATCH = 256


@dataclass(frozen=True)
class Item:
    lang: str
    kind: str
    text: str


@dataclass
class Run:
    label: str
    guesses: list[tuple[str | None, float]]  # the best guess and its confidence (None: no decision)
    reliable: list[bool]  # whether the detector called its guess reliable
    batch_tps: float
    single_tps: float
    cpu_tps: float  # texts per CPU-second in batches: what other load on the machine cannot skew


def load(split: str, per_cell: int | None) -> list[Item]:
    with (DATA / f"{split}.tsv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = [Item(r["lang"], r["kind"], r["text"]) for r in reader]
    if per_cell is None:
        return rows
    cells: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in rows:
        cells[item.lang, item.kind].append(item)
    # Every k-th item, so a quick run spans each cell's alphabet rather than its first letters.
    return [item for cell in cells.values() for item in cell[:: max(1, len(cell) // per_cell)][:per_cell]]


def run(label: str, detector, texts: Sequence[str], langs: Sequence[str], single_sample: int) -> Run:
    start, cpu = time.perf_counter(), time.process_time()
    detections = []
    for i in range(0, len(texts), BATCH):
        detections += detector.detect(texts[i : i + BATCH], candidates=langs)
    batch_tps = len(texts) / (time.perf_counter() - start)
    cpu_tps = len(texts) / (time.process_time() - cpu)
    sample = texts[:: max(1, len(texts) // single_sample)][:single_sample]
    start = time.perf_counter()
    for text in sample:
        detector.detect([text], candidates=langs)
    single_tps = len(sample) / (time.perf_counter() - start)
    guesses = [(d.lang, d.confidence) for d in detections]  # no decision (None) counts as wrong
    return Run(label, guesses, [d.reliable for d in detections], batch_tps, single_tps, cpu_tps)


def accuracy(items: Sequence[Item], guesses: Sequence[tuple[str | None, float]]) -> dict[str, float]:
    """Macro accuracy (mean over languages) per kind, and their mean as "macro"."""
    hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for item, (lang, _) in zip(items, guesses, strict=True):
        hits[item.kind, item.lang].append(lang == item.lang)
    per_kind = {kind: statistics.mean(statistics.mean(v) for (k, _), v in hits.items() if k == kind) for kind in KINDS}
    return {**per_kind, "macro": statistics.mean(per_kind.values())}


def short_decisions(
    items: Sequence[Item], guesses: Sequence[tuple[str | None, float]], threshold: float
) -> dict[str, float]:
    """For texts of <= SHORT_WORDS words: share decided at this threshold, and accuracy of those."""
    decided = [
        lang == item.lang
        for item, (lang, conf) in zip(items, guesses, strict=True)
        if word_count(strip_non_language(item.text)) <= SHORT_WORDS and conf >= threshold
    ]
    short = sum(word_count(strip_non_language(item.text)) <= SHORT_WORDS for item in items)
    return {
        "threshold": threshold,
        "coverage": len(decided) / short if short else 0.0,
        "accuracy": statistics.mean(decided) if decided else 0.0,
    }


def per_language(items: Sequence[Item], guesses: Sequence[tuple[str | None, float]], kind: str) -> dict[str, float]:
    hits: dict[str, list[bool]] = defaultdict(list)
    for item, (lang, _) in zip(items, guesses, strict=True):
        if item.kind == kind:
            hits[item.lang].append(lang == item.lang)
    return {lang: statistics.mean(v) for lang, v in sorted(hits.items())}


def table(items: Sequence[Item], runs: Sequence[Run]) -> str:
    lines = [
        "| detector | word | pair | sentence | macro | texts/s, batches of 256 | texts/s, 1 per call "
        "| texts per CPU-s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        acc = accuracy(items, r.guesses)
        lines.append(
            f"| {r.label} | {acc['word']:.3f} | {acc['pair']:.3f} | {acc['sentence']:.3f} | "
            f"{acc['macro']:.3f} | {r.batch_tps:,.0f} | {r.single_tps:,.0f} | {r.cpu_tps:,.0f} |"
        )
    return "\n".join(lines)


def compare(args: argparse.Namespace) -> dict:
    items = load(args.split, 100 if args.quick else None)
    texts = [i.text for i in items]
    langs = sorted({i.lang for i in items})
    single = 500 if args.quick else 2000
    configs = [
        (f"lingua, restricted, + wordfreq prior (w={WORDFREQ_WEIGHT})", "lingua", WORDFREQ_WEIGHT),
        ("lingua, restricted, no prior", "lingua", 0.0),
        ("langdetect, restricted", "langdetect", 0.0),
    ]
    if not args.quick:
        label = f"langdetect, restricted, + wordfreq prior (w={WORDFREQ_WEIGHT})"
        configs.append((label, "langdetect", WORDFREQ_WEIGHT))
    runs = []
    for label, kind, weight in configs:
        start = time.perf_counter()
        detector = build_detector(kind, langs, wordfreq_weight=weight)
        print(f"# {label}: built in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        runs.append(run(label, detector, texts, langs, single if kind == "lingua" else single // 4))
    loadavg = os.getloadavg()[0]
    print(
        f"{len(items)} texts, {len(langs)} languages, split {args.split!r}, {len(os.sched_getaffinity(0))} CPUs, "
        f"load average {loadavg:.1f} at the end\n"
    )
    print(table(items, runs))
    main = runs[0]
    too_short = short_decisions(items, main.guesses, MIN_CONFIDENCE_SHORT)
    undecided = sum(lang is None for lang, _ in main.guesses)
    reliable = [ok for ok, (lang, _), item in zip(main.reliable, main.guesses, items, strict=True) if ok]
    right_reliable = sum(
        lang == item.lang for ok, (lang, _), item in zip(main.reliable, main.guesses, items, strict=True) if ok
    )
    print(
        f"\n{main.label}: no decision on {undecided} of {len(items)} texts (counted wrong); "
        f"{len(reliable) / len(items):.1%} called reliable, {right_reliable / max(1, len(reliable)):.3f} of those right"
    )
    print(
        f"reliable at {MIN_CONFIDENCE_SHORT} ({runs[0].label}), texts of <= {SHORT_WORDS} words: "
        f"{too_short['coverage']:.1%} reliable, {too_short['accuracy']:.3f} right when reliable"
    )
    if not args.quick:
        print("\nper language, " + main.label)
        print("| lang | " + " | ".join(KINDS) + " |\n|---|---|---|---|")
        by_kind = {kind: per_language(items, main.guesses, kind) for kind in KINDS}
        for lang in langs:
            print(f"| {lang} | " + " | ".join(f"{by_kind[k][lang]:.2f}" for k in KINDS) + " |")
    acc = accuracy(items, main.guesses)
    return {
        "macro_accuracy": round(acc["macro"], 4),
        "texts_per_s": round(main.batch_tps),
        "texts_per_s_single": round(main.single_tps),
        "texts_per_cpu_s": round(main.cpu_tps),
        **{f"{k}_accuracy": round(acc[k], 4) for k in KINDS},
        "no_decision": undecided,
        "reliable_share": round(len(reliable) / len(items), 4),
        "reliable_accuracy": round(right_reliable / max(1, len(reliable)), 4),
        "too_short": {k: round(v, 4) for k, v in too_short.items()},
        "configs": {
            r.label: {
                **{k: round(v, 4) for k, v in accuracy(items, r.guesses).items()},
                "texts_per_s": round(r.batch_tps),
                "texts_per_s_single": round(r.single_tps),
                "texts_per_cpu_s": round(r.cpu_tps),
            }
            for r in runs
        },
        "items": len(items),
        "split": args.split,
        "quick": args.quick,
        "load_average": round(loadavg, 1),
    }


def calibrate(args: argparse.Namespace) -> dict:
    """Pick the prior weight and the too_short threshold on the dev split (never on test)."""
    items = load("dev", None)
    texts = [i.text for i in items]
    langs = sorted({i.lang for i in items})
    print(f"{len(items)} dev texts\n\n| prior weight | word | pair | sentence | macro |\n|---|---|---|---|---|")
    results = {}
    for weight in (0.0, 0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0):
        detector = build_detector("lingua", langs, min_confidence_short=0.0, wordfreq_weight=weight)
        guesses = run(f"w={weight}", detector, texts, langs, 10).guesses
        acc = accuracy(items, guesses)
        results[weight] = (acc, guesses)
        print(f"| {weight} | {acc['word']:.3f} | {acc['pair']:.3f} | {acc['sentence']:.3f} | {acc['macro']:.3f} |")
    best = max(results, key=lambda w: results[w][0]["macro"])
    print(
        f"\ntoo_short threshold, texts of <= {SHORT_WORDS} words, weight {WORDFREQ_WEIGHT}:\n"
        "| threshold | decided | accuracy when decided |\n|---|---|---|"
    )
    curve = []
    for threshold in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        point = short_decisions(items, results[WORDFREQ_WEIGHT][1], threshold)
        curve.append(point)
        print(f"| {threshold} | {point['coverage']:.1%} | {point['accuracy']:.3f} |")
    return {
        "macro_accuracy": round(results[WORDFREQ_WEIGHT][0]["macro"], 4),
        "best_weight": best,
        "weights": {str(w): round(a["macro"], 4) for w, (a, _) in results.items()},
        "too_short_curve": curve,
    }


def ablations(args: argparse.Namespace) -> dict:
    """On dev: a restricted lingua against one all-language lingua renormalised; small vs best lists."""
    from lingua import LanguageDetectorBuilder

    import models.langid.prior as prior_module

    items = load("dev", None)
    everything = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()
    out: dict = {}
    print("| candidates | how | word | pair | sentence | texts/s |\n|---|---|---|---|---|---|")
    for name, langs in (("all 32", sorted({i.lang for i in items})), ("es en fr pt", ["en", "es", "fr", "pt"])):
        subset = [i for i in items if i.lang in langs]
        texts = [strip_non_language(i.text) for i in subset]
        restricted = run(
            "restricted",
            build_detector("lingua", langs, min_confidence_short=0.0, wordfreq_weight=0.0),
            texts,
            langs,
            10,
        )
        start = time.perf_counter()
        rows = [
            r
            for k in range(0, len(texts), BATCH)
            for r in everything.compute_language_confidence_values_in_parallel(texts[k : k + BATCH])
        ]
        guesses = []
        for row in rows:
            scores = {v.language.iso_code_639_1.name.lower(): v.value for v in row}
            best = max(langs, key=lambda lang: scores.get(lang, 0.0))
            guesses.append((best if scores.get(best, 0.0) > 0 else None, scores.get(best, 0.0)))
        renorm_tps = len(texts) / (time.perf_counter() - start)
        for how, guessed, tps in (
            ("restricted detector", restricted.guesses, restricted.batch_tps),
            ("all 75, renormalised", guesses, renorm_tps),
        ):
            acc = accuracy(subset, guessed)
            out[f"{name}, {how}"] = {k: round(v, 4) for k, v in acc.items()} | {"texts_per_s": round(tps)}
            print(f"| {name} | {how} | {acc['word']:.3f} | {acc['pair']:.3f} | {acc['sentence']:.3f} | {tps:,.0f} |")
    print("\n| wordfreq list | word | pair | sentence | macro | build s |\n|---|---|---|---|---|---|")
    texts, langs = [i.text for i in items], sorted({i.lang for i in items})
    default = prior_module.WORDLIST
    try:
        for wordlist in ("small", "best"):
            prior_module.WORDLIST = wordlist  # the library has no knob for this on purpose: bench only
            start = time.perf_counter()
            detector = build_detector("lingua", langs, min_confidence_short=0.0)
            built = time.perf_counter() - start
            acc = accuracy(items, run(wordlist, detector, texts, langs, 10).guesses)
            out[f"wordlist {wordlist}"] = {k: round(v, 4) for k, v in acc.items()} | {"build_s": round(built, 1)}
            print(
                f"| {wordlist} | {acc['word']:.3f} | {acc['pair']:.3f} | {acc['sentence']:.3f} | "
                f"{acc['macro']:.3f} | {built:.1f} |"
            )
    finally:
        prior_module.WORDLIST = default
    return {"macro_accuracy": out["all 32, restricted detector"]["macro"], "ablations": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 texts per language and kind")
    parser.add_argument("--split", default="test", choices=("test", "dev"))
    parser.add_argument("--calibrate", action="store_true", help="sweep the prior weight and threshold on dev")
    parser.add_argument("--ablations", action="store_true", help="restricted vs renormalised; small vs best lists")
    args = parser.parse_args()
    summary = calibrate(args) if args.calibrate else ablations(args) if args.ablations else compare(args)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
