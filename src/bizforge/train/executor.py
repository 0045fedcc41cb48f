"""Where the search's candidates run: here, one after another, or elsewhere in parallel.

The search hands an executor the candidates to cross-validate, lazily, and reads back
one :class:`Outcome` per candidate; it never asks how they ran. :class:`LocalExecutor`
(the default) evaluates each in this process when the search asks for its result, so
the search plans every candidate with the runs finished so far. A cluster executor
(``bizforge.cluster``, Ray) keeps several in flight and yields them as they finish;
both give outcomes with the same fields, so the leaderboard, the ensemble and the
saved folder are the same kind whichever ran them.

``terms(cand, in_flight)`` is the search's say at the moment a candidate starts: the
seconds to keep back for the ensemble and refits, and whether it is the first (a
first candidate runs to the end; see ``cv.evaluate``).

The executor in force is a context variable, so a caller far up the stack (the
pipeline's ``cluster=`` keyword, the CLI's ``--cluster``) chooses it without every
family passing it down:

>>> with using(LocalExecutor()):
...     current_executor().name
'local'
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from bizforge.train.cv import Context, Run, evaluate
from bizforge.train.portfolio import Candidate

__all__ = ["Executor", "LocalExecutor", "Outcome", "Terms", "current_executor", "using"]


@dataclass(frozen=True)
class Terms:
    """What the search decides when a candidate starts (``cv.evaluate``'s arguments)."""

    reserve: float
    first: bool


@dataclass
class Outcome:
    """One candidate's result: its run, or None with the reason (and the error, if any)."""

    cand: Candidate
    info: dict[str, Any]
    run: Run | None
    reason: str
    error: Exception | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


TermsFn = Callable[[Candidate, int], Terms]


class Executor(Protocol):
    """Runs candidates for the search (see the module docstring)."""

    name: str

    def attempts(self, ctx: Context, jobs: Iterable[tuple[Candidate, dict[str, Any]]],
                 terms: TermsFn) -> Iterator[Outcome]:
        """One outcome per ``(candidate, info)`` taken from ``jobs``; stop taking when closed."""
        ...  # pragma: no cover


class LocalExecutor:
    """Each candidate in this process, when the search asks for its outcome."""

    name = "local"

    def attempts(self, ctx: Context, jobs: Iterable[tuple[Candidate, dict[str, Any]]],
                 terms: TermsFn) -> Iterator[Outcome]:
        for cand, info in jobs:
            yield attempt(ctx, cand, info, terms(cand, 0))


def attempt(ctx: Context, cand: Candidate, info: dict[str, Any], terms: Terms) -> Outcome:
    """Cross-validate ``cand``; a failing backend gives an outcome, never an exception."""
    try:
        run, reason = evaluate(ctx, cand, terms.reserve, info, first=terms.first)
    except Exception as exc:  # noqa: BLE001 - one failing backend must not end the search
        return Outcome(cand, info, None, f"failed: {type(exc).__name__}: {exc}", exc)
    return Outcome(cand, info, run, reason)


_CURRENT: contextvars.ContextVar[Any] = contextvars.ContextVar("bizforge_executor",
                                                               default=None)


def current_executor() -> Executor:
    """The executor chosen by the innermost :func:`using` (default: a LocalExecutor)."""
    return _CURRENT.get() or LocalExecutor()


@contextlib.contextmanager
def using(executor: Executor | None) -> Iterator[Executor | None]:
    """Run the searches inside the ``with`` block on ``executor`` (None: the default)."""
    token = _CURRENT.set(executor)
    try:
        yield executor
    finally:
        _CURRENT.reset(token)
