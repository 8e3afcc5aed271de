"""Engine corrections (glossary/corrections/) on support-fit: fit share before/after, judged blind.

Split: support-fit (../shared/data/support-fit/dev.jsonl, 600 agent replies, Apertium en→es, labels
by reviewers following its RUBRIC.md) is cut by conversation: an item is in the BUILD part when
sha256(doc_id) mod 100 < 60, else HELD-OUT — 407 build / 193 held-out items, no conversation in
both. Corrections were mined from and checked on the build part only; figures are on held-out.

Steps:
    python bench/corrections.py --mine            # build part: most frequent words in major error spans
    python bench/corrections.py --translate       # held-out: gateway output without / with corrections
    python bench/corrections.py --blind DIR       # blinded batches of every new Spanish text, for reviewers
    python bench/corrections.py --collect DIR     # reviewers' answers + key -> bench/data/corrections/judgements.jsonl
    python bench/corrections.py --quick           # the figures (from the stored judgements) + time added
    python bench/corrections.py --breakdown       # per correction: replies it helped fix / broke
    python bench/corrections.py --build-check     # build part: what the corrections change, spans left

A text equal to the labelled `mt` keeps its original label; every other text, before or after,
is judged blind (the reviewer sees the source and one Spanish text, mixed, not which system made
it). The last line of --quick is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "support-fit" / "dev.jsonl"
OUT = ROOT / "bench" / "data" / "corrections"
OUTPUTS = OUT / "heldout_outputs.jsonl"
JUDGED = OUT / "judgements.jsonl"
BUILD_SHARE = 60


def part(doc_id: str) -> str:
    """'build' or 'heldout', fixed by the conversation (doc_id), never by the item."""
    return "build" if int(hashlib.sha256(doc_id.encode()).hexdigest()[:8], 16) % 100 < BUILD_SHARE else "heldout"


def load(which: str) -> list[dict]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if part(r["doc_id"]) == which]


def mine() -> None:
    """Word n-grams of major/critical error spans in unfit BUILD items, with the sources they come from."""
    counts: collections.Counter[str] = collections.Counter()
    for r in load("build"):
        if r["fit"]:
            continue
        seen: set[str] = set()
        for e in r["errors"]:
            if e["severity"] not in ("major", "critical"):
                continue
            toks = re.findall(r"\w+", e["span"].lower())
            for n in (1, 2, 3):
                for i in range(len(toks) - n + 1):
                    gram = " ".join(toks[i : i + n])
                    if gram not in seen:
                        seen.add(gram)
                        counts[gram] += 1
    for gram, n in counts.most_common(60):
        print(f"{n:4d}  {gram}")
    print(json.dumps({"build_items": len(load("build")), "candidates": len(counts)}))


def pipelines():
    """The gateway's pipeline over real Apertium, without and with the shipped corrections."""
    from gateway.pipeline import Pipeline
    from gateway.services import load_registry
    from gateway.settings import Settings
    from glossary.corrections.store import ShippedCorrections
    from models.morphology import ApertiumMorphology

    registry = load_registry(Settings())
    morph = {"es": ApertiumMorphology("es")}
    plain = Pipeline(registry, None, None, 0.6, morphologies=morph, round_trip=False)  # type: ignore[arg-type]
    fixed = Pipeline(  # type: ignore[arg-type]
        registry, None, None, 0.6, morphologies=morph, round_trip=False, corrections=ShippedCorrections()
    )
    return registry, morph, plain, fixed


def _run(pipeline, texts: list[str]):
    import anyio

    from gateway.pipeline import TranslateJob

    async def go():
        return await pipeline.translate(TranslateJob(tuple(texts), "es", "en"))

    return anyio.run(go)


def translate() -> None:
    rows = load("heldout")
    registry, morph, plain, fixed = pipelines()
    try:
        # One message at a time, as the helpdesk sends them.
        before = [_run(plain, [r["source"]])[0] for r in rows]
        after = [_run(fixed, [r["source"]])[0] for r in rows]
    finally:
        registry.close()
        for m in morph.values():
            m.close()
    OUT.mkdir(parents=True, exist_ok=True)
    with OUTPUTS.open("w", encoding="utf-8") as f:
        for r, b, a in zip(rows, before, after, strict=True):
            applied = next((s.detail for s in a.confidence.signals if s.name == "corrections"), "")
            ids = applied.split(": ", 1)[1].split(", ") if applied else []
            rec = {
                "id": r["id"],
                "before": b.text,
                "after": a.text,
                "corrections": ids,
                "confidence_before": b.confidence.value,
                "confidence_after": a.confidence.value,
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    changed = sum(b.text != a.text for b, a in zip(before, after, strict=True))
    print(json.dumps({"heldout": len(rows), "changed": changed, "outputs": str(OUTPUTS.relative_to(ROOT))}))


def build_check(show: bool) -> None:
    """The check a correction must pass before it is kept, on the BUILD part only.

    Translates every build source without and with the corrections and reports: replies changed,
    labelled-fit replies changed (each must be read: a correction may never make one unfit),
    labelled-unfit replies none of whose major/critical spans is left (a proxy for fixed), per
    correction the replies it touched, and the major/critical spans still left (what to mine next).
    With --show, every changed labelled-fit reply and every span left is printed for reading."""
    rows = load("build")
    registry, morph, plain, fixed = pipelines()
    try:
        before = [_run(plain, [r["source"]])[0] for r in rows]
        after = [_run(fixed, [r["source"]])[0] for r in rows]
    finally:
        registry.close()
        for m in morph.values():
            m.close()
    per: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    left: collections.Counter[str] = collections.Counter()
    fit_changed = []
    for r, b, a in zip(rows, before, after, strict=True):
        applied = next((s.detail for s in a.confidence.signals if s.name == "corrections"), "")
        ids = applied.split(": ", 1)[1].split(", ") if applied else []
        gone = _spans_gone({**r, "mt": b.text}, a.text)
        for cid in ids:
            per[cid]["applied"] += 1
            per[cid]["fit_touched"] += bool(r["fit"])
            per[cid]["spans_gone"] += gone
        if r["fit"] and a.text != b.text:
            fit_changed.append((r, b.text, a.text, ids))
        if not r["fit"]:
            for e in r["errors"]:
                if e["severity"] in ("major", "critical") and e["span"].casefold() in a.text.casefold():
                    left[e["span"].casefold()] += 1
                    if show:
                        print(f"LEFT {r['id']}  [{e['span']}]\n   src: {r['source']}\n   out: {a.text}")
    if show:
        for r, b, a, ids in fit_changed:
            print(f"FIT-CHANGED {r['id']} {ids}\n   src: {r['source']}\n   was: {b}\n   now: {a}")
        for cid, c in sorted(per.items(), key=lambda kv: -kv[1]["applied"]):
            print(
                f"{cid:28s} applied {c['applied']:3d}  fit touched {c['fit_touched']:3d}"
                f"  spans gone {c['spans_gone']:3d}"
            )
        for span, n in left.most_common(40):
            print(f"{n:4d}  {span}")
    unfit = [r for r in rows if not r["fit"]]
    print(
        json.dumps(
            {
                "build": len(rows),
                "build_fit": sum(r["fit"] for r in rows),
                "changed": sum(b.text != a.text for b, a in zip(before, after, strict=True)),
                "fit_changed": len(fit_changed),
                "unfit": len(unfit),
                "unfit_with_major_spans_gone": sum(
                    _spans_gone({**r, "mt": b.text}, a.text) for r, b, a in zip(rows, before, after, strict=True)
                ),
                "major_spans_left": sum(left.values()),
                "corrections_applied": len(per),
            }
        )
    )


def _outputs() -> list[dict]:
    return [json.loads(line) for line in OUTPUTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def blind(folder: Path, batches: int = 3) -> None:
    """Every held-out Spanish text that differs from the labelled `mt`, shuffled, under opaque ids."""
    rows = {r["id"]: r for r in load("heldout")}
    todo: dict[tuple[str, str], str] = {}
    for o in _outputs():
        mt = rows[o["id"]]["mt"]
        for text in (o["before"], o["after"]):
            if text != mt:
                todo[(o["id"], text)] = o["id"]
    items = sorted(todo)
    rng = random.Random(16)
    rng.shuffle(items)
    folder.mkdir(parents=True, exist_ok=True)
    key = {}
    for n in range(batches):
        with (folder / f"batch_{n + 1}.jsonl").open("w", encoding="utf-8") as f:
            for k, (item_id, text) in enumerate(items[n::batches]):
                opaque = f"b{n + 1}-{k:03d}"
                key[opaque] = {"id": item_id, "spanish": text}
                f.write(
                    json.dumps({"id": opaque, "source": rows[item_id]["source"], "spanish": text}, ensure_ascii=False)
                    + "\n"
                )
    (folder / "key_private.json").write_text(json.dumps(key, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "README.md").write_text(_BLIND_README.format(n=len(items), batches=batches), encoding="utf-8")
    print(json.dumps({"texts": len(items), "batches": batches, "folder": str(folder)}))


_BLIND_README = """# Blind review for issue 16 (engine corrections)

{n} Spanish translations of English support replies, in {batches} batches (batch_N.jsonl: id, source,
spanish). Give each reviewer ONLY ../shared/data/support-fit/RUBRIC.md and one batch; do not show
key_private.json (it says which system made which text) and do not say that systems are compared.

Each reviewer writes answers_N.jsonl in this folder: one JSON object per line, as RUBRIC.md asks
({{"id", "severity", "fit", "errors", "note"}}), with the batch's ids. Then, in /work/main:

    .venv/bin/python bench/corrections.py --collect /work/notes/blind16
    .venv/bin/python bench/corrections.py --quick
"""


def collect(folder: Path) -> None:
    """Reviewers' answers (answers_*.jsonl, one object per line with the opaque id) + key → judgements."""
    key = json.loads((folder / "key_private.json").read_text(encoding="utf-8"))
    out = []
    for path in sorted(folder.glob("answers_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            a = json.loads(line)
            k = key[a["id"]]
            out.append(
                {
                    "id": k["id"],
                    "spanish": k["spanish"],
                    "fit": bool(a["fit"]),
                    "severity": a.get("severity"),
                    "errors": a.get("errors", []),
                    "note": a.get("note", ""),
                    "reviewer": path.stem,
                }
            )
    OUT.mkdir(parents=True, exist_ok=True)
    JUDGED.write_text("".join(json.dumps(j, ensure_ascii=False) + "\n" for j in out), encoding="utf-8")
    print(json.dumps({"judgements": len(out), "of": len(key), "file": str(JUDGED.relative_to(ROOT))}))


def figures() -> dict:
    """Fit share before/after on held-out from the labels and the stored blind judgements."""
    rows = {r["id"]: r for r in load("heldout")}
    judged: dict[tuple[str, str], bool] = {}
    if JUDGED.is_file():
        for line in JUDGED.read_text(encoding="utf-8").splitlines():
            if line.strip():
                j = json.loads(line)
                judged[(j["id"], j["spanish"])] = j["fit"]

    def fit(item_id: str, text: str) -> bool | None:
        if text == rows[item_id]["mt"]:
            return bool(rows[item_id]["fit"])
        return judged.get((item_id, text))

    outs = _outputs()
    pairs = [(fit(o["id"], o["before"]), fit(o["id"], o["after"])) for o in outs]
    known = [(b, a) for b, a in pairs if b is not None and a is not None]
    applied = sum(len(o["corrections"]) for o in outs)
    complete = len(known) == len(pairs)
    after_floor = sum(1 for b, a in pairs if a) / len(pairs) if pairs else 0.0  # unjudged count as unfit
    return {
        "heldout": len(outs),
        "fit_labelled": round(sum(r["fit"] for r in rows.values()) / len(rows), 3),
        "judged_pairs": len(known),
        "unjudged": len(pairs) - len(known),
        # Shares over every held-out reply, only once every text has a label or a judgement.
        "fit_before": round(sum(b for b, _ in known) / len(known), 3) if complete and known else None,
        "fit_after": round(sum(a for _, a in known) / len(known), 3) if complete and known else None,
        "fit_after_at_least": round(after_floor, 3),
        "fit_to_unfit": sum(1 for b, a in known if b and not a),
        "unfit_to_fit": sum(1 for b, a in known if a and not b),
        "replies_changed": sum(o["before"] != o["after"] for o in outs),
        # A proxy only, not a judgement: labelled-unfit replies none of whose major/critical error
        # spans is left in the corrected text (a fix can still leave or add other errors).
        "unfit_with_major_spans_gone": sum(1 for o in outs if _spans_gone(rows[o["id"]], o["after"])),
        "corrections_per_100": round(100 * applied / len(outs), 1) if outs else 0.0,
        "confidence_before": round(statistics.mean(o["confidence_before"] for o in outs), 3) if outs else None,
        "confidence_after": round(statistics.mean(o["confidence_after"] for o in outs), 3) if outs else None,
    }


def breakdown() -> None:
    """Per correction: held-out replies it took part in that went unfit → fit and fit → unfit (judged)."""
    rows = {r["id"]: r for r in load("heldout")}
    judged = {}
    if JUDGED.is_file():
        for line in JUDGED.read_text(encoding="utf-8").splitlines():
            if line.strip():
                j = json.loads(line)
                judged[(j["id"], j["spanish"])] = j["fit"]

    def fit(item_id: str, text: str) -> bool | None:
        return bool(rows[item_id]["fit"]) if text == rows[item_id]["mt"] else judged.get((item_id, text))

    per: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for o in _outputs():
        b, a = fit(o["id"], o["before"]), fit(o["id"], o["after"])
        outcome = "unjudged" if b is None or a is None else {(0, 1): "fixed", (1, 0): "broke"}.get((b, a), "same")
        for cid in o["corrections"]:
            per[cid][outcome] += 1
    for cid, c in sorted(per.items(), key=lambda kv: (-kv[1]["broke"], -kv[1]["fixed"], kv[0])):
        print(
            f"{cid:28s} fixed {c['fixed']:3d}  broke {c['broke']:3d}  same {c['same']:3d}  unjudged {c['unjudged']:3d}"
        )
    print(json.dumps({"corrections": len(per), "with_a_break": sum(1 for c in per.values() if c["broke"])}))


def _spans_gone(row: dict, text: str) -> bool:
    spans = [e["span"].casefold() for e in row["errors"] if e["severity"] in ("major", "critical")]
    return not row["fit"] and bool(spans) and text != row["mt"] and not any(s in text.casefold() for s in spans)


def timing(rounds: int) -> dict:
    """Time per message through the pipeline, without and with corrections, alternating rounds."""
    texts = [r["source"] for r in load("heldout")]
    registry, morph, plain, fixed = pipelines()
    per = {"plain": [], "fixed": []}
    try:
        _run(fixed, texts[:20])  # warm the pipelines and the morphology
        _run(plain, texts[:20])
        for n in range(rounds):
            order = [("plain", plain), ("fixed", fixed)] if n % 2 == 0 else [("fixed", fixed), ("plain", plain)]
            for name, p in order:
                for t in texts:
                    start = time.perf_counter()
                    _run(p, [t])
                    per[name].append(time.perf_counter() - start)
    finally:
        registry.close()
        for m in morph.values():
            m.close()
    p50 = {k: statistics.median(v) * 1000 for k, v in per.items()}
    return {
        "ms_per_message_plain": round(p50["plain"], 2),
        "ms_per_message_fixed": round(p50["fixed"], 2),
        "ms_added": round(p50["fixed"] - p50["plain"], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mine", action="store_true")
    ap.add_argument("--translate", action="store_true")
    ap.add_argument("--blind", type=Path)
    ap.add_argument("--collect", type=Path)
    ap.add_argument("--breakdown", action="store_true", help="per correction: replies fixed / broken (judged)")
    ap.add_argument("--build-check", action="store_true", help="build part: replies changed, fit ones touched")
    ap.add_argument("--show", action="store_true", help="with --build-check: print what to read")
    ap.add_argument("--quick", action="store_true", help="figures from stored judgements + 1 timing round")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if args.mine:
        mine()
    elif args.translate:
        translate()
    elif args.blind:
        blind(args.blind)
    elif args.collect:
        collect(args.collect)
    elif args.breakdown:
        breakdown()
    elif args.build_check:
        build_check(args.show)
    else:
        result = figures()
        result.update(timing(1 if args.quick else args.rounds))
        print(json.dumps(result))


if __name__ == "__main__":
    main()
