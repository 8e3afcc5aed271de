"""Statistics for the benches, numpy only: ranks, AUROC, correlations, L2 logistic regression."""

from __future__ import annotations

import numpy as np


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
