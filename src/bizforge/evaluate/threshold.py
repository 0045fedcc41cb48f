"""The business threshold: which probability should trigger an action.

A row is flagged positive when ``p_pos >= threshold``. With costs, the
threshold minimises the expected cost on validation (out-of-fold) rows::

    cost = cost_fp * FP + cost_fn * FN - benefit_tp * TP

Without costs it maximises F1 of the positive class, the usual default when
nobody has said what a mistake costs: it balances missed positives against
false alarms instead of assuming the classes are balanced, as 0.5 does.

Every distinct score is a candidate (plus "flag nobody"), evaluated at once
from one sort and cumulative sums, so the choice is exact and O(n log n).
Ties between equally good thresholds go to the highest one (fewest actions).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from bizforge.errors import UsageError

__all__ = [
    "ThresholdChoice",
    "apply_threshold",
    "choose_threshold",
    "confusion_counts",
    "evaluate_threshold",
]

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen threshold and how it compares with the default 0.5.

    ``cost_per_1000`` is the expected cost per 1,000 cases (negative = profit);
    ``None`` when no costs were given. ``counts`` are ``{"tp","fp","tn","fn"}``
    on the rows the choice was made on.
    """

    threshold: float
    criterion: str  # "cost" or "f1"
    n: int
    counts: dict[str, int]
    default_counts: dict[str, int]
    f1: float
    default_f1: float
    cost_fp: float | None = None
    cost_fn: float | None = None
    benefit_tp: float = 0.0
    cost_per_1000: float | None = None
    default_cost_per_1000: float | None = None
    default_threshold: float = DEFAULT_THRESHOLD
    notes: list[str] = field(default_factory=list)
    basis: str = "validation"  # which rows the counts come from: "validation" or "test"

    @property
    def profit_per_1000(self) -> float | None:
        """Expected profit per 1,000 cases (the negated cost)."""
        return None if self.cost_per_1000 is None else -self.cost_per_1000

    @property
    def savings_per_1000(self) -> float | None:
        """How much less the chosen threshold costs than 0.5, per 1,000 cases."""
        if self.cost_per_1000 is None or self.default_cost_per_1000 is None:
            return None
        return self.default_cost_per_1000 - self.cost_per_1000

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["profit_per_1000"] = self.profit_per_1000
        d["savings_per_1000"] = self.savings_per_1000
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ThresholdChoice:
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in names})


def _validate(y_true: Any, p_pos: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    p = np.asarray(p_pos, dtype=np.float64)
    if y.ndim != 1 or p.ndim != 1 or len(y) != len(p) or len(y) == 0:
        raise UsageError(
            f"need two 1-D arrays of the same non-zero length, got shapes {y.shape} and {p.shape}.",
            fix="pass the validation labels (0/1) and the positive-class probabilities.",
        )
    if not np.all(np.isin(y, (0, 1))):
        raise UsageError(
            "labels for the threshold must be 0 (negative) or 1 (positive).",
            fix="compare the encoded target with the positive class index first.",
        )
    if not np.all(np.isfinite(p)) or p.min() < 0.0 or p.max() > 1.0:
        raise UsageError(
            "positive-class probabilities must be numbers between 0 and 1.",
            fix="pass predict_proba(X)[:, positive], not raw scores.",
        )
    return y.astype(np.int64), p


def _validate_costs(cost_fp, cost_fn, benefit_tp) -> bool:
    """True when costs were given; raise UsageError for an unusable combination."""
    if cost_fp is None and cost_fn is None:
        if benefit_tp:
            raise UsageError(
                "--benefit-tp was given without --cost-fp and --cost-fn.",
                fix="give both costs too, e.g. --cost-fp 10 --cost-fn 200 --benefit-tp 50.",
            )
        return False
    if cost_fp is None or cost_fn is None:
        raise UsageError(
            "give both the cost of a false alarm (--cost-fp) and of a miss (--cost-fn).",
            fix="e.g. --cost-fp 10 --cost-fn 200 (the cost of one wrong decision of each kind).",
        )
    for name, value in (("cost-fp", cost_fp), ("cost-fn", cost_fn), ("benefit-tp", benefit_tp)):
        if not np.isfinite(value) or value < 0:
            raise UsageError(
                f"--{name} must be a number >= 0, got {value}.",
                fix="give costs and benefits as positive amounts (money per case).",
            )
    if cost_fp == 0 and cost_fn == 0 and benefit_tp == 0:
        raise UsageError(
            "all costs are zero, so every threshold is equally good.",
            fix="give the cost of a false alarm and of a missed case, "
            "e.g. --cost-fp 10 --cost-fn 200.",
        )
    return True


def apply_threshold(p_pos: Any, threshold: float) -> np.ndarray:
    """1 where ``p_pos >= threshold`` else 0.

    >>> apply_threshold([0.2, 0.5, 0.7], 0.5).tolist()
    [0, 1, 1]
    """
    return (np.asarray(p_pos, dtype=np.float64) >= threshold).astype(np.int64)


def confusion_counts(y_true: Any, p_pos: Any, threshold: float) -> dict[str, int]:
    """``{"tp","fp","tn","fn"}`` when flagging rows with ``p_pos >= threshold``.

    >>> confusion_counts([0, 1, 1], [0.6, 0.4, 0.9], 0.5)
    {'tp': 1, 'fp': 1, 'tn': 0, 'fn': 1}
    """
    y = np.asarray(y_true).astype(bool)
    flag = np.asarray(p_pos, dtype=np.float64) >= threshold
    return {
        "tp": int(np.sum(flag & y)),
        "fp": int(np.sum(flag & ~y)),
        "tn": int(np.sum(~flag & ~y)),
        "fn": int(np.sum(~flag & y)),
    }


def _f1(c: dict[str, int]) -> float:
    denom = 2 * c["tp"] + c["fp"] + c["fn"]
    return 2 * c["tp"] / denom if denom else 0.0


def _cost_per_1000(c: dict[str, int], n: int, cost_fp, cost_fn, benefit_tp) -> float:
    total = cost_fp * c["fp"] + cost_fn * c["fn"] - benefit_tp * c["tp"]
    return 1000.0 * total / n


def choose_threshold(
    y_true: Any,
    p_pos: Any,
    *,
    cost_fp: float | None = None,
    cost_fn: float | None = None,
    benefit_tp: float = 0.0,
    without_costs: str = "f1",
) -> ThresholdChoice:
    """Pick the threshold on validation rows; report it next to the default 0.5.

    ``y_true`` is 0/1 (1 = positive class), ``p_pos`` the positive-class
    probability. Give both ``cost_fp`` and ``cost_fn`` (money per wrong case,
    >= 0; ``benefit_tp`` optional) to minimise expected cost; give neither to
    maximise F1 (``without_costs="f1"``) or keep 0.5 (``without_costs="default"``,
    what training does: with no business costs, 0.5 keeps probabilities and
    labels consistent, and the F1-best threshold is noted for the reader).

    >>> c = choose_threshold([0, 0, 1, 1], [0.1, 0.3, 0.35, 0.8], cost_fp=1, cost_fn=10)
    >>> c.threshold, c.cost_per_1000, c.default_cost_per_1000
    (0.35, 0.0, 2500.0)
    """
    y, p = _validate(y_true, p_pos)
    with_costs = _validate_costs(cost_fp, cost_fn, benefit_tp)
    n = len(y)
    n_pos = int(y.sum())
    n_neg = n - n_pos

    order = np.argsort(-p, kind="mergesort")
    p_sorted = p[order]
    tp_cum = np.cumsum(y[order])
    fp_cum = np.arange(1, n + 1) - tp_cum
    # A threshold equal to a score flags every row with that score, so only the
    # last position of each block of tied scores is a reachable operating point.
    last = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    # Candidate 0 flags nobody: a threshold just above the highest score.
    thresholds = np.r_[np.nextafter(p_sorted[0], np.inf), p_sorted[last]]
    tp = np.r_[0, tp_cum[last]]
    fp = np.r_[0, fp_cum[last]]
    fn = n_pos - tp

    notes: list[str] = []
    if with_costs:
        cost = cost_fp * fp + cost_fn * fn - benefit_tp * tp
        best = int(np.argmin(cost))  # first minimum = highest threshold
        criterion = "cost"
    else:
        criterion = "f1"
        if n_pos == 0:
            notes.append("no positive rows in the validation data; kept the default threshold 0.5.")
            best = -1
        else:
            f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
            best = int(np.argmax(f1))
            if without_costs == "default":
                notes.append(f"no costs given: kept the default threshold 0.5; the F1-best "
                             f"threshold on validation rows would be {thresholds[best]:.3f}.")
                criterion, best = "default", -1
            elif without_costs != "f1":
                raise UsageError(f"without_costs must be 'f1' or 'default', not {without_costs!r}.")

    if best < 0:
        threshold = DEFAULT_THRESHOLD
        counts = confusion_counts(y, p, threshold)
    else:
        threshold = float(thresholds[best])
        counts = {
            "tp": int(tp[best]),
            "fp": int(fp[best]),
            "tn": int(n_neg - fp[best]),
            "fn": int(fn[best]),
        }
    default_counts = confusion_counts(y, p, DEFAULT_THRESHOLD)
    if threshold > p_sorted[0]:
        notes.append("the best decision on these rows is to flag nobody.")
    costs = (cost_fp, cost_fn, benefit_tp)
    return ThresholdChoice(
        threshold=threshold,
        criterion=criterion,
        n=n,
        counts=counts,
        default_counts=default_counts,
        f1=_f1(counts),
        default_f1=_f1(default_counts),
        cost_fp=float(cost_fp) if with_costs else None,
        cost_fn=float(cost_fn) if with_costs else None,
        benefit_tp=float(benefit_tp),
        cost_per_1000=_cost_per_1000(counts, n, *costs) if with_costs else None,
        default_cost_per_1000=_cost_per_1000(default_counts, n, *costs) if with_costs else None,
        notes=notes,
    )


def evaluate_threshold(choice: ThresholdChoice, y_true: Any, p_pos: Any) -> ThresholdChoice:
    """The same threshold and costs measured on other rows (the held-out test set).

    The threshold is chosen on validation rows; this shows what it does on rows
    that played no part in choosing it. ``basis`` becomes ``"test"``.

    >>> c = choose_threshold([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.5], cost_fp=1, cost_fn=4)
    >>> evaluate_threshold(c, [1, 0], [0.45, 0.1]).counts
    {'tp': 1, 'fp': 0, 'tn': 1, 'fn': 0}
    """
    y, p = _validate(y_true, p_pos)
    counts = confusion_counts(y, p, choice.threshold)
    default_counts = confusion_counts(y, p, choice.default_threshold)
    costs = (choice.cost_fp, choice.cost_fn, choice.benefit_tp)
    with_costs = choice.cost_per_1000 is not None
    cost, default_cost = None, None
    if with_costs:
        cost = _cost_per_1000(counts, len(y), *costs)
        default_cost = _cost_per_1000(default_counts, len(y), *costs)
    return replace(
        choice,
        n=len(y),
        counts=counts,
        default_counts=default_counts,
        f1=_f1(counts),
        default_f1=_f1(default_counts),
        cost_per_1000=cost,
        default_cost_per_1000=default_cost,
        notes=[],
        basis="test",
    )
