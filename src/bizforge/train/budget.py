"""The search's wall-clock budget and the cost estimates it plans with.

The search promises ``wall time <= time_limit`` (the issue allows +10%, which
is kept as slack for estimation error, not planned into). It cannot interrupt
a fit, so it plans:

- each fit receives ``budget=`` seconds (backends stop early and keep the best
  iteration when it runs out);
- a candidate starts only when all its folds, each as cheap as the cheapest
  fold of its backend so far, fit in what is left after the *reserve*; after
  its first fold, its own fold time decides whether the other folds fit;
- the reserve keeps time for the ensemble and for refitting the likely members
  on all rows at the end (refits are optional: a member whose refit no longer
  fits keeps its fold models, which cost nothing more).

The clock is injectable so tests can drive time by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Budget", "CostBook"]


class Budget:
    """Seconds left out of ``seconds``, measured from construction.

    >>> ticks = iter([0.0, 2.5])
    >>> b = Budget(10.0, clock=lambda: next(ticks))
    >>> b.remaining()
    7.5
    """

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.perf_counter):
        self.seconds = float(seconds)
        self.clock = clock
        self.start = clock()

    def elapsed(self) -> float:
        return self.clock() - self.start

    def remaining(self, reserve: float = 0.0) -> float:
        """Seconds left before the deadline, minus ``reserve`` (never negative)."""
        return max(0.0, self.seconds - self.elapsed() - reserve)


class CostBook:
    """Observed fold fit seconds, to estimate what has not run yet.

    ``prior_fold(backend)`` is the cheapest fold seen for a backend times
    ``PRIOR_FACTOR``: a lower bound on a new setting's fold (settings of one
    backend differ a lot in cost), used only to skip a candidate that could not
    finish.
    """

    PRIOR_FACTOR = 1.0

    def __init__(self) -> None:
        self._fold: dict[str, float] = {}

    def record_fold(self, backend: str, seconds: float) -> None:
        self._fold[backend] = min(seconds, self._fold.get(backend, float("inf")))

    def seen(self) -> dict[str, float]:
        """The cheapest fold seen per backend (to hand to a search running elsewhere)."""
        return dict(self._fold)

    def prior_fold(self, backend: str) -> float | None:
        """Expected seconds for one fold of a new candidate of ``backend``, if known."""
        seen = self._fold.get(backend)
        return None if seen is None else seen * self.PRIOR_FACTOR

    @staticmethod
    def refit_seconds(fold_seconds: list[float], k: int) -> float:
        """A refit on all rows: the mean fold fit scaled by the extra rows (k/(k-1)).

        The refit skips early-stopping evaluation, so this errs on the safe side.
        """
        if not fold_seconds:
            return 0.0
        mean = sum(fold_seconds) / len(fold_seconds)
        return mean * (k / (k - 1) if k > 1 else 1.0)
