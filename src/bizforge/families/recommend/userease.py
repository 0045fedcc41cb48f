"""EASE turned around: each user's row predicted from the other users' rows.

Item EASE (:class:`.scorers.EASE`) learns items x items weights; ``userease`` learns
users x users weights ``C`` the same closed-form way, ``C = I - P / diag(P)`` with
``P = (X X' + l2 I)^-1`` on bare occurrences, and scores a known user by ``C[u] X``.
With little regularisation it is a weak model alone but a different one from every
item model, and on random holdouts of play counts it added to their blend
(bench/RESULTS.md, HetRec Last.fm). A user unseen at training time is folded in by the
same ridge regression onto the training users' rows: ``(h X') P X``.

It inverts a users x users matrix and keeps it, so it is tried only up to
:data:`MAX_USERS` users.

>>> import scipy.sparse as sp
>>> from bizforge.families.recommend.scorers import make_scorer
>>> X = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1]], dtype=np.float32))
>>> s = make_scorer("userease", l2=1.0).fit(X).score(np.array([0]), X[:1])
>>> int(np.argmax(s[0, 2:])) + 2  # user 0 is most like user 1, who also chose item 2
2
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bizforge.errors import UsageError
from bizforge.families.recommend.scorers import (
    Scorer,
    _register,
    _sparse_arrays,
    _sparse_from,
    occurrences,
)

__all__ = ["MAX_USERS", "UserEASE"]

MAX_USERS = 5000  # the kept users x users matrix: 100 MB of float32 at 5,000


@_register
class UserEASE(Scorer):
    """Users x users closed-form weights (see the module)."""

    name = "userease"

    def _fit(self, X, seed):
        n_users = X.shape[0]
        if n_users > MAX_USERS:
            raise UsageError(f"userease inverts a {n_users} x {n_users} matrix; more than "
                             f"{MAX_USERS}.", fix="leave userease out for this data.")
        binary = occurrences(X)
        gram = (binary @ binary.T).toarray().astype(np.float64)
        gram[np.diag_indices(n_users)] += float(self.params.get("l2", 10.0))
        P = np.linalg.inv(gram)
        return {"P": P.astype(np.float32), **_sparse_arrays("users", binary)}

    def _users(self) -> sp.csr_matrix:
        if not hasattr(self, "_x"):
            self._x = _sparse_from("users", self.arrays_)
        return self._x

    def score(self, rows, history):
        P, users = self.arrays_["P"], self._users()
        rows = np.asarray(rows)
        weights = np.zeros((len(rows), users.shape[0]), dtype=np.float32)
        known = rows >= 0
        if known.any():  # C[u] = -P[u] / P[u, u], not one's own neighbour
            own = P[rows[known]]
            weights[known] = -own / P[rows[known], rows[known]][:, None]
            weights[np.flatnonzero(known), rows[known]] = 0.0
        if (~known).any():  # ridge regression of the items sent onto the training users
            sent = occurrences(history.tocsr()[np.flatnonzero(~known)].astype(np.float32))
            weights[~known] = np.asarray((sent @ users.T).todense(), dtype=np.float32) @ P
        return np.asarray(users.T @ weights.T, dtype=np.float32).T
