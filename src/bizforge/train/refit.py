"""Final members: refit on all rows when the budget allows, else keep the fold models.

Why refit: one model per member serves 5x faster and is 5x smaller than a bag
of fold models, which matters for the <= 5 ms single-row target, and it has
seen every row. Each refit trains for the iteration count its folds learnt
(mean ``best_iteration_`` x :data:`REFIT_ITERATION_FACTOR`, the extra rows
deserve a little longer), since there are no validation rows left to stop on.

Why the fallback is safe: the fold models are already fitted and their
out-of-fold predictions are what the ensemble was chosen on, so keeping them
costs nothing. A member keeps them when its refit would not fit the time left,
when the backend cannot say how long to train, when the refit fails, or when
it ran out of budget (a truncated model is worse than the bag). With a holdout
scheme a table backend is refitted on all rows (the 20% held out too) when the
time left allows, for the iterations the holdout chose; the search reserves
that time for its two best candidates (``refit_estimate``). A backend that
reads text is refitted only if it offers ``holdout_refit(n_rows)``: the text
heads refit on all rows at the C chosen on the holdout, for seconds
(embeddings are memoised); a fine-tune's refit would cost a candidate.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bizforge.train.budget import CostBook
from bizforge.train.cv import Context, Run, model_params
from bizforge.train.members import Member

__all__ = [
    "REFIT_ITERATION_FACTOR", "REFIT_SAFETY", "finalise", "refit_estimate", "refit_params",
]

REFIT_ITERATION_FACTOR = 1.1
# Estimates are rough: a refit is started only if 1.3x its estimate fits.
REFIT_SAFETY = 1.3
# Built-in backends: (attribute with the learnt iteration count, parameter that fixes it).
_ITERATIONS = {"lightgbm": ("best_iteration_", "n_estimators"), "mlp": ("best_epoch_", "epochs")}


def finalise(
    ctx: Context, runs: list[Run], weights: np.ndarray, margin: float
) -> tuple[list[Member], dict[str, float]]:
    """Members with weight > 0, heaviest first; returns them and the refit seconds by name."""
    order = sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: -weights[i])
    members, seconds = [], {}
    for i in order:
        run, weight = runs[i], float(weights[i])
        member = Member(
            run.cand.name,
            run.backend,
            dict(run.cand.params),
            run.models,
            run.columns,
            weight=weight,
            problem=ctx.spec.problem,
        )
        params, estimate = _plan(ctx, run)
        left = ctx.budget.remaining(margin)
        if params is not None and estimate < left:
            ctx.emit({"event": "refit_start", "name": run.cand.name, "model": run.backend})
            start = time.perf_counter()
            model = _refit(ctx, run, params, left)
            seconds[run.cand.name] = time.perf_counter() - start
            if model is not None and seconds[run.cand.name] < left:
                member = Member(
                    run.cand.name,
                    run.backend,
                    params,
                    [model],
                    run.columns,
                    weight=weight,
                    refit=True,
                    problem=ctx.spec.problem,
                )
            ctx.emit(
                {
                    "event": "refit_end",
                    "name": run.cand.name,
                    "refit": member.refit,
                    "seconds": seconds[run.cand.name],
                }
            )
        members.append(member)
    return members, seconds


def refit_estimate(ctx: Context, run: Run) -> float | None:
    """Seconds a refit of ``run`` on all rows should take, or None when it is not planned.

    A holdout model of a backend that reads text is not refitted this way (see above).
    """
    if ctx.scheme.kind == "cv":
        return CostBook.refit_seconds(run.fold_seconds, ctx.scheme.k)
    if run.cls.tags.handles_text or not run.fold_seconds:
        return None
    fitted_on = len(ctx.scheme.splits[0][0])
    return run.fold_seconds[0] * len(ctx.X) / max(1, fitted_on)


def _plan(ctx: Context, run: Run) -> tuple[dict[str, Any] | None, float]:
    """(refit parameters or None, estimated seconds x REFIT_SAFETY) of one member."""
    estimate = refit_estimate(ctx, run)
    if estimate is not None:
        return refit_params(run), estimate * REFIT_SAFETY
    # A text backend says what its holdout refit costs (text heads: their features are
    # memoised or cheap, so a refit costs seconds, not a candidate).
    plan = getattr(run.models[0], "holdout_refit", None) if len(run.models) == 1 else None
    got = plan(len(ctx.X)) if callable(plan) else None
    if got is None:
        return None, 0.0
    return {**run.cand.params, **got[0]}, got[1] * REFIT_SAFETY


def _refit(ctx: Context, run: Run, params: dict[str, Any], budget: float) -> Any | None:
    try:
        model = run.cls(ctx.spec.problem, **model_params(params, ctx.spec, ctx.X.size,
                                                          run.cls.tags.handles_text))
        model.fit(ctx.X[run.columns], ctx.y, budget=budget, seed=ctx.seed)
    except Exception:  # noqa: BLE001 - the fold models are a valid fallback
        return None
    # A refit cut short by its budget has fewer iterations than CV chose, or fewer rows.
    short = getattr(model, "n_train_used_", 0) < getattr(model, "n_train_total_", 0)
    return None if getattr(model, "timed_out_", False) or short else model


def refit_params(run: Run) -> dict[str, Any] | None:
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
