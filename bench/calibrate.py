"""Calibrate and measure confidence (gateway/confidence.py) on TICO-19 dev and MLQE-PE.

TICO-19 (the gateway's own translations): Apertium translates en→es, and es→en back for the
round trip. A segment is "bad" when its sentence chrF against the reference is in the worst
quarter *within its decile of source length* (chrF depends on length; without this, length
alone looks useful). We report AUROC of each single signal and of the combined confidence,
out-of-fold (5-fold cross-validation of the logistic model), plus the model refitted on all
data (`--fit` prints the constants to copy into gateway/confidence.py).

MLQE-PE (human direct assessments, translations made elsewhere, no engine here for the pairs):
the engine-free signals only, as POST /v1/quality scores them; Pearson and Spearman of
confidence with z_mean, and precision/recall of needs_review against the worst quarter.

    python bench/calibrate.py --quick      # < 5 min on 2 cores
    python bench/calibrate.py --fit        # all data; prints the fitted constants

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

from gateway import confidence as conf  # noqa: E402
from gateway.quality import Finding, engine_doubt, measure  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TICO = DATA / "tico19-dev" / "tico19.en-es-419.dev.tsv"
MLQE = DATA / "mlqe-pe" / "direct-assessments-test20"
MLQE_PAIRS = ("en-de", "en-zh", "et-en", "ne-en", "ro-en", "ru-en", "si-en")
FEATURES = tuple(conf.WEIGHTS)
# Columns whose weight must not be negative (see fit_logistic).
_PROBLEM_NAMES = {
    "engine_score",
    "round_trip",
    "round_trip_words",
    "generation_errors",
    "length_ratio",
    "output_rarity",
    "foreign_words",
    "unseen_words",
    "untranslated",
}
PROBLEMS = frozenset(i for i, k in enumerate(FEATURES) if k in _PROBLEM_NAMES)
# Weights held at a set value rather than fitted. engine_score is the only signal a neural engine
# gives, but on Apertium output foreign_words and unseen_words say the same thing better and its
# fitted weight goes negative; it keeps the weight it had when it was Apertium's only such signal.
HELD = {"engine_score": 1.399}


# ---------------------------------------------------------------- statistics (numpy only)


def ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), 1-based."""
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    sx = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        r[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def auroc(score: np.ndarray, bad: np.ndarray) -> float:
    """P(a bad segment scores higher than a good one), ties counted half (Mann–Whitney)."""
    r = ranks(score)
    n_bad, n_good = int(bad.sum()), int((~bad).sum())
    return float((r[bad].sum() - n_bad * (n_bad + 1) / 2) / (n_bad * n_good))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return pearson(ranks(a), ranks(b))


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float = 1.0,
    keep: frozenset[int] = frozenset(),
    held: dict[int, float] | None = None,
) -> tuple[float, np.ndarray]:
    """Logistic regression; the weights of columns in `keep` may not go below zero, those in `held` are fixed.

    A problem signal (the engine's doubt, a lost round trip) must never *raise* confidence, even
    where a quirk of the data says so: those columns are dropped and the model refitted."""
    held = held or {}
    offset = sum((w * x[:, c] for c, w in held.items()), np.zeros(len(x)))
    active = [c for c in range(x.shape[1]) if c not in held]
    while True:
        b0, w = _newton(x[:, active], y, l2, offset)
        wrong = [c for c, wc in zip(active, w, strict=True) if c in keep and wc < 0]
        if not wrong:
            full = np.zeros(x.shape[1])
            full[active] = w
            for c, wc in held.items():
                full[c] = wc
            return b0, full
        active = [c for c in active if c not in wrong]


def _newton(
    x: np.ndarray, y: np.ndarray, l2: float, offset: np.ndarray | None = None, iters: int = 50
) -> tuple[float, np.ndarray]:
    """Newton's method on the L2-penalised log-likelihood (intercept not penalised), plus a fixed offset."""
    xa = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xa.shape[1])
    penalty = np.full(xa.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xa @ w + (0 if offset is None else offset), -30, 30)))
        grad = xa.T @ (p - y) + penalty * w
        hess = (xa * (p * (1 - p))[:, None]).T @ xa + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), w[1:]


def worst_quarter_by_length(quality: np.ndarray, length: np.ndarray) -> np.ndarray:
    """True for the worst quarter of `quality` within each decile of `length`."""
    bad = np.zeros(len(quality), dtype=bool)
    edges = np.quantile(length, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges, length, side="right") - 1, 0, 9)
    for d in range(10):
        idx = np.flatnonzero(decile == d)
        if len(idx) == 0:
            continue
        k = max(1, round(len(idx) / 4))
        bad[idx[np.argsort(quality[idx], kind="mergesort")[:k]]] = True
    return bad


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
    return np.array([[f[k].value if k in f else conf.MEANS[k] for k in FEATURES] for f in found])


def tico_report(data: dict, folds: int, seed: int = 13) -> dict:
    bad = worst_quarter_by_length(data["quality"], data["length"])
    found = data["found"]
    x = matrix(found)
    out: dict = {"tico_n": len(found)}
    out["tico_auroc_length"] = round(max(auroc(data["length"], bad), auroc(-data["length"], bad)), 3)
    for i, k in enumerate(FEATURES):
        out[f"tico_auroc_{k}"] = round(auroc(x[:, i], bad), 3)
    out["tico_auroc_unknown"] = out["tico_auroc_engine_score"]
    out["tico_auroc_roundtrip"] = out["tico_auroc_round_trip"]
    # Out-of-fold: each segment scored by a model that never saw it, rules applied as at runtime.
    means, scale = x.mean(0), x.std(0) + 1e-9
    z = (x - means) / scale
    # Held weights are in raw units; on the standardised columns they are w · scale.
    held = {FEATURES.index(k): w * scale[FEATURES.index(k)] for k, w in HELD.items() if k in FEATURES}
    perm = np.random.default_rng(seed).permutation(len(x))
    oof = np.empty(len(x))
    for f in range(folds):
        test = perm[f::folds]
        train = np.setdiff1d(perm, test)
        b0, w = fit_logistic(z[train], bad[train].astype(float), keep=PROBLEMS, held=held)
        oof[test] = b0 + z[test] @ w
    rules = np.array([math.prod(s.factor for s in conf.rule_signals(f)) for f in found])
    cv_conf = (1 - 1 / (1 + np.exp(-oof))) * rules
    out["tico_auroc"] = round(auroc(-cv_conf, bad), 3)
    # The constants as shipped, on the same data (in-sample once they were refitted on it).
    shipped = np.array([conf.assess(f).value for f in found])
    out["tico_auroc_shipped"] = round(auroc(-shipped, bad), 3)
    flagged = shipped < conf.REVIEW_BELOW
    out["tico_review_precision"] = round(float((flagged & bad).sum() / max(1, flagged.sum())), 3)
    out["tico_review_recall"] = round(float((flagged & bad).sum() / bad.sum()), 3)
    out["tico_flagged_share"] = round(float(flagged.mean()), 3)
    b0, w = fit_logistic(z, bad.astype(float), keep=PROBLEMS, held=held)
    # Back to raw units: logit = b0 + Σ w_k (x_k − mean_k) / scale_k.
    out["fit"] = {
        "INTERCEPT": round(b0, 3),
        "WEIGHTS": {k: round(float(w[i] / scale[i]), 3) for i, k in enumerate(FEATURES)},
        "MEANS": {k: round(float(means[i]), 3) for i, k in enumerate(FEATURES)},
        "LENGTH_LOG_RATIO_en_es": round(float(np.median(data["ref_log_ratio"])), 3),
        "REVIEW_BELOW_q25": round(float(np.quantile(cv_conf, 0.25)), 3),
        "BANDS_q50_q75": [round(float(np.quantile(shipped, q)), 3) for q in (0.5, 0.75)],
    }
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
        flagged = scores < conf.REVIEW_BELOW
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
    ap.add_argument("--fit", action="store_true", help="print the constants fitted on all TICO data")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    started = time.monotonic()
    data = tico_features(None)
    result = tico_report(data, args.folds)
    fitted = result.pop("fit")
    if args.fit:
        print(json.dumps(fitted, indent=2))
    mlqe_result = mlqe_report(300 if args.quick else None)
    for pair, r in mlqe_result.items():
        print(f"{pair}: {r}", file=sys.stderr)
        for k in ("pearson", "spearman", "auroc", "precision", "recall"):
            result[f"mlqe_{k}_{pair}"] = r[k]
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
