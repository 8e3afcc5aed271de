"""Secondary checks of the confidence (gateway/confidence.py) on TICO-19 dev and MLQE-PE.

The confidence is calibrated by bench/fit.py on labelled support replies (fit to send); this
bench checks it on two other kinds of data. TICO-19 (the gateway's own translations): Apertium
translates en→es, and es→en back for the round trip. A segment is "bad" when its sentence chrF
against the reference is in the worst quarter *within its decile of source length* (chrF
depends on length; without this, length alone looks useful). We report the AUROC of each
single signal and of the shipped confidence.

MLQE-PE (human direct assessments, translations made elsewhere, no engine here for the pairs):
the engine-free signals only, as POST /v1/quality scores them; Pearson and Spearman of
confidence with z_mean, and precision/recall of needs_review against the worst quarter.

    python bench/calibrate.py --quick      # < 5 min on 2 cores

The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from stats import auroc, pearson, spearman, worst_quarter_by_length  # noqa: E402

from gateway import confidence as conf  # noqa: E402
from gateway.quality import Finding, engine_doubt, measure  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TICO = DATA / "tico19-dev" / "tico19.en-es-419.dev.tsv"
MLQE = DATA / "mlqe-pe" / "direct-assessments-test20"
MLQE_PAIRS = ("en-de", "en-zh", "et-en", "ne-en", "ro-en", "ru-en", "si-en")
FEATURES = (
    "engine_score",
    "round_trip",
    "round_trip_words",
    "generation_errors",
    "length_ratio",
    "source_rarity",
    "output_rarity",
    "foreign_words",
    "unseen_words",
    "untranslated",
    "plainness",
    "word_length",
    "common_words",
    "error_patterns",
)
# ---------------------------------------------------------------- data


def tico(limit: int | None) -> list[tuple[str, str]]:
    with TICO.open(encoding="utf-8") as f:
        rows = [(r["en"], r["es-419"]) for r in csv.DictReader(f, delimiter="\t")]
    return rows[:limit] if limit else rows


def mlqe(pair: str, limit: int | None) -> list[tuple[str, str, float]]:
    folder = MLQE / pair
    path = next(folder.glob("*.tsv"))
    with path.open(encoding="utf-8") as f:
        rows = [
            (r["original"], r["translation"], float(r["z_mean"]))
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]
    return rows[:limit] if limit else rows


def detector_for(languages: list[str]):
    from models.errors import ModelError
    from models.langid import build_detector

    try:
        return build_detector("lingua", languages)
    except ModelError:
        return None


def detected(detector, texts: list[str], candidates: list[str]) -> list[tuple[str | None, float] | None]:
    if detector is None:
        return [None] * len(texts)
    return [(d.lang, d.confidence) for d in detector.detect(texts, candidates)]


# ---------------------------------------------------------------- TICO-19


def tico_features(limit: int | None) -> dict[str, np.ndarray | list]:
    from sacrebleu.metrics import CHRF

    from models.config import load_engine_specs
    from models.registry import EngineRegistry

    rows = tico(limit)
    sources = [s for s, _ in rows]
    registry = EngineRegistry.from_specs(load_engine_specs(ROOT / "gateway" / "defaults" / "engines.toml"))
    try:
        hyps, _ = registry.translate(sources, "en", "es")
        outputs = [h.text for h in hyps]
        backs, _ = registry.translate(outputs, "es", "en")
    finally:
        registry.close()
    detector = detector_for(["en", "es"])
    langs = detected(detector, outputs, ["en", "es"])
    chrf = CHRF()
    quality = np.array([chrf.sentence_score(o, [r]).score for o, (_, r) in zip(outputs, rows, strict=True)])
    length = np.array([len(s) for s in sources], dtype=float)
    found = []
    for s, h, b, lang in zip(sources, hyps, backs, langs, strict=True):
        unknown = int(sum(v for k, v in h.details.items() if k != "words"))
        found.append(
            measure(
                s,
                h.text,
                "en",
                "es",
                engine=engine_doubt(h.score, unknown, int(h.details.get("words", 0))),
                engine_details=h.details,
                back=b.text,
                detected=lang,
                expected_log_ratio=conf.LENGTH_LOG_RATIO[("en", "es")],
            )
        )
    log_ratio = [math.log((len(o.strip()) + 1) / (len(s.strip()) + 1)) for s, o in zip(sources, outputs, strict=True)]
    return {
        "found": found,
        "quality": quality,
        "length": length,
        "log_ratio": np.array(log_ratio),
        "ref_log_ratio": np.array([math.log((len(r) + 1) / (len(s) + 1)) for s, r in rows]),
    }


def matrix(found: list[dict[str, Finding]]) -> np.ndarray:
    return np.array([[f[k].value if k in f else 0.0 for k in FEATURES] for f in found])


def tico_report(data: dict) -> dict:
    bad = worst_quarter_by_length(data["quality"], data["length"])
    found = data["found"]
    x = matrix(found)
    out: dict = {"tico_n": len(found)}
    out["tico_auroc_length"] = round(max(auroc(data["length"], bad), auroc(-data["length"], bad)), 3)
    for i, k in enumerate(FEATURES):
        out[f"tico_auroc_{k}"] = round(auroc(x[:, i], bad), 3)
    shipped = np.array([conf.assess(f).value for f in found])
    out["tico_auroc_shipped"] = round(auroc(-shipped, bad), 3)
    flagged = shipped < conf.review_below("rule")
    out["tico_review_precision"] = round(float((flagged & bad).sum() / max(1, flagged.sum())), 3)
    out["tico_review_recall"] = round(float((flagged & bad).sum() / bad.sum()), 3)
    out["tico_flagged_share"] = round(float(flagged.mean()), 3)
    return out


# ---------------------------------------------------------------- MLQE-PE


def mlqe_report(limit: int | None) -> dict:
    out: dict = {}
    for pair in MLQE_PAIRS:
        src_lang, tgt_lang = pair.split("-")
        rows = mlqe(pair, limit)
        detector = detector_for([src_lang, tgt_lang])
        langs = detected(detector, [t for _, t, _ in rows], [src_lang, tgt_lang])
        scores = np.array(
            [
                conf.assess(
                    measure(
                        s,
                        t,
                        src_lang,
                        tgt_lang,
                        detected=lang,
                        expected_log_ratio=conf.LENGTH_LOG_RATIO.get((src_lang, tgt_lang), 0.0),
                    )
                ).value
                for (s, t, _), lang in zip(rows, langs, strict=True)
            ]
        )
        human = np.array([z for _, _, z in rows])
        worst = human <= np.quantile(human, 0.25)
        flagged = scores < conf.review_below("other")
        out[pair] = {
            "n": len(rows),
            "pearson": round(pearson(scores, human), 3),
            "spearman": round(spearman(scores, human), 3),
            "auroc": round(auroc(-scores, worst), 3),
            "precision": round(float((flagged & worst).sum() / max(1, flagged.sum())), 3),
            "recall": round(float((flagged & worst).sum() / worst.sum()), 3),
            "flagged": round(float(flagged.mean()), 3),
            "detector": detector is not None,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="300 MLQE rows per pair (TICO is always all 971)")
    args = ap.parse_args()
    started = time.monotonic()
    data = tico_features(None)
    result = tico_report(data)
    mlqe_result = mlqe_report(300 if args.quick else None)
    for pair, r in mlqe_result.items():
        print(f"{pair}: {r}", file=sys.stderr)
        for k in ("pearson", "spearman", "auroc", "precision", "recall"):
            result[f"mlqe_{k}_{pair}"] = r[k]
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
