"""Hierarchies of series (store -> region -> total) and forecast reconciliation.

When a long table has several id columns that nest (every store lies in one
region), or the user asks with ``--reconcile``, the panel is extended with the
aggregates: one series per value of each leading part of the id (``"East|*"``:
region East, all its stores) and the grand total (``"*|*"``). Every node is
forecast; the forecasts are then made *coherent* (each aggregate equals the
sum of its children) by a projection ``reconciled = S @ G @ base``, with ``S``
the summing matrix (nodes x bottom series) and ``G`` one of:

- ``bottom_up``: the bottom series' own forecasts, summed upwards;
- ``ols``: the least-squares projection ``(S'S)^-1 S'`` (every node equally sure);
- ``mint_shrink``: the minimum-trace projection ``(S'W^-1 S)^-1 S'W^-1`` with W the
  covariance of the base forecasts' backtest errors, shrunk towards its diagonal
  (the Schäfer-Strimmer intensity), so noisy nodes count less.

Which one is used is chosen on the rolling-origin backtests (lowest WAPE over
every node), unless the user named one.

>>> import numpy as np
>>> h = Hierarchy.from_ids(["E|1", "E|2", "W|3"], levels=2)
>>> h.nodes
['E|1', 'E|2', 'W|3', 'E|*', 'W|*', '*|*']
>>> reconcile(np.array([[1.0], [2.0], [3.0], [9.0], [9.0], [9.0]]), h, "bottom_up")[:, 0].tolist()
[1.0, 2.0, 3.0, 3.0, 3.0, 6.0]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from bizforge.families.forecast.panel import ID_SEP, Panel

__all__ = ["METHODS", "Hierarchy", "extend_panel", "nests", "projection", "reconcile"]

METHODS = ("bottom_up", "ols", "mint_shrink")
ALL = "*"


@dataclass
class Hierarchy:
    """``nodes``: bottom series first, then the aggregates; ``S`` is (nodes, bottom)."""

    nodes: list[str]
    S: np.ndarray
    n_bottom: int

    @classmethod
    def from_ids(cls, bottom: list[str], levels: int) -> Hierarchy:
        """Aggregates of every leading part of ids made of ``levels`` parts, and the total."""
        parts = [b.split(ID_SEP) for b in bottom]
        nodes, rows = list(bottom), [np.eye(len(bottom))]
        for keep in range(levels - 1, -1, -1):
            keys = [ID_SEP.join(p[:keep] + [ALL] * (levels - keep)) for p in parts]
            uniq = list(dict.fromkeys(keys))
            if keep == levels - 1 and len(uniq) == len(bottom):
                continue  # the last id column adds nothing (one child per parent)
            rows.append(np.array([[k == u for k in keys] for u in uniq], dtype=float))
            nodes += uniq
        return cls(nodes, np.vstack(rows), len(bottom))

    @property
    def aggregates(self) -> list[str]:
        return self.nodes[self.n_bottom:]

def nests(frame, ids: list[str]) -> bool:
    """Whether each id column's values lie under one value of the column before it
    (store 7 is in one region only): the ids form a hierarchy."""
    if len(ids) < 2:
        return False
    for upper, lower in itertools.pairwise(ids):
        if (frame.groupby(lower)[upper].nunique() > 1).any():
            return False
    return True


def extend_panel(panel: Panel, hierarchy: Hierarchy) -> Panel:
    """``panel`` with the aggregates appended (sums of the children; a period is missing
    only where every child is; covariates: the children's mean)."""
    S = hierarchy.S[hierarchy.n_bottom:]
    values = panel.values
    present = (~np.isnan(values)).astype(float)
    sums = S @ np.nan_to_num(values)
    sums[(S @ present) == 0] = np.nan
    covs = {}
    for name, grid in panel.covariates.items():
        counts = S @ (~np.isnan(grid)).astype(float)
        mean = (S @ np.nan_to_num(grid)) / np.where(counts > 0, counts, 1)
        mean[counts == 0] = np.nan
        covs[name] = np.vstack([grid, mean])
    out = Panel(hierarchy.nodes, panel.index, np.vstack([values, sums]), panel.freq, covs,
                panel.findings, panel.id_columns, panel.time_column, panel.target)
    out.future = {k: np.vstack([v, (S @ v) / np.maximum(S.sum(1, keepdims=True), 1)])
                  for k, v in panel.future.items()}
    return out


def _shrunk_covariance(errors: np.ndarray) -> np.ndarray:
    """Covariance of ``errors`` (cells, nodes) shrunk towards its diagonal by the
    Schäfer-Strimmer intensity (estimated from the errors themselves)."""
    e = errors[~np.isnan(errors).any(axis=1)]
    n = e.shape[0]
    if n < 3:
        return np.diag(np.nanvar(errors, axis=0) + 1e-9)
    e = e - e.mean(axis=0)
    cov = e.T @ e / n
    sd = np.sqrt(np.diag(cov)) + 1e-12
    z = e / sd
    corr = z.T @ z / n
    w = np.einsum("ki,kj->kij", z, z)
    var_corr = n / (n - 1) ** 3 * ((w - corr) ** 2).sum(axis=0)
    off = ~np.eye(len(corr), dtype=bool)
    denom = (corr[off] ** 2).sum()
    lam = float(np.clip(var_corr[off].sum() / denom, 0, 1)) if denom > 0 else 1.0
    shrunk = corr * (1 - lam)
    np.fill_diagonal(shrunk, 1.0)
    return shrunk * np.outer(sd, sd)


def projection(hierarchy: Hierarchy, method: str, errors: np.ndarray | None = None
               ) -> np.ndarray:
    """``G`` (bottom, nodes): bottom-level forecasts from all nodes' base forecasts."""
    S, m = hierarchy.S, hierarchy.n_bottom
    if method == "bottom_up":
        return np.hstack([np.eye(m), np.zeros((m, len(S) - m))])
    if method == "ols":
        return np.linalg.solve(S.T @ S, S.T)
    if method == "mint_shrink":
        if errors is None:
            raise ValueError("mint_shrink needs the backtest errors")
        W = _shrunk_covariance(errors) + 1e-9 * np.eye(len(S))
        Winv_S = np.linalg.solve(W, S)
        return np.linalg.solve(S.T @ Winv_S, Winv_S.T)
    raise ValueError(f"unknown reconciliation {method!r}; use one of {', '.join(METHODS)}")


def reconcile(base: np.ndarray, hierarchy: Hierarchy, method: str,
              errors: np.ndarray | None = None, G: np.ndarray | None = None) -> np.ndarray:
    """Coherent forecasts of every node from ``base`` (nodes, horizon)."""
    G = projection(hierarchy, method, errors) if G is None else G
    return hierarchy.S @ (G @ np.nan_to_num(base))
