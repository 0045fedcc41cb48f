"""The linear head of the text backends: logistic regression with C chosen on a holdout.

Fitted with scikit-learn (liblinear for binary, lbfgs multinomial for more classes;
each lbfgs fit of the C walk and the refit starts from the previous solution),
kept as plain arrays: ``coef`` (rows: 1 for binary, else one per class; float32
precision, so a saved and loaded head predicts exactly as the fitted one) and
``intercept``. The design is ``[text features | other columns]``; text features may
be a scipy sparse matrix.

C search (when the ``C`` parameter is None): on a stratified 80/20 holdout of the
training rows, start at ``c_start`` (16 for TF-IDF, 1/16 for standardised embeddings)
and walk up (x4) while the holdout log-loss improves, else down; each step only when
the time left allows it and a refit on all rows.
Then refit on all rows with the best C (or keep the holdout fit when time is short).
When the caller passes validation rows (``valid``: the search's own validation
split, which keeps overlapping texts together), C is chosen on those instead:
every step fits all training rows, so there is no refit. A random holdout of
training rows would score a text set with repeated phrases far too kindly and pick
a C that memorises them.

>>> head, info = fit_head(T, None, y, 2, C=None, weight=None, seed=0,
...                       deadline=None, threads=1)       # doctest: +SKIP
>>> info["C"]                                              # doctest: +SKIP
16.0
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax

__all__ = ["C_START", "LinearHead", "fit_head"]

C_START = 16.0
C_FACTOR = 4.0
C_RANGE = (1.0 / 1024.0, 1024.0)
# Below this many rows, or seconds left, C is not tuned.
MIN_TUNE_ROWS = 60
MIN_TUNE_SECONDS = 2.0
HOLDOUT = 0.2


@dataclass
class LinearHead:
    """Scores ``T @ coef[:, :t].T + S @ coef[:, t:].T + intercept``; binary has one row."""

    coef: np.ndarray
    intercept: np.ndarray
    text_width: int
    n_classes: int

    def scores(self, T, S: np.ndarray | None) -> np.ndarray:
        t = self.text_width
        z = np.asarray(T @ self.coef[:, :t].T, dtype=np.float64)
        if S is not None and S.shape[1]:
            z = z + S @ self.coef[:, t:].T
        return z + self.intercept

    def proba(self, T, S: np.ndarray | None) -> np.ndarray:
        return _to_proba(self.scores(T, S))

    def proba_design(self, D) -> np.ndarray:
        """Probabilities from the whole design matrix ``[T | S]`` at once."""
        return _to_proba(np.asarray(D @ self.coef.T, dtype=np.float64) + self.intercept)

    def design_means(self, T, S: np.ndarray | None) -> np.ndarray:
        """Training means of every design column (centre of the attributions)."""
        mt = np.asarray(T.mean(axis=0), dtype=np.float64).ravel()
        if S is None or not S.shape[1]:
            return mt
        return np.concatenate([mt, S.mean(axis=0)])


def _to_proba(z: np.ndarray) -> np.ndarray:
    if z.shape[1] == 1:
        p1 = expit(z[:, 0])
        return np.column_stack([1.0 - p1, p1])
    return softmax(z, axis=1)


def _design(T, S: np.ndarray | None):
    if S is None or not S.shape[1]:
        return T
    if sp.issparse(T):
        return sp.hstack([T, sp.csr_matrix(S)], format="csr")
    return np.hstack([T, S])


def _fit_lr(D, y, n_classes: int, C: float, weight, seed: int, threads: int,
            warm: dict | None = None) -> tuple:
    """(coef, intercept) of one fit. ``warm``: a dict that carries the last multi-class
    solution from one call to the next, so that a fit at a neighbouring C starts there
    (lbfgs then needs a fraction of the iterations and stops, like a cold start, within
    its tolerance of the same optimum)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    binary = n_classes == 2
    est = LogisticRegression(C=C, solver="liblinear" if binary else "lbfgs",
                             max_iter=200 if binary else 1000, tol=1e-4, random_state=seed)
    # A holdout may lack a class the previous fit had: then the shapes differ, start cold.
    if warm and not binary and np.array_equal(warm["classes"], np.unique(y)):
        est.set_params(warm_start=True)
        est.coef_, est.intercept_ = warm["coef"].copy(), warm["intercept"].copy()
    with warnings.catch_warnings(), threadpool_limits(threads):
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(D, y, sample_weight=weight)
    if warm is not None and not binary:
        warm.update(coef=est.coef_, intercept=est.intercept_, classes=est.classes_)
    coef = est.coef_.astype(np.float64)
    intercept = np.atleast_1d(est.intercept_).astype(np.float64)
    if not binary:
        # Classes absent from these rows get a probability near zero, not an undefined one.
        full = np.zeros((n_classes, coef.shape[1]))
        bias = np.full(n_classes, float(np.min(intercept)) - 10.0)
        full[est.classes_], bias[est.classes_] = coef, intercept
        coef, intercept = full, bias
    # float32 precision is plenty for a linear model and halves the artifact.
    return coef.astype(np.float32).astype(np.float64), intercept


def _log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
    return float(-np.mean(np.log(p)))


def _holdout(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    strat = y if counts[counts > 0].min() >= 2 else None
    idx = np.arange(len(y))
    try:
        tr, va = train_test_split(idx, test_size=HOLDOUT, stratify=strat, random_state=seed)
    except ValueError:  # more classes than holdout rows
        tr, va = train_test_split(idx, test_size=HOLDOUT, random_state=seed)
    if len(np.unique(y[tr])) < 2:
        return None
    return np.sort(tr), np.sort(va)


def fit_head(T, S: np.ndarray | None, y: np.ndarray, n_classes: int, *, C: float | None,
             weight: np.ndarray | None, seed: int, deadline: float | None,
             threads: int, c_start: float = C_START,
             valid: tuple | None = None) -> tuple[LinearHead, dict[str, Any]]:
    """Fit the head on text features ``T`` (+ other columns ``S``); ``(head, info)``.

    ``valid``: ``(T, S, y)`` of validation rows to choose C on, or None (a holdout).
    ``info``: {"C", "tried": {C: holdout log-loss}, "refit": bool, "rows": n,
    "tuned_on": "valid" or "holdout"}.
    """
    D = _design(T, S)
    t = T.shape[1]
    info: dict[str, Any] = {"C": None, "tried": {}, "refit": True, "rows": len(y)}

    def left() -> float:
        return float("inf") if deadline is None else deadline - time.monotonic()

    warm: dict = {}  # each fit starts from the previous one's solution

    def head(C_: float, rows=None) -> tuple[LinearHead, float]:
        start = time.monotonic()
        Dr, yr = (D, y) if rows is None else (D[rows], y[rows])
        wr = weight if weight is None or rows is None else weight[rows]
        coef, intercept = _fit_lr(Dr, yr, n_classes, C_, wr, seed, threads, warm)
        return LinearHead(coef, intercept, t, n_classes), time.monotonic() - start

    tune = C is None and len(y) >= MIN_TUNE_ROWS and left() > MIN_TUNE_SECONDS
    if tune and valid is not None and len(valid[2]) >= MIN_TUNE_ROWS // 4:
        # Every step fits all rows: keep time for one more step (x1.5), no refit.
        info["tuned_on"] = "valid"
        best, _ = _walk(head, None, _design(valid[0], valid[1]), np.asarray(valid[2]), info,
                        left, c_start, margin=1.5)
        return best, info
    split = _holdout(y, seed) if tune else None
    if split is None:
        info["C"] = float(C if C is not None else c_start)
        return head(info["C"])[0], info

    info["tuned_on"] = "holdout"
    tr, va = split
    # One more holdout fit, then the refit on all rows (about 1/(1 - HOLDOUT) as long).
    best, step_seconds = _walk(head, tr, D[va], y[va], info, left, c_start,
                               margin=1.0 + 1.5 / (1.0 - HOLDOUT))
    if left() < step_seconds * 1.5 / (1.0 - HOLDOUT):
        info["refit"], info["rows"] = False, len(tr)
        return best, info
    return head(info["C"])[0], info


def _walk(head, rows, Dva, yva: np.ndarray, info: dict, left, c_start: float,
          margin: float) -> tuple[LinearHead, float]:
    """The C walk: fit on ``rows`` (None: all), score on ``Dva``/``yva``; sets info C/tried.

    A step starts only while ``margin`` times the last step's seconds are left.
    Returns the best head and the seconds of the last step.
    """
    best: tuple[float, float, LinearHead] | None = None  # (loss, C, head)
    step_seconds = 0.0
    for C_ in _c_walk(info["tried"], c_start):
        if best is not None and left() < step_seconds * margin:
            break
        h, step_seconds = head(C_, rows)
        loss = _log_loss(h.proba_design(Dva), yva)
        info["tried"][C_] = loss
        if best is None or loss < best[0]:
            best = (loss, C_, h)
    info["C"] = best[1]
    info["tried"] = {str(k): v for k, v in info["tried"].items()}
    return best[2], step_seconds


def _c_walk(tried: dict[float, float], start: float):
    """C values: ``start``, then up by x4 while the loss improves; down only if up did not help."""
    yield start
    for factor in (C_FACTOR, 1.0 / C_FACTOR):
        C_ = start
        while C_RANGE[0] <= C_ * factor <= C_RANGE[1]:
            C_ *= factor
            yield C_
            if tried[C_] >= tried[C_ / factor]:
                break
        if min(tried, key=tried.get) != start:
            return
