"""The candidate recommenders: each scores every item for a batch of users.

A scorer is fitted on a user x item matrix of interaction weights (CSR) and
scores users given their history rows, so one code path serves known users
and users unseen at training time (fold-in). Learned state is a dict of
numpy arrays (saved as safetensors), never a pickle; ``implicit`` models are
kept as their factor arrays.

- ``popularity``: how many users chose each item.
- ``itemknn``: cosine item-item neighbours (``implicit``'s ``CosineRecommender``).
- ``als``: ``implicit`` alternating least squares with confidence ``1 + alpha * w``;
  ``bm25=b`` first reweights ``w`` the way BM25 weighs terms in documents (an item that
  few users chose counts more, a long history counts each item less; ``b`` sets how much
  the history's length matters), the item weights and mean history length kept for fold-in.
- ``bpr``: ``implicit`` Bayesian personalised ranking.
- ``userknn``: users with similar histories (cosine, shrunk towards 0 for short
  overlaps) and what they chose; keeps the binary training matrix.
- ``ease``: the closed-form EASE item-item model (Steck 2019), for catalogues
  of at most :data:`EASE_MAX_ITEMS` items or users (it inverts a square matrix of the fewer);
  ``dropout`` adds emphasised-denoising regularisation (EDLAE, Steck 2020). With fewer
  users than items it is solved in its dual form (a users x users inversion), so it also
  serves large catalogues of a few thousand users.
- ``rp3beta``: three-step random walks item -> user -> item (Paudel et al. 2017), the
  landing item's popularity penalised by ``beta``; sparse (top ``neighbours`` per item),
  so it also serves catalogues too large for EASE.

``ease`` and ``rp3beta`` take ``binary=True``: every interaction then counts 1, whatever
its strength (on play counts and hours this did better than their log-scaled weights).

>>> import scipy.sparse as sp
>>> X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=np.float32))
>>> make_scorer("popularity").fit(X).score(np.array([0]), X[:1]).shape
(1, 3)
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from bizforge.errors import UsageError

__all__ = ["EASE_MAX_ITEMS", "SCORERS", "Scorer", "bm25", "bm25_stats", "make_scorer",
           "occurrences"]

EASE_MAX_ITEMS = 12000
BM25_K1 = 100.0  # how soon a weight saturates (large: a play count keeps adding)
SCORERS: dict[str, type[Scorer]] = {}


def _register(cls):
    SCORERS[cls.name] = cls
    return cls


@contextmanager
def _quiet_implicit():
    # implicit warns about BLAS threads and input formats on stderr; we limit BLAS
    # to one thread ourselves and pass CSR, so its remaining warnings are noise here.
    with warnings.catch_warnings(), threadpool_limits(1, "blas"):
        warnings.filterwarnings("ignore", module="implicit")
        warnings.filterwarnings("ignore", category=RuntimeWarning, message=".*OpenBLAS.*")
        yield


def make_scorer(name: str, **params: Any) -> Scorer:
    """A scorer by name; an unknown name lists the valid ones."""
    if name not in SCORERS:
        raise UsageError(f"unknown recommender '{name}'.", fix=f"use one of: {', '.join(SCORERS)}.")
    return SCORERS[name](**params)


def occurrences(m: sp.spmatrix) -> sp.csr_matrix:
    """A copy of ``m`` (CSR) with every stored interaction counted 1: that it happened."""
    out = m.tocsr(copy=True)
    out.data[:] = 1.0
    return out


class Scorer:
    """Base: ``fit(X) -> self``; ``score(rows, history) -> (n_users, n_items)`` floats.

    ``rows`` holds each user's row in the training matrix, or -1 for a user
    known only by the ``history`` passed (fold-in).
    """

    name: ClassVar[str]
    uses_order: ClassVar[bool] = False  # fitted on the order matrix (see .sequence), not weights

    def __init__(self, **params: Any):
        self.params = params
        self.arrays_: dict[str, np.ndarray] = {}

    def fit(self, X: sp.csr_matrix, seed: int = 0) -> Scorer:
        self.arrays_ = self._fit(self._weights(X.tocsr().astype(np.float32)), seed)
        return self

    def _weights(self, m: sp.csr_matrix) -> sp.csr_matrix:
        """The interaction weights as the model sees them: with ``binary=True`` every
        interaction counts 1 (play counts or hours then only say that it happened)."""
        if not self.params.get("binary"):
            return m
        return occurrences(m)

    def _fit(self, X: sp.csr_matrix, seed: int) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def score(self, rows: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def neighbours(self, item: int) -> np.ndarray | None:
        """Similarity of ``item`` to every item, where the model has one (else None)."""
        return None

    @classmethod
    def from_arrays(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Scorer:
        obj = cls(**params)
        obj.arrays_ = arrays
        return obj


@_register
class Popularity(Scorer):
    name = "popularity"

    def _fit(self, X, seed):
        return {"count": np.asarray((X > 0).sum(axis=0), dtype=np.float32).ravel()}

    def score(self, rows, history):
        return np.tile(self.arrays_["count"], (history.shape[0], 1))


def _sparse_arrays(prefix: str, m: sp.csr_matrix) -> dict[str, np.ndarray]:
    m = m.tocsr()
    return {f"{prefix}_data": m.data.astype(np.float32), f"{prefix}_indices": m.indices.astype(np.int32),
            f"{prefix}_indptr": m.indptr.astype(np.int64),
            f"{prefix}_shape": np.array(m.shape, dtype=np.int64)}


def _sparse_from(prefix: str, arrays: dict[str, np.ndarray]) -> sp.csr_matrix:
    return sp.csr_matrix((arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"],
                          arrays[f"{prefix}_indptr"]), shape=tuple(arrays[f"{prefix}_shape"]))


@_register
class ItemKNN(Scorer):
    name = "itemknn"

    def _fit(self, X, seed):
        from implicit.nearest_neighbours import CosineRecommender

        model = CosineRecommender(K=int(self.params.get("neighbours", 100)), num_threads=1)
        binary = occurrences(X)
        with _quiet_implicit():
            model.fit(binary, show_progress=False)
        return _sparse_arrays("sim", model.similarity)

    def _sim(self) -> sp.csr_matrix:
        if not hasattr(self, "_sim_cache"):
            self._sim_cache = _sparse_from("sim", self.arrays_)
        return self._sim_cache

    def score(self, rows, history):
        return np.asarray((occurrences(history) @ self._sim()).todense(), dtype=np.float32)

    def neighbours(self, item):
        return np.asarray(self._sim()[item].todense(), dtype=np.float32).ravel()


def bm25_stats(m: sp.csr_matrix) -> dict[str, np.ndarray]:
    """What BM25 needs from the training matrix: each item's inverse document frequency
    (log of users over users who chose it, at least 0) and the mean history weight."""
    users = max(1, m.shape[0])
    chose = np.bincount(m.indices, minlength=m.shape[1])
    idf = np.maximum(0.0, np.log(users) - np.log1p(chose))
    return {"bm25_idf": idf.astype(np.float32),
            "bm25_mean": np.array([max(float(m.sum()) / users, 1e-9)], dtype=np.float32)}


def bm25(m: sp.csr_matrix, stats: dict[str, np.ndarray], b: float,
         k1: float = BM25_K1) -> sp.csr_matrix:
    """``m`` with each weight w of a user whose history weighs L replaced by
    ``w (k1 + 1) / (w + k1 (1 - b + b L / mean)) * idf``: BM25's term weighting."""
    out = m.tocsr().astype(np.float32, copy=True)
    length = np.asarray(out.sum(axis=1)).ravel()
    norm = (1.0 - b) + b * length / stats["bm25_mean"][0]
    out.data = (out.data * (k1 + 1.0) / (out.data + k1 * np.repeat(norm, np.diff(out.indptr)))
                * stats["bm25_idf"][out.indices]).astype(np.float32)
    return out


class _Factors(Scorer):
    """Shared by ALS and BPR: users unseen at training time are folded in by one ALS step."""

    defaults: ClassVar[dict[str, float]] = {}

    def _model(self, settings: dict[str, Any], seed: int):
        raise NotImplementedError

    def _fit(self, X, seed):
        # the implicit model's own settings: our defaults, overridden by what was asked
        settings = {key: type(value)(self.params.get(key, value))
                    for key, value in self.defaults.items()}
        stats = bm25_stats(X) if "bm25" in self.params else {}
        if stats:
            X = bm25(X, stats, float(self.params["bm25"]))
        with _quiet_implicit():
            model = self._model(settings, seed)
            model.fit(X, show_progress=False)
        return {"user_factors": np.asarray(model.user_factors, dtype=np.float32),
                "item_factors": np.asarray(model.item_factors, dtype=np.float32), **stats}

    def score(self, rows, history):
        users, items = self.arrays_["user_factors"], self.arrays_["item_factors"]
        known = rows >= 0
        vectors = np.zeros((len(rows), items.shape[1]), dtype=np.float32)
        vectors[known] = users[rows[known]]
        unknown = np.flatnonzero(~known)
        if unknown.size:  # only their histories are read: weigh those alone, per row
            part = history[unknown]
            if "bm25" in self.params:  # weighed as the training users were
                part = bm25(part, self.arrays_, float(self.params["bm25"]))
            for k, j in enumerate(unknown):
                vectors[j] = self.fold_in(part[k])
        return vectors @ items.T

    def fold_in(self, history: sp.csr_matrix) -> np.ndarray:
        """The user vector that best explains ``history`` given the item factors."""
        Y = self.arrays_["item_factors"].astype(np.float64)
        reg = float(self.params.get("regularization", 0.01)) + 1e-3
        alpha = float(self.params.get("alpha", 1.0))
        idx, w = history.indices, history.data.astype(np.float64)
        if len(idx) == 0:
            return np.zeros(Y.shape[1], dtype=np.float32)
        conf = 1.0 + alpha * w
        Yh = Y[idx]
        A = Y.T @ Y + (Yh.T * (conf - 1.0)) @ Yh + reg * np.eye(Y.shape[1])
        b = (Yh * conf[:, None]).sum(axis=0)
        return np.linalg.solve(A, b).astype(np.float32)

    def neighbours(self, item):
        Y = self.arrays_["item_factors"]
        norms = np.linalg.norm(Y, axis=1) + 1e-9
        return (Y @ Y[item]) / (norms * norms[item])


@_register
class ALS(_Factors):
    name = "als"
    defaults: ClassVar[dict[str, float]] = {"factors": 64, "regularization": 0.01,
                                            "alpha": 1.0, "iterations": 15}

    def _model(self, settings, seed):
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(**settings, random_state=seed, num_threads=1)


@_register
class BPR(_Factors):
    name = "bpr"
    defaults: ClassVar[dict[str, float]] = {"factors": 64, "learning_rate": 0.05,
                                            "regularization": 0.01, "iterations": 100}

    def _model(self, settings, seed):
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(**settings, random_state=seed, num_threads=1)


@_register
class EASE(Scorer):
    """EASE. With fewer users than items it is solved in its dual form (the same model):
    by the Woodbury identity ``P = (X'X + L)^-1 = L^-1 - Z' K Z`` with ``Z = X L^-1`` and
    ``K = (I + Z X')^-1``, a users x users inversion; the items x items ``B`` is never
    formed, a user's scores are ``h - (h P) / diag(P)``."""

    name = "ease"

    def _fit(self, X, seed):
        n_users, n = X.shape
        if min(n, n_users) > EASE_MAX_ITEMS:
            raise UsageError(f"EASE inverts a {min(n, n_users)} x {min(n, n_users)} matrix; "
                             f"more than {EASE_MAX_ITEMS}.", fix="leave EASE out for this data.")
        p = float(self.params.get("dropout", 0.0))
        l2 = float(self.params.get("l2", 300.0))
        if n_users < n:
            return self._fit_dual(X, l2, p)
        # float32 halves the inversion's time; l2 keeps the matrix far from singular
        gram = (X.T @ X).toarray().astype(np.float32)
        # emphasised denoising (Steck 2020, EDLAE): dropout p of the inputs regularises each
        # item in proportion to how often it occurs, on top of the flat l2
        gram[np.diag_indices(n)] += np.float32(l2) + np.float32(p / (1.0 - p)) * np.diag(gram)
        P = np.linalg.inv(gram)
        B = -P / np.diag(P)
        np.fill_diagonal(B, 0.0)
        return {"B": B.astype(np.float32)}

    @staticmethod
    def _fit_dual(X, l2, p):
        X = X.astype(np.float64)
        occurs = np.asarray(X.multiply(X).sum(axis=0)).ravel()
        lam = l2 + (p / (1.0 - p)) * occurs  # the diagonal added to X'X, as above
        Z = X @ sp.diags(1.0 / lam)
        K = np.linalg.inv(np.eye(X.shape[0]) + (Z @ X.T).toarray())
        # diag(Z' K Z) from the sparse Z: (Z' K) only where Z' has entries
        zt = Z.T.tocsr()
        diag_p = 1.0 / lam - np.asarray(zt.multiply(zt @ K).sum(axis=1)).ravel()
        return {"K": K.astype(np.float32), "inv_lam": (1.0 / lam).astype(np.float32),
                "diag_p": diag_p.astype(np.float32), **_sparse_arrays("z", Z)}

    def _hp(self, history: sp.csr_matrix) -> np.ndarray:
        """``history @ P`` in the dual form."""
        if not hasattr(self, "_z"):
            self._z = _sparse_from("z", self.arrays_)
        a = self.arrays_
        hl = history.multiply(a["inv_lam"][None, :]).tocsr()
        left = np.asarray((history @ self._z.T).todense()) @ a["K"]  # h Z' K
        return np.asarray(hl.todense()) - np.asarray((self._z.T @ left.T).T)

    def score(self, rows, history):
        history = self._weights(history.tocsr())
        if "B" in self.arrays_:
            return np.asarray(history @ self.arrays_["B"], dtype=np.float32)
        scores = np.asarray(history.todense()) - self._hp(history) / self.arrays_["diag_p"]
        return scores.astype(np.float32)

    def neighbours(self, item):
        if "B" in self.arrays_:
            return self.arrays_["B"][item].copy()
        n = self.arrays_["diag_p"].shape[0]
        unit = sp.csr_matrix((np.ones(1, dtype=np.float32), ([0], [item])), shape=(1, n))
        row = -self._hp(unit).ravel() / self.arrays_["diag_p"]
        row[item] = 0.0
        return row.astype(np.float32)


def _top_per_row(dense: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the k largest positive entries of each row."""
    k = min(k, dense.shape[1])
    cols = np.argpartition(-dense, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(dense, cols, axis=1)
    return cols, vals


@_register
class RP3beta(Scorer):
    name = "rp3beta"
    BLOCK_CELLS = 4e6  # items x items similarities computed per block (memory bound)

    def _fit(self, X, seed):
        alpha = float(self.params.get("alpha", 1.0))
        beta = float(self.params.get("beta", 0.5))
        k = int(self.params.get("neighbours", 200))
        n = X.shape[1]
        user_item = _row_normalised(X)
        item_user = _row_normalised(X.T.tocsr())
        if alpha != 1.0:
            user_item.data **= alpha
            item_user.data **= alpha
        pop = np.asarray((X > 0).sum(axis=0), dtype=np.float64).ravel()
        penalty = np.where(pop > 0, np.power(np.maximum(pop, 1.0), -beta), 0.0)
        block = max(1, int(self.BLOCK_CELLS // max(1, n)))
        rows, cols, vals = [], [], []
        for start in range(0, n, block):
            stop = min(n, start + block)
            dense = (item_user[start:stop] @ user_item).toarray() * penalty[None, :]
            dense[np.arange(stop - start), np.arange(start, stop)] = 0.0
            c, v = _top_per_row(dense, k)
            keep = v > 0
            rows.append(np.repeat(np.arange(start, stop), keep.sum(axis=1)))
            cols.append(c[keep])
            vals.append(v[keep])
        sim = sp.csr_matrix((np.concatenate(vals).astype(np.float32),
                             (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
        return _sparse_arrays("sim", sim)

    def _sim(self) -> sp.csr_matrix:
        if not hasattr(self, "_sim_cache"):
            self._sim_cache = _sparse_from("sim", self.arrays_)
        return self._sim_cache

    def score(self, rows, history):
        return np.asarray((self._weights(history.tocsr()) @ self._sim()).todense(),
                          dtype=np.float32)

    def neighbours(self, item):
        return np.asarray(self._sim()[item].todense(), dtype=np.float32).ravel()


def _row_normalised(m: sp.csr_matrix) -> sp.csr_matrix:
    """Each row divided by its sum (rows of zeros stay zero): a transition matrix."""
    m = m.tocsr().astype(np.float64, copy=True)
    sums = np.asarray(m.sum(axis=1)).ravel()
    m.data /= np.repeat(np.where(sums > 0, sums, 1.0), np.diff(m.indptr))
    return m


@_register
class UserKNN(Scorer):
    """Users like this one (cosine over their histories, shrunk for short overlaps) and what
    they chose; a history sent at request time is compared the same way (no fold-in step)."""

    name = "userknn"

    def _fit(self, X, seed):
        return _sparse_arrays("users", occurrences(X))

    def _users(self) -> tuple[sp.csr_matrix, np.ndarray]:
        if not hasattr(self, "_cache"):
            users = _sparse_from("users", self.arrays_)
            norms = np.sqrt(np.asarray(users.sum(axis=1)).ravel())
            self._cache = (users, norms)
        return self._cache

    CELLS = 1e7  # request users x training users compared at once (memory bound)

    def score(self, rows, history):
        step = max(1, int(self.CELLS // max(1, self._users()[0].shape[0])))
        if len(rows) <= step:
            return self._score(rows, history)
        return np.vstack([self._score(rows[s:s + step], history[s:s + step])
                          for s in range(0, len(rows), step)])

    def _score(self, rows, history):
        users, norms = self._users()
        k = int(self.params.get("neighbours", 50))
        shrink = float(self.params.get("shrink", 10.0))
        binary = occurrences(history.astype(np.float32))
        overlap = np.asarray((binary @ users.T).todense(), dtype=np.float32)
        own = np.sqrt(np.asarray(binary.sum(axis=1)).ravel())
        sims = overlap / (own[:, None] * norms[None, :] + shrink)
        known = rows >= 0
        sims[np.flatnonzero(known), rows[known]] = 0.0  # not one's own neighbour
        k = min(k, sims.shape[1])
        keep = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top = np.zeros_like(sims)
        np.put_along_axis(top, keep, np.take_along_axis(sims, keep, axis=1), axis=1)
        return np.ascontiguousarray((users.T @ top.T).T, dtype=np.float32)
