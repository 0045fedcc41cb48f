"""search(): try a portfolio of candidates under a time budget, then ensemble them.

The loop reads top to bottom:

1. encode the target, pick the validation scheme (``validation.py``);
2. for each candidate, in portfolio order, cross-validate it with early
   stopping on each fold's validation rows and keep its out-of-fold
   predictions — unless the budget says it cannot finish (``cv.py``,
   ``budget.py``);
   then, for tables with the default portfolio, more candidates drawn at random
   while time remains and the ensemble still improves (``explore.py``);
3. Caruana ensemble selection on the out-of-fold predictions (``ensemble.py``);
4. refit the chosen members on all rows, or keep their fold models when the
   time left does not allow it (``refit.py`` explains the choice).

Wall time stays within ``time_limit``: time for step 3 and for the refits of
the two best candidates so far is reserved while step 2 runs.

Step 2's candidates run through the executor in force (``executor.py``): here, one
after another, by default; as Ray tasks on a cluster inside
``bizforge.train(..., cluster=...)``. The loop reads the outcomes the same way.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError, ModelError, UsageError
from bizforge.tasks.spec import TaskSpec
from bizforge.train.budget import Budget
from bizforge.train.cost import resolve_limit, row_costs
from bizforge.train.cv import Context, Progress, Run
from bizforge.train.ensemble import DEFAULT_ROUNDS, EnsembleSelection, caruana
from bizforge.train.executor import Outcome, Terms, current_executor
from bizforge.train.explore import explore
from bizforge.train.members import Member, text_columns
from bizforge.train.portfolio import Candidate, as_candidates, default_candidates
from bizforge.train.refit import REFIT_SAFETY, finalise, refit_estimate
from bizforge.train.result import SearchResult
from bizforge.train.scoring import Scorer, get_scorer
from bizforge.train.validation import CV_MAX_ROWS, choose_scheme, text_overlap_groups

TEXT_VALID_ROWS = 2000  # validation rows for text tasks (see choose_scheme)
EXPLORE_ROUNDS = 20  # Caruana rounds when checking whether a new candidate helps
# No drawn candidate may take more than this share of the budget: one slow draw (a wide
# MLP on a large table) would otherwise crowd out the others.
EXPLORE_SHARE = 0.25

__all__ = ["search"]


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
    infer_limit: float | str | None = "auto",
) -> SearchResult:
    """Fit the candidates within ``time_limit`` seconds and return their ensemble.

    ``X`` is a model frame (the recipe's output); ``y`` the target labels as in
    the data, for the rows ``spec.keep_mask`` keeps. ``candidates``: a list of
    ``(backend, params)`` or ``(backend, params, name)``, where backend is a
    registered name or a Model class; default: the portfolio for ``spec``
    (:func:`bizforge.train.portfolio.default_candidates`). ``infer_limit``:
    seconds per row (one thread) the ensemble may cost to predict; "auto" is
    :data:`bizforge.train.cost.TABULAR_INFER_LIMIT` for tables and no limit for
    text, None no limit (``cost.py`` says why). ``progress`` receives
    event dicts whose ``event`` is search_start, candidate_start, candidate_end,
    explore_done, ensemble_done, refit_start, refit_end or search_end, each with ``elapsed``
    (seconds since the search started). Nothing is printed.

    >>> result = search(X, y, spec, time_limit=30)          # doctest: +SKIP
    >>> result.leaderboard[0]["name"], result.score         # doctest: +SKIP
    ('ensemble', 0.853)
    """
    if not time_limit or time_limit <= 0:
        raise UsageError(
            f"the time limit must be a positive number of seconds, not {time_limit!r}.",
            fix="pass e.g. time_limit=60.",
        )
    budget = Budget(time_limit)

    def emit(event: dict[str, Any]) -> None:
        if progress is not None:
            progress({**event, "elapsed": budget.elapsed()})

    X = _check_inputs(X, y, spec)
    y_enc = spec.encode(y)
    scorer = get_scorer(metric or spec.metric, spec.problem)
    # Text backends are costly to refit k times (a fine-tune runs minutes): one holdout.
    text = spec.kind == "text-classification"
    groups, overlapping = _overlap(X) if text else (None, 0)
    scheme = choose_scheme(y_enc, spec.problem, seed=seed, cv_max_rows=0 if text else CV_MAX_ROWS,
                           max_valid_rows=TEXT_VALID_ROWS if text else None, groups=groups,
                           grouped_by=f"overlapping texts ({overlapping} rows are copies or "
                                      f"pieces of others)")
    ctx = Context(X, y_enc, spec, scheme, scorer, budget, seed, emit)
    cands = as_candidates(candidates) if candidates is not None else None
    cands = cands or default_candidates(spec, X, y_enc)
    emit(
        {
            "event": "search_start",
            "scheme": scheme.to_dict(),
            "candidates": len(cands),
            "time_limit": float(time_limit),
            "metric": scorer.name,
        }
    )

    runs: list[Run] = []
    skipped: list[dict[str, Any]] = []
    errors: list[Exception] = []
    executor = current_executor()

    def attempts(jobs, cap: float | None = None):
        """The runs (None: skipped or failed) of ``jobs`` as ``executor`` finishes them."""
        def terms(cand: Candidate, in_flight: int) -> Terms:
            reserve = _reserve(ctx, runs)
            if cap is not None:  # held back from it as extra reserve
                reserve = max(reserve, budget.remaining() - cap)
            return Terms(reserve, first=not runs and not in_flight)

        outcomes = executor.attempts(ctx, jobs, terms)
        try:
            for outcome in outcomes:
                yield _record(ctx, outcome, runs, skipped, errors)
        finally:
            outcomes.close()  # a cluster cancels what is still running

    portfolio = [(cand, {"name": cand.name, "index": i, "total": len(cands)})
                 for i, cand in enumerate(cands)]
    for _ in attempts(portfolio):
        pass
    if not runs:
        _raise_nothing_finished(time_limit, skipped, errors)

    valid_index = scheme.valid_index
    y_valid = y_enc[valid_index]
    limit = resolve_limit(infer_limit, spec)
    explored = None
    if candidates is None and not text:  # a caller's own list is tried as given
        before = len(skipped)
        explored = explore(
            lambda stream: attempts(((cand, {"name": cand.name, "index": len(runs),
                                             "total": None}) for cand in stream),
                                    cap=EXPLORE_SHARE * time_limit),
            lambda: scorer.gain(_select(ctx, runs, y_valid, limit, rounds=EXPLORE_ROUNDS).score),
            lambda: budget.remaining(_reserve(ctx, runs)),
            seed=seed,
        )
        emit({"event": "explore_done", **explored})
        # Draws the budget could not finish are not news (the budget ended them); failures are.
        skipped[before:] = [s for s in skipped[before:] if s["reason"].startswith("failed")]
    preds = [r.oof[valid_index] for r in runs]
    rounds = _affordable_rounds(preds, y_valid, scorer, budget)
    selection = _select(ctx, runs, y_valid, limit, rounds=rounds)
    costs = None if text or len(runs) < 2 else [r.row_cost for r in runs]
    weights = {r.cand.name: float(w) for r, w in zip(runs, selection.weights, strict=True)}
    emit(
        {
            "event": "ensemble_done",
            "score": selection.score,
            "weights": {k: v for k, v in weights.items() if v > 0},
            "seconds": budget.elapsed(),
            "predict_us_per_row": None if costs is None else round(
                1e6 * sum(c for c, w in zip(costs, selection.weights) if w > 0), 2),
        }
    )

    members, refit_seconds = finalise(ctx, runs, selection.weights, _margin(budget))
    board = _leaderboard(
        runs, weights, refit_seconds, members, scorer, selection.score, budget.elapsed()
    )
    if explored is not None:
        board[0]["params"]["explored"] = explored
    emit({"event": "search_end", "seconds": budget.elapsed()})
    return SearchResult(
        spec,
        scorer.name,
        members,
        board,
        scheme=scheme.to_dict(),
        oof=selection.blend(preds),
        oof_y=y_valid,
        oof_index=valid_index,
        skipped=skipped,
        seconds=budget.elapsed(),
    )


def _record(ctx: Context, outcome: Outcome, runs: list[Run],
            skipped: list[dict[str, Any]], errors: list[Exception]) -> Run | None:
    """Keep one candidate's outcome: its run in ``runs`` or, with why, in ``skipped``."""
    for event in outcome.events:  # what it reported where it ran (a cluster's worker)
        ctx.emit(event)
    cand, info, run, reason = outcome.cand, outcome.info, outcome.run, outcome.reason
    if outcome.error is not None:
        errors.append(outcome.error)
    if run is None:
        skipped.append({"name": cand.name, "model": _backend_name(cand.backend), "reason": reason})
        ctx.emit({"event": "candidate_end", **info, "status": reason.split(":")[0],
                  "reason": reason, "score": None, "seconds": None})
        return None
    runs.append(run)
    ctx.emit({"event": "candidate_end", **info, "status": "ok", "score": run.score,
              "seconds": sum(run.fold_seconds), "model": run.backend})
    return run


def _select(ctx: Context, runs: list[Run], y_valid: np.ndarray, limit: float | None,
            *, rounds: int) -> EnsembleSelection:
    """Caruana selection over ``runs``; prediction costs are measured once per run (tables)."""
    valid_index = ctx.scheme.valid_index
    preds = [r.oof[valid_index] for r in runs]
    costs = None
    if ctx.spec.kind != "text-classification" and len(runs) > 1:
        # A text model costs ms per text: too slow to measure here.
        todo = [r for r in runs if r.row_cost is None]
        for run, cost in zip(todo, row_costs(todo, ctx.X, ctx.spec, ctx.seed)):
            run.row_cost = cost
        costs = [r.row_cost for r in runs]
    return caruana(preds, y_valid, ctx.scorer, rounds=rounds, costs=costs, max_cost=limit)


def _overlap(X: pd.DataFrame) -> tuple[np.ndarray | None, int]:
    """Groups of texts that repeat or contain each other, when common (``validation.py``)."""
    cols = text_columns(X)
    if not cols:
        return None, 0
    texts = X[cols[0]].fillna("").astype(str)
    for c in cols[1:]:
        texts = texts + " " + X[c].fillna("").astype(str)
    return text_overlap_groups(texts.tolist())


def _check_inputs(X: Any, y: Any, spec: TaskSpec) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"X must be a pandas DataFrame, not {type(X).__name__}.",
            fix="pass the cleaning recipe's output (a DataFrame).",
        )
    if len(X) != len(y):
        raise DataError(
            f"X has {len(X)} rows but the target has {len(y)}.",
            column=spec.target,
            fix="pass the features and the target of the same rows.",
        )
    if X.shape[1] == 0:
        raise DataError("X has no feature columns.", fix="keep at least one feature column.")
    return X.reset_index(drop=True)


def _raise_nothing_finished(limit: float, skipped: list[dict], errors: list[Exception]) -> None:
    """No candidate finished: the data's own problem if every backend agreed, else why each."""
    if errors and len(errors) == len(skipped) and all(isinstance(e, DataError) for e in errors):
        raise errors[0]
    reasons = "; ".join(f"{s['name']}: {s['reason']}" for s in skipped) or "no candidates"
    raise ModelError(
        f"no candidate finished within {limit:g} s ({reasons}).",
        fix="raise the time limit, or fix the problems listed.",
    )


def _margin(budget: Budget) -> float:
    """Slack kept for estimation error and the work after the last fit."""
    return 0.02 * budget.seconds + 0.05


def _reserve(ctx: Context, runs: list[Run]) -> float:
    """Seconds kept back from the search: margin, ensemble and the likely refits."""
    budget = ctx.budget
    reserve = _margin(budget) + 0.01 * budget.seconds
    best = sorted(runs, key=lambda r: -ctx.scorer.gain(r.score))[:2]
    refits = sum(refit_estimate(ctx, r) or 0.0 for r in best)
    return reserve + refits * REFIT_SAFETY


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
    runs: list[Run],
    weights: dict[str, float],
    refit_seconds: dict[str, float],
    members: list[Member],
    scorer: Scorer,
    ensemble_score: float,
    seconds: float,
) -> list[dict[str, Any]]:
    """Ensemble row first, then candidates best first (scores in the metric's units)."""
    refit = {m.name: m.refit for m in members}
    rows = [
        {
            "name": r.cand.name,
            "model": r.backend,
            "params": dict(r.cand.params),
            "score": float(r.score),
            "fit_seconds": float(sum(r.fold_seconds) + refit_seconds.get(r.cand.name, 0.0)),
            "predict_seconds": float(r.predict_seconds),
            "predict_us_per_row": None if r.row_cost is None else round(1e6 * r.row_cost, 3),
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
        "predict_us_per_row": _summed_cost(rows),
        "weight": 1.0,
        "refit": all(m.refit for m in members),
    }
    return [ensemble_row, *rows]


def _summed_cost(rows: list[dict[str, Any]]) -> float | None:
    costs = [r["predict_us_per_row"] for r in rows if r["weight"] > 0]
    return None if not costs or None in costs else round(sum(costs), 3)


def _backend_name(backend: Any) -> str:
    return getattr(backend, "name", None) or str(backend)
