"""search(): try a portfolio of candidates under a time budget, then ensemble them.

The loop reads top to bottom:

1. encode the target, pick the validation scheme (``validation.py``);
2. for each candidate, in portfolio order: fit on every fold with early
   stopping on the fold's validation rows, keep the out-of-fold predictions —
   unless the budget says it cannot finish (``budget.py``);
3. Caruana ensemble selection on the out-of-fold predictions (``ensemble.py``);
4. finalise the members (see :func:`_finalise`).

Final models — refit, with fold models as the fallback. With cross-validation
each chosen member is refitted once on all rows, with the iteration count its
folds learnt (``best_iteration_`` x 1.1): one model per member serves 5x faster
and is 5x smaller than a bag of fold models, which matters for the ≤ 5 ms
single-row target. Time for the refits of the likely members is reserved while
searching; a member whose refit no longer fits the budget (or whose backend
cannot say how long to train without validation rows) keeps its fold models,
which are ready and cost nothing, so the deadline holds either way. With a
holdout the holdout model is kept: on a large table a refit costs as much as
a whole candidate.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError, ModelError
from bizforge.tasks.spec import TaskSpec
from bizforge.train.budget import Budget, CostBook
from bizforge.train.ensemble import DEFAULT_ROUNDS, caruana
from bizforge.train.members import Member, model_class, text_columns
from bizforge.train.portfolio import Candidate, as_candidates, default_candidates
from bizforge.train.result import SearchResult
from bizforge.train.scoring import Scorer, get_scorer
from bizforge.train.validation import Scheme, choose_scheme

__all__ = ["REFIT_ITERATION_FACTOR", "search"]

# More rows at refit than in a fold: train a little longer than the folds' best.
REFIT_ITERATION_FACTOR = 1.1
# Built-in backends: (attribute with the learnt iteration count, parameter that fixes it).
_ITERATIONS = {"lightgbm": ("best_iteration_", "n_estimators"), "mlp": ("best_epoch_", "epochs")}
# Libraries that take seconds to import, per backend, and a planning estimate of that time.
_HEAVY_IMPORTS = {"mlp": "torch"}
IMPORT_SECONDS = 2.0
# Tables up to this many cells (rows x columns) are fitted on one thread.
SINGLE_THREAD_CELLS = 2_000_000
# Estimates are rough: a refit is started only if 1.3x its estimate fits.
REFIT_SAFETY = 1.3

Progress = Callable[[dict[str, Any]], None]


@dataclass
class _Run:
    """One candidate's cross-validated fits."""

    cand: Candidate
    cls: type
    columns: list[str]
    oof: np.ndarray
    models: list[Any] = field(default_factory=list)
    fold_seconds: list[float] = field(default_factory=list)
    predict_seconds: float = 0.0
    score: float = float("nan")

    @property
    def backend(self) -> str:
        return getattr(self.cls, "name", self.cls.__name__)


def search(
    X: pd.DataFrame,
    y: Any,
    spec: TaskSpec,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    metric: str | None = None,
    candidates: list | None = None,
    progress: Progress | None = None,
) -> SearchResult:
    """Fit the candidates within ``time_limit`` seconds and return their ensemble.

    ``X`` is a model frame (the recipe's output); ``y`` the target labels as in
    the data (rows kept by ``spec.keep_mask``). ``candidates``: a list of
    ``(backend, params)`` or ``(backend, params, name)``; default: the portfolio
    for ``spec`` (:func:`bizforge.train.portfolio.default_candidates`).
    ``progress`` receives event dicts (``event`` = search_start, candidate_start,
    candidate_end, ensemble_done, refit_start, refit_end, search_end).

    >>> result = search(X, y, spec, time_limit=30)          # doctest: +SKIP
    >>> result.leaderboard[0]["name"], result.score         # doctest: +SKIP
    ('ensemble', 0.853)
    """
    budget = Budget(time_limit)
    emit = progress or (lambda event: None)
    if not isinstance(X, pd.DataFrame):
        raise DataError(f"X must be a pandas DataFrame, not {type(X).__name__}.")
    if len(X) != len(y):
        raise DataError(
            f"X has {len(X)} rows but the target has {len(y)}.",
            column=spec.target,
            fix="pass the features and the target of the same rows.",
        )
    X = X.reset_index(drop=True)
    y_enc = spec.encode(y)
    scorer = get_scorer(metric or spec.metric, spec.problem)
    scheme = choose_scheme(y_enc, spec.problem, seed=seed)
    cands = (
        as_candidates(candidates) if candidates is not None else default_candidates(spec, X, y_enc)
    )
    valid_index = scheme.valid_index
    book = CostBook()
    runs: list[_Run] = []
    skipped: list[dict[str, Any]] = []
    emit(
        {
            "event": "search_start",
            "scheme": scheme.to_dict(),
            "candidates": len(cands),
            "time_limit": float(time_limit),
            "metric": scorer.name,
        }
    )

    for i, cand in enumerate(cands):
        info = {"name": cand.name, "index": i, "total": len(cands)}
        reserve = _reserve(runs, scheme, scorer, budget, valid_index.size)
        try:
            run, reason = _evaluate(
                cand,
                X,
                y_enc,
                spec,
                scheme,
                scorer,
                budget,
                reserve,
                book,
                seed,
                emit,
                info,
                first=not runs,
            )
        except Exception as exc:  # noqa: BLE001 - one failing backend must not end the search
            run, reason = None, f"failed: {type(exc).__name__}: {exc}"
        if run is None:
            skipped.append(
                {"name": cand.name, "model": _backend_name(cand.backend), "reason": reason}
            )
            emit(
                {
                    "event": "candidate_end",
                    **info,
                    "status": reason.split(":")[0],
                    "reason": reason,
                    "score": None,
                    "seconds": None,
                }
            )
            continue
        runs.append(run)
        emit(
            {
                "event": "candidate_end",
                **info,
                "status": "ok",
                "score": run.score,
                "seconds": sum(run.fold_seconds),
                "model": run.backend,
            }
        )

    if not runs:
        reasons = "; ".join(f"{s['name']}: {s['reason']}" for s in skipped) or "no candidates"
        raise ModelError(
            f"no candidate finished within {time_limit:g} s ({reasons}).",
            fix="raise --time-limit, or check the data problems listed.",
        )

    preds = [r.oof[valid_index] for r in runs]
    y_valid = y_enc[valid_index]
    rounds = _affordable_rounds(preds, y_valid, scorer, budget)
    selection = caruana(preds, y_valid, scorer, rounds=rounds)
    weights = {r.cand.name: float(w) for r, w in zip(runs, selection.weights)}
    emit(
        {
            "event": "ensemble_done",
            "score": selection.score,
            "weights": {k: v for k, v in weights.items() if v > 0},
            "seconds": budget.elapsed(),
        }
    )

    members, refit_seconds = _finalise(
        runs, selection.weights, X, y_enc, spec, scheme, budget, seed, emit
    )
    leaderboard = _leaderboard(
        runs, weights, refit_seconds, members, scorer, selection.score, budget.elapsed()
    )
    emit({"event": "search_end", "seconds": budget.elapsed()})
    return SearchResult(
        spec,
        scorer.name,
        members,
        leaderboard,
        scheme=scheme.to_dict(),
        oof=selection.blend(preds),
        oof_y=y_valid,
        oof_index=valid_index,
        skipped=skipped,
        seconds=budget.elapsed(),
    )


def _evaluate(
    cand: Candidate,
    X: pd.DataFrame,
    y: np.ndarray,
    spec: TaskSpec,
    scheme: Scheme,
    scorer: Scorer,
    budget: Budget,
    reserve: float,
    book: CostBook,
    seed: int,
    emit: Progress,
    info: dict[str, Any],
    first: bool = False,
) -> tuple[_Run | None, str]:
    """Cross-validate one candidate; (None, reason) when it is skipped or stopped."""
    cls = model_class(cand.backend)
    tags = cls.tags
    if spec.problem not in tags.problems:
        return None, f"skipped: does not do {spec.problem}"
    if tags.needs_gpu and not _has_gpu():
        return None, "skipped: needs a GPU"
    columns = list(X.columns)
    if not tags.handles_text:
        text = set(text_columns(X))
        columns = [c for c in columns if c not in text]
    if not columns:
        return None, "skipped: no columns it can use"
    run = _Run(cand, cls, columns, _empty_oof(spec, len(X)))
    k = scheme.k
    # The prior is the cheapest fold of this backend so far (a lower bound: settings
    # differ a lot in cost); after the first fold, its own time decides the rest.
    prior = book.prior_fold(run.backend)
    left = budget.remaining(reserve)
    if left <= 0 or (prior is not None and prior * k > left):
        return None, "skipped: not enough time left"
    if not _import_heavy(run.backend, budget, reserve):
        return None, "skipped: not enough time left to load its libraries"
    emit({"event": "candidate_start", **info, "model": run.backend})
    Xc = X[columns]
    params = _params(cand.params, spec, X.size)
    predict_time, predicted = 0.0, 0
    for j, (tr, va) in enumerate(scheme.splits):
        left = budget.remaining(reserve)
        # The fastest fold so far excludes one-off costs (imports, warm-up) of the first.
        # The first candidate always finishes (its fits get shrinking budgets): a late
        # result beats none.
        if j > 0 and not first and min(run.fold_seconds) * (k - j) > left:
            return None, f"stopped: {k - j} folds would not finish in time"
        start = time.perf_counter()
        model = cls(spec.problem, **params)
        model.fit(Xc.iloc[tr], y[tr], valid=(Xc.iloc[va], y[va]), budget=left / (k - j), seed=seed)
        fitted = time.perf_counter()
        run.oof[va] = _predict(model, Xc.iloc[va], spec)
        done = time.perf_counter()
        run.models.append(model)
        run.fold_seconds.append(done - start)
        predict_time += done - fitted
        predicted += len(va)
        book.record_fold(run.backend, done - start)
    valid_index = scheme.valid_index
    run.score = scorer(y[valid_index], run.oof[valid_index])
    run.predict_seconds = predict_time / max(predicted, 1) * 1000.0
    return run, "ok"


def _finalise(
    runs: list[_Run],
    weights: np.ndarray,
    X: pd.DataFrame,
    y: np.ndarray,
    spec: TaskSpec,
    scheme: Scheme,
    budget: Budget,
    seed: int,
    emit: Progress,
) -> tuple[list[Member], dict[str, float]]:
    """Members with weight > 0, heaviest first: refitted on all rows when time allows."""
    order = sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: -weights[i])
    members, refit_seconds = [], {}
    for i in order:
        run = runs[i]
        member = Member(
            run.cand.name,
            run.backend,
            dict(run.cand.params),
            run.models,
            run.columns,
            weight=float(weights[i]),
            problem=spec.problem,
        )
        refit_params = _refit_params(run) if scheme.kind == "cv" else None
        estimate = CostBook.refit_seconds(run.fold_seconds, scheme.k) * REFIT_SAFETY
        left = budget.remaining(_margin(budget))
        if refit_params is not None and estimate < left:
            emit({"event": "refit_start", "name": run.cand.name, "model": run.backend})
            start = time.perf_counter()
            try:
                model = run.cls(spec.problem, **_params(refit_params, spec, X.size))
                model.fit(X[run.columns], y, budget=left, seed=seed)
            except Exception:  # noqa: BLE001 - the fold models are a valid fallback
                model = None
            refit_seconds[run.cand.name] = time.perf_counter() - start
            # A refit cut short by its budget has fewer iterations than CV chose.
            if getattr(model, "timed_out_", False) or refit_seconds[run.cand.name] >= left:
                model = None
            if model is not None:
                member = Member(
                    run.cand.name,
                    run.backend,
                    refit_params,
                    [model],
                    run.columns,
                    weight=float(weights[i]),
                    refit=True,
                    problem=spec.problem,
                )
            emit(
                {
                    "event": "refit_end",
                    "name": run.cand.name,
                    "refit": member.refit,
                    "seconds": refit_seconds[run.cand.name],
                }
            )
        members.append(member)
    return members, refit_seconds


def _refit_params(run: _Run) -> dict[str, Any] | None:
    """Parameters to train on all rows without validation rows, or None if unknown.

    A backend that early-stops reports how long it trained in the attribute
    named by its class attribute ``iteration_attr`` (default ``best_iteration_``)
    and takes that count back through ``iteration_param``; the built-in ones are
    listed in ``_ITERATIONS``. A backend whose models report no count at all
    does not iterate and is refitted as is.
    """
    attr, param = _ITERATIONS.get(run.backend, ("best_iteration_", None))
    attr = getattr(run.cls, "iteration_attr", None) or attr
    param = getattr(run.cls, "iteration_param", None) or param
    iters = [getattr(m, attr, None) for m in run.models]
    if all(i is None for i in iters):
        return dict(run.cand.params)
    if param is None or any(i is None for i in iters):
        return None
    params = dict(run.cand.params)
    params[param] = max(1, round(float(np.mean(iters)) * REFIT_ITERATION_FACTOR))
    return params


def _reserve(
    runs: list[_Run], scheme: Scheme, scorer: Scorer, budget: Budget, n_valid: int
) -> float:
    """Seconds kept back from the search: a margin, the ensemble and the likely refits."""
    margin = _margin(budget)
    ensemble = 0.01 * budget.seconds
    if scheme.kind != "cv" or not runs:
        return margin + ensemble
    best = sorted(runs, key=lambda r: -scorer.gain(r.score))[:2]
    refits = sum(CostBook.refit_seconds(r.fold_seconds, scheme.k) for r in best)
    return margin + ensemble + refits * REFIT_SAFETY


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


def _margin(budget: Budget) -> float:
    """Slack kept for estimation error and the work after the last fit."""
    return 0.02 * budget.seconds + 0.05


def _affordable_rounds(
    preds: list[np.ndarray], y: np.ndarray, scorer: Scorer, budget: Budget
) -> int:
    """Caruana rounds that fit in a fifth of the time left (at least 1: the best single)."""
    start = time.perf_counter()
    scorer(y, preds[0])
    one = max(time.perf_counter() - start, 1e-6)
    affordable = int(budget.remaining() * 0.2 / (one * len(preds)))
    return max(1, min(DEFAULT_ROUNDS, affordable))


def _leaderboard(
    runs: list[_Run],
    weights: dict[str, float],
    refit_seconds: dict[str, float],
    members: list[Member],
    scorer: Scorer,
    ensemble_score: float,
    seconds: float,
) -> list[dict[str, Any]]:
    refit = {m.name: m.refit for m in members}
    rows = [
        {
            "name": r.cand.name,
            "model": r.backend,
            "params": dict(r.cand.params),
            "score": float(r.score),
            "fit_seconds": float(sum(r.fold_seconds) + refit_seconds.get(r.cand.name, 0.0)),
            "predict_seconds": float(r.predict_seconds),
            "weight": weights[r.cand.name],
            "refit": refit.get(r.cand.name, False),
        }
        for r in runs
    ]
    rows.sort(key=lambda row: -scorer.gain(row["score"]))
    ensemble_row = {
        "name": "ensemble",
        "model": "ensemble",
        "params": {"weights": {k: v for k, v in weights.items() if v > 0}},
        "score": float(ensemble_score),
        "fit_seconds": float(seconds),
        "predict_seconds": float(sum(r["predict_seconds"] for r in rows if r["weight"] > 0)),
        "weight": 1.0,
        "refit": all(m.refit for m in members),
    }
    return [ensemble_row, *rows]


def _params(params: dict[str, Any], spec: TaskSpec, cells: int) -> dict[str, Any]:
    """Candidate params plus what the search decides for every backend.

    Small tables train on one thread: starting threads costs more than it saves
    there, and far more on a busy machine, where OpenMP threads that wait by
    spinning made a 0.02 s LightGBM fit take 3 s in our measurements.
    """
    out = dict(params)
    if spec.is_classification:
        out.setdefault("n_classes", spec.n_classes)
    if cells <= SINGLE_THREAD_CELLS:
        out.setdefault("n_threads", 1)
    return out


def _predict(model: Any, X: pd.DataFrame, spec: TaskSpec) -> np.ndarray:
    if spec.is_classification:
        return np.asarray(model.predict_proba(X), dtype="float64")
    return np.asarray(model.predict(X), dtype="float64")


def _empty_oof(spec: TaskSpec, n: int) -> np.ndarray:
    if spec.is_classification:
        return np.zeros((n, spec.n_classes), dtype="float64")
    return np.zeros(n, dtype="float64")


def _backend_name(backend: Any) -> str:
    return getattr(backend, "name", None) or str(backend)


def _has_gpu() -> bool:
    torch = sys.modules.get("torch")
    return bool(torch is not None and torch.cuda.is_available())
