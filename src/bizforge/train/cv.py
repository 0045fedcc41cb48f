"""Cross-validate one candidate within the time budget: the inner loop of the search.

Each fold's model is fitted with early stopping on that fold's validation rows
and a ``budget`` of seconds; its predictions on those rows fill the candidate's
out-of-fold array. The budget rules are described in ``budget.py``.
"""

from __future__ import annotations

import importlib
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bizforge.models.text_common import TextWarning
from bizforge.tasks.spec import TaskSpec
from bizforge.train.budget import Budget, CostBook
from bizforge.train.members import model_class, text_columns
from bizforge.train.portfolio import Candidate
from bizforge.train.scoring import Scorer
from bizforge.train.validation import Scheme

__all__ = ["SINGLE_THREAD_CELLS", "Context", "Run", "evaluate", "model_params"]

Progress = Callable[[dict[str, Any]], None]

# Tables up to this many cells (rows x columns) are fitted on one thread.
SINGLE_THREAD_CELLS = 2_000_000
# Libraries that take seconds to import, per backend, and a planning estimate of that time.
_HEAVY_IMPORTS = {"mlp": "torch", "embed_linear": "torch", "finetune": "torch"}
IMPORT_SECONDS = 2.0


@dataclass
class Context:
    """What every step of one search shares: data, task, scheme, metric, clock."""

    X: pd.DataFrame
    y: np.ndarray
    spec: TaskSpec
    scheme: Scheme
    scorer: Scorer
    budget: Budget
    seed: int
    emit: Progress
    book: CostBook = field(default_factory=CostBook)


@dataclass
class Run:
    """One candidate's cross-validated fits."""

    cand: Candidate
    cls: type
    columns: list[str]
    oof: np.ndarray
    models: list[Any] = field(default_factory=list)
    fold_seconds: list[float] = field(default_factory=list)
    predict_seconds: float = 0.0
    score: float = float("nan")
    row_cost: float | None = None  # seconds per row on the cost sample (cost.py), if measured

    @property
    def backend(self) -> str:
        return getattr(self.cls, "name", self.cls.__name__)


def evaluate(
    ctx: Context, cand: Candidate, reserve: float, info: dict[str, Any], *, first: bool = False
) -> tuple[Run | None, str]:
    """Cross-validate ``cand``; ``(None, reason)`` when it is skipped or stopped.

    ``reserve``: seconds to leave untouched for the ensemble and refits.
    ``first``: no candidate has finished yet; it then runs to the end (its fits
    get shrinking budgets), because a late result beats none.
    """
    cls = model_class(cand.backend)
    tags = cls.tags
    if ctx.spec.problem not in tags.problems:
        return None, f"skipped: does not do {ctx.spec.problem}"
    if tags.needs_gpu and not _has_gpu():
        return None, "skipped: needs a GPU"
    columns = list(ctx.X.columns)
    if not tags.handles_text:
        text = set(text_columns(ctx.X))
        columns = [c for c in columns if c not in text]
    if not columns:
        return None, "skipped: no columns it can use"
    run = Run(cand, cls, columns, _empty_oof(ctx.spec, len(ctx.X)))
    k, budget = ctx.scheme.k, ctx.budget
    # The prior is the cheapest fold of this backend so far (a lower bound: settings
    # differ a lot in cost); after the first fold, its own time decides the rest.
    prior = ctx.book.prior_fold(run.backend)
    left = budget.remaining(reserve)
    if left <= 0 or (prior is not None and prior * k > left):
        return None, "skipped: not enough time left"
    if not _import_heavy(run.backend, budget, reserve):
        return None, "skipped: not enough time left to load its libraries"
    # The import itself can eat what was left (seconds for torch on a busy machine); a fit
    # started with nothing left is cut at its first step and only spends the reserve.
    if budget.remaining(reserve) <= 0:
        return None, "skipped: not enough time left after loading its libraries"
    ctx.emit({"event": "candidate_start", **info, "model": run.backend})
    Xc, y = ctx.X[columns], ctx.y
    params = model_params(cand.params, ctx.spec, ctx.X.size, tags.handles_text)
    predict_time, predicted = 0.0, 0
    for j, (tr, va) in enumerate(ctx.scheme.splits):
        left = budget.remaining(reserve)
        # The fastest fold excludes one-off costs (warm-up) of the first.
        if j > 0 and not first and min(run.fold_seconds) * (k - j) > left:
            return None, f"stopped: {k - j} folds would not finish in time"
        start = time.perf_counter()
        model = cls(ctx.spec.problem, **params)
        model.fit(
            Xc.iloc[tr], y[tr], valid=(Xc.iloc[va], y[va]), budget=left / (k - j), seed=ctx.seed
        )
        fitted = time.perf_counter()
        with warnings.catch_warnings():
            # Texts cut to length in validation rows are not news: training said so of its own.
            warnings.simplefilter("ignore", TextWarning)
            run.oof[va] = predict_value(model, Xc.iloc[va], ctx.spec)
        done = time.perf_counter()
        run.models.append(model)
        run.fold_seconds.append(done - start)
        predict_time += done - fitted
        predicted += len(va)
        ctx.book.record_fold(run.backend, done - start)
    valid = ctx.scheme.valid_index
    run.score = ctx.scorer(y[valid], run.oof[valid])
    run.predict_seconds = predict_time / max(predicted, 1) * 1000.0
    return run, "ok"


def model_params(params: dict[str, Any], spec: TaskSpec, cells: int,
                 reads_text: bool = False) -> dict[str, Any]:
    """Candidate params plus what the search decides for every backend.

    Small tables train on one thread: starting threads costs more than it saves
    there, and far more on a busy machine, where OpenMP threads that wait by
    spinning made a 0.02 s LightGBM fit take 3 s in our measurements. Not so for
    backends that read text (``reads_text``): a cell is then a whole text, and a
    transformer spends milliseconds on each; they choose their own threads (the
    fine-tune uses the cores that are free).
    """
    out = dict(params)
    if spec.is_classification:
        out.setdefault("n_classes", spec.n_classes)
    if cells <= SINGLE_THREAD_CELLS and not reads_text:
        out.setdefault("n_threads", 1)
    return out


def predict_value(model: Any, X: pd.DataFrame, spec: TaskSpec) -> np.ndarray:
    """Probabilities for classification, values for regression."""
    if spec.is_classification:
        return np.asarray(model.predict_proba(X), dtype="float64")
    return np.asarray(model.predict(X), dtype="float64")


def _empty_oof(spec: TaskSpec, n: int) -> np.ndarray:
    if spec.is_classification:
        return np.zeros((n, spec.n_classes), dtype="float64")
    return np.zeros(n, dtype="float64")


def _import_heavy(backend: str, budget: Budget, reserve: float) -> bool:
    """Import a backend's slow library up front, if it fits in the budget.

    Importing torch takes seconds; done inside the first fit it would blow that
    fit's budget and make the first fold look several times slower than the
    others. False when the import is needed and would not leave time to fit.
    """
    module = _HEAVY_IMPORTS.get(backend)
    if module is None or module in sys.modules:
        return True
    if budget.remaining(reserve) < 2 * IMPORT_SECONDS:
        return False
    importlib.import_module(module)
    return True


def _has_gpu() -> bool:
    torch = sys.modules.get("torch")
    return bool(torch is not None and torch.cuda.is_available())
