"""The search's candidates as Ray tasks: one task cross-validates one candidate.

The training rows, the validation scheme and the metric are put in the cluster's
object store once per search; each task gets them, its candidate, the seconds it may
use (the search's deadline less what the search keeps back when it starts: the
``reserve``) and the fold times seen so far, and runs the same ``cv.evaluate`` as a
local search. It sends back the run (the fitted fold models travel by Ray's own
serialisation; nothing of them is saved that way — the folder is written by the
driver in native formats) with the progress events it would have emitted.

As many tasks are in flight as the cluster has CPUs. The driver never waits past a
task's deadline (plus :data:`GRACE`): what is still running then is cancelled
(``ray.cancel(force=True)``) and reported as stopped by the time budget. A worker
that dies is retried (:data:`RETRIES`); when the retries are spent, or no node is
left, the search fails with a :class:`~bizforge.errors.ClusterError` naming the
cluster. Every wait has a timeout, so a lost cluster is noticed, never waited on.
"""

from __future__ import annotations

import importlib
import pickle
import time
from collections.abc import Iterable, Iterator
from typing import Any

import ray

from bizforge.cluster.connect import Cluster
from bizforge.train.budget import Budget, CostBook
from bizforge.train.cv import Context
from bizforge.train.executor import Outcome, Terms, TermsFn, attempt
from bizforge.train.portfolio import Candidate

__all__ = ["FIRST_GRACE", "GRACE", "POLL_SECONDS", "RETRIES", "RayExecutor"]

RETRIES = 2  # times Ray reruns a task whose worker or node died
POLL_SECONDS = 1.0  # the driver looks at the cluster's health this often while it waits
WARM_SECONDS = 120.0  # the most a worker may take to start and import bizforge
GRACE = 1.0  # seconds past its deadline a task may take to come back (fits stop at theirs)
# The first candidate may run over by this share of the budget when nothing else has
# finished (a late result beats none; the budget's docstring allows 10%).
FIRST_GRACE = 0.1
STOPPED = "stopped: by the time budget (cancelled on the cluster)"


class RayExecutor:
    """Runs the search's candidates on ``cluster`` (see the module docstring)."""

    name = "ray"

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.submitted = 0
        # Each job gets fresh worker processes, and importing pandas, scikit-learn and
        # LightGBM there takes seconds (16 s on a busy 2-core machine): done now, before
        # the search's clock starts, as part of joining the cluster.
        warming = [_warm.remote() for _ in range(max(1, cluster.cpus()))]
        started = time.monotonic()
        while warming:
            _, warming = ray.wait(warming, num_returns=len(warming), timeout=POLL_SECONDS)
            if warming and time.monotonic() - started > WARM_SECONDS:
                for ref in warming:
                    ray.cancel(ref, force=True)
                raise cluster.lost(f"its workers did not start within {WARM_SECONDS:g} s")
            if warming:
                cluster.check()

    def attempts(self, ctx: Context, jobs: Iterable[tuple[Candidate, dict[str, Any]]],
                 terms: TermsFn) -> Iterator[Outcome]:
        try:
            yield from self._attempts(ctx, jobs, terms)
        except Exception as exc:
            if not _from_ray(exc):
                raise
            raise self.cluster.lost(f"{type(exc).__name__}: {_first_line(exc)}") from None

    def _attempts(self, ctx: Context, jobs: Iterable[tuple[Candidate, dict[str, Any]]],
                  terms: TermsFn) -> Iterator[Outcome]:
        shared = ray.put({"X": ctx.X, "y": ctx.y, "spec": ctx.spec, "scheme": ctx.scheme,
                          "scorer": ctx.scorer, "seed": ctx.seed})
        slots = max(1, self.cluster.cpus())
        jobs = iter(jobs)
        pending: dict[Any, tuple[Candidate, dict[str, Any], Terms]] = {}
        more = True
        try:
            while True:
                while more and len(pending) < slots:
                    job = next(jobs, None)
                    if job is None:
                        more = False
                        break
                    cand, info = job
                    t = terms(cand, len(pending))
                    if ctx.budget.remaining(t.reserve) <= 0 and not t.first:
                        yield Outcome(cand, info, None, "skipped: not enough time left")
                        continue
                    ref = _remote.remote(shared, cand, info, t, _deadline(ctx, t),
                                         ctx.book.seen())
                    self.submitted += 1
                    pending[ref] = (cand, info, t)
                if not pending:
                    return
                ready, _ = ray.wait(list(pending), num_returns=1,
                                    timeout=min(POLL_SECONDS, _next_deadline(ctx, pending)))
                if ready:
                    cand, info, t = pending.pop(ready[0])
                    yield self._outcome(ctx, ready[0], cand, info)
                    continue
                for ref in [r for r, (_, _, t) in pending.items() if _expired(ctx, t)]:
                    cand, info, _ = pending.pop(ref)
                    ray.cancel(ref, force=True)
                    yield Outcome(cand, info, None, STOPPED)
                self.cluster.check()
        finally:
            for ref in pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001, S110 - a lost cluster has nothing to cancel
                    pass

    def _outcome(self, ctx: Context, ref: Any, cand: Candidate,
                 info: dict[str, Any]) -> Outcome:
        try:
            run, reason, error, events, folds = ray.get(ref, timeout=60)
        except ray.exceptions.TaskCancelledError:
            return Outcome(cand, info, None, STOPPED)
        except ray.exceptions.RayTaskError as exc:  # the task itself failed (not its fit)
            cause = exc.cause if isinstance(exc.cause, Exception) else exc
            return Outcome(cand, info, None, f"failed: {type(cause).__name__}: {cause}", cause)
        except ray.exceptions.RayError as exc:
            raise self.cluster.lost(
                f"the worker running candidate '{cand.name}' was lost and its {RETRIES} "
                f"retries too ({type(exc).__name__})") from None
        for backend, seconds in folds.items():
            ctx.book.record_fold(backend, seconds)
        return Outcome(cand, info, run, reason, error, events)


def _from_ray(exc: BaseException) -> bool:
    """Whether ``exc`` is Ray's (or its RPC's) rather than bizforge's own."""
    if isinstance(exc, (ray.exceptions.RayError, ConnectionError)):
        return True
    return type(exc).__module__.split(".")[0] in ("ray", "grpc")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"


def _deadline(ctx: Context, t: Terms) -> float:
    """Wall-clock time (epoch seconds) by which the task must be done."""
    left = ctx.budget.remaining() if t.first else ctx.budget.remaining(t.reserve)
    return time.time() + left


def _left(ctx: Context, t: Terms) -> float:
    """Seconds the driver still waits for a task started on ``t`` (negative: past it)."""
    budget = ctx.budget
    if t.first:  # it may use the whole budget and a little more: a late result beats none
        return budget.seconds * (1 + FIRST_GRACE) + GRACE - budget.elapsed()
    return budget.seconds - t.reserve + GRACE - budget.elapsed()


def _expired(ctx: Context, t: Terms) -> bool:
    return _left(ctx, t) <= 0


def _next_deadline(ctx: Context, pending: dict) -> float:
    """Seconds until the first pending task's deadline passes (at least a little)."""
    return max(0.05, min(_left(ctx, t) for _, _, t in pending.values()))


@ray.remote(num_cpus=1)
def _warm() -> None:
    # Unpickling this function imported the search (this module); the backends'
    # libraries are what is left (their registration imports LightGBM, scikit-learn).
    importlib.import_module("bizforge.models")


@ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=False)
def _remote(shared: dict[str, Any], cand: Candidate, info: dict[str, Any], terms: Terms,
            deadline: float, folds: dict[str, float]):
    """One candidate's cross-validation on a worker: ``(run, reason, error, events, folds)``."""
    events: list[dict[str, Any]] = []
    book = CostBook()
    for backend, seconds in folds.items():
        book.record_fold(backend, seconds)
    budget = Budget(max(0.0, deadline - time.time()))
    ctx = Context(shared["X"], shared["y"], shared["spec"], shared["scheme"], shared["scorer"],
                  budget, shared["seed"], _recorder(events), book)
    outcome = attempt(ctx, cand, info, terms)
    return outcome.run, outcome.reason, _sendable(outcome.error), events, book.seen()


def _recorder(events: list[dict[str, Any]]):
    def emit(event: dict[str, Any]) -> None:
        # elapsed is stamped by the driver's own emit when it replays the event
        events.append({k: v for k, v in event.items() if k != "elapsed"})
    return emit


def _sendable(error: Exception | None) -> Exception | None:
    """The error itself when it survives Ray's serialisation, else its text."""
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - a library's exception that cannot be rebuilt
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
