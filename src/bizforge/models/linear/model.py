"""Logistic regression (binary, multinomial) and ridge regression on one-hot + standardised features.

Fitted with scikit-learn, then kept and saved as plain arrays (coefficients,
intercepts, medians, means, scales, category lists) in ``model.json``; prediction
is numpy arithmetic on those arrays, so a loaded model needs neither a refit nor
a pickled estimator.

>>> m = LinearModel("binary", C=0.5).fit(X, y)          # doctest: +SKIP
>>> m.contributions(X.head(1)).sum(axis=1)              # log-odds  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import expit, softmax

from bizforge.models.base import Model, Tags
from bizforge.models.catalog import register_model
from bizforge.models.preprocess import NumericPrep, one_hot

__all__ = ["LinearModel"]

_PARALLEL_CELLS = 5_000_000
# From this many rows OpenBLAS splits a product over threads that then spin, waiting
# for more work, for a while after it: a LightGBM member predicting next in the same
# ensemble ran at half speed (10,000 churn rows: 118 ms instead of 64). One thread does
# the product of a few dozen columns in well under a millisecond.
_ONE_BLAS_THREAD_ROWS = 1_000
_blas = None


def _one_blas_thread():
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


@register_model("linear")
class LinearModel(Model):
    """Regularised linear model: ``C`` (logistic, inverse strength), ``alpha`` (ridge).

    Numeric columns: median-imputed, standardised, plus a missing indicator where the
    training rows had gaps. Categorical columns: one column per category (``__other__``
    included) plus one for missing.
    """

    tags = Tags(explains=True)
    defaults: ClassVar[dict[str, Any]] = {"C": 1.0, "alpha": 1.0, "max_iter": 2000, "tol": 1e-6}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "default": {},
        "strong": {"C": 0.1, "alpha": 10.0},
        "weak": {"C": 10.0, "alpha": 0.1},
    }

    # -- design matrix -------------------------------------------------------------------

    def _design(self, X: np.ndarray) -> np.ndarray:
        spec = self.spec_
        parts = [self.prep_.transform(X[:, spec.num_idx])]
        if spec.cat_idx:
            parts.append(one_hot(X[:, spec.cat_idx], spec.n_cats))
        return np.hstack(parts) if len(parts) > 1 else parts[0]

    def _groups(self) -> np.ndarray:
        """Design column -> original column position (for contributions)."""
        spec = self.spec_
        groups = list(spec.num_idx) + [spec.num_idx[i] for i in self.prep_.indicators]
        for col, k in zip(spec.cat_idx, spec.n_cats):
            groups += [col] * (k + 1)
        return np.asarray(groups, dtype=np.int64)

    # -- training ------------------------------------------------------------------------

    def _fit(self, X: np.ndarray, y: np.ndarray, valid: tuple | None) -> None:
        from threadpoolctl import threadpool_limits

        self.prep_ = NumericPrep.fit(X[:, self.spec_.num_idx])
        D = self._design(X)
        # BLAS threads on these small matrices mostly wait for each other (17x slower
        # on a busy 2-core machine), so use one unless the design matrix is large.
        threads = self.threads_ if D.size >= _PARALLEL_CELLS else 1
        with threadpool_limits(limits=threads):
            self._solve(D, y)

    def _solve(self, D: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression, Ridge

        p = self.params_
        weight = self._sample_weight(y)
        if self.problem == "regression":
            est = Ridge(alpha=float(p["alpha"]), random_state=self.seed_)
            est.fit(D, y, sample_weight=weight)
            coef = np.atleast_2d(est.coef_).astype(np.float64)
            intercept = np.atleast_1d(est.intercept_).astype(np.float64)
        else:
            est = LogisticRegression(C=float(p["C"]), solver="lbfgs", max_iter=int(p["max_iter"]),
                                     tol=float(p["tol"]), random_state=self.seed_)
            est.fit(D, y, sample_weight=weight)
            coef, intercept = self._full_classes(est.classes_, est.coef_, est.intercept_)
        self.coef_, self.intercept_ = coef, intercept
        self.design_means_ = D.mean(axis=0)
        n_iter = getattr(est, "n_iter_", None)  # Ridge's direct solvers report None
        self.n_iter_ = int(np.max(n_iter)) if n_iter is not None else 0
        self._finish()
        contrib = np.abs(self._contrib_matrix(D))
        imp = contrib.reshape(-1, contrib.shape[-1]).mean(axis=0)[:-1]
        self.feature_importances_ = imp / imp.sum() if imp.sum() > 0 else imp

    def _full_classes(self, classes: np.ndarray, coef: np.ndarray, intercept: np.ndarray):
        """Coefficients for every class 0..k-1, also those absent from the training rows."""
        if self.problem == "binary":
            return coef.astype(np.float64), intercept.astype(np.float64)
        k = self.n_classes_
        full = np.zeros((k, coef.shape[1]))
        # An absent class gets a probability near zero, not an undefined one.
        bias = np.full(k, float(np.min(intercept)) - 10.0)
        full[classes] = coef
        bias[classes] = intercept
        return full, bias

    def _finish(self) -> None:
        self.groups_ = self._groups()
        # (D, p) 0/1 matrix summing design columns per original column.
        self.group_matrix_ = np.zeros((len(self.groups_), self.n_features_in_))
        self.group_matrix_[np.arange(len(self.groups_)), self.groups_] = 1.0

    # -- prediction ----------------------------------------------------------------------

    def _scores(self, X: np.ndarray) -> np.ndarray:
        design = self._design(X)
        if len(design) < _ONE_BLAS_THREAD_ROWS:
            return design @ self.coef_.T + self.intercept_
        with _one_blas_thread():
            return design @ self.coef_.T + self.intercept_

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = self._scores(X)
        if self.problem == "binary":
            p1 = expit(z[:, 0])
            return np.column_stack([1.0 - p1, p1])
        return softmax(z, axis=1)

    def _predict_value(self, X: np.ndarray) -> np.ndarray:
        return self._scores(X)[:, 0]

    def _contrib_matrix(self, D: np.ndarray) -> np.ndarray:
        """Centred attributions: coef * (value - training mean), summed per column; + bias."""
        centred = D - self.design_means_
        bias = self.intercept_ + self.coef_ @ self.design_means_
        n = len(D)
        if self.coef_.shape[0] == 1:
            per_col = (centred * self.coef_[0]) @ self.group_matrix_
            return np.column_stack([per_col, np.full(n, bias[0])])
        per_col = np.einsum("nd,kd,dp->nkp", centred, self.coef_, self.group_matrix_)
        return np.concatenate([per_col, np.broadcast_to(bias, (n, len(bias)))[:, :, None]], axis=2)

    def _contributions(self, X: np.ndarray) -> np.ndarray:
        return self._contrib_matrix(self._design(X))

    # -- persistence ---------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        return {
            "numeric": self.prep_.to_dict(),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_.tolist(),
            "design_means": self.design_means_.tolist(),
            "n_iter": self.n_iter_,
        }

    def _restore(self, state: dict[str, Any], directory) -> None:
        self.prep_ = NumericPrep.from_dict(state["numeric"])
        self.coef_ = np.asarray(state["coef"], dtype=np.float64)
        self.intercept_ = np.asarray(state["intercept"], dtype=np.float64)
        self.design_means_ = np.asarray(state["design_means"], dtype=np.float64)
        self.n_iter_ = state["n_iter"]
        self._finish()
