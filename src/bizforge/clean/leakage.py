"""Target leakage: columns that restate the outcome instead of predicting it.

A column is flagged as leakage (an ``error`` finding: it is dropped before
training unless the user keeps it) only on strong evidence, and every finding
states that evidence. Rules, run on at most 50,000 rows (seeded sample), each
column reported once (in the order a, d, c, b):

(a) **flag group** (binary target): 0/1 (or zero/non-zero) indicator columns,
    each set mostly with the positive class (>= 50% of its rows), whose logical
    OR agrees with the target on >= 99% of rows with >= 90% precision and
    covers >= 90% of the class. Rarer sibling flags that fire at least once with
    the target, more often than its base rate, and keep the agreement join: the
    failure-mode flags of a maintenance log (TWF/HDF/PWF/OSF and the
    random-failure flag RNF of AI4I), each covering a fraction of the failures,
    together nearly all of them.
(b) **single column**: alone it separates the classes almost perfectly. Binary
    target: ROC-AUC >= 0.98 of the value (missing placed lowest or highest) or
    of per-category target rates learned on the other half of the rows
    (cross-fitted, so an id-like column gets ~0.5, not 1.0). Multi-class:
    accuracy >= 0.98 of a cross-fitted one-column lookup (numbers in 20 quantile
    bins) that also cuts the majority-class error rate by 90%. Numeric target:
    |Spearman| >= 0.999 (a near-copy such as a feels-like temperature, 0.994, is
    not leakage; a restated target, in other units or with tax, is at 1.0).
(d) **a pair that adds up to the target** (numeric target): two numeric columns
    whose linear combination, fitted on half of the rows, reproduces the target
    on the other half with R^2 >= 0.999 — the parts of a total (Bikeshare's
    casual + registered riders = all riders). Searched among the 15 columns
    most correlated with the target.
(c) **filled only with the outcome**: the column is filled (or a 0/1 flag set)
    on rows of which >= 98% have one class, covering >= 90% of that class, and
    empty on the rest — a cancellation date, a refund reason (free text too).

What is *not* leakage, however strong: a rare value whose rows all share one
class (a 4-product tier where all 47 customers left, a region with a handful of
customers). Columns with at most 10 values get a **strong signal** finding for
such a value instead — ``info`` for a multi-valued column, ``warning`` for a
0/1 flag covering >= 20% of the class (it may be recorded with the outcome:
check) — and stay in the model.

Identifiers, constant and empty columns are not tested, nor columns holding
personal data (a value could end up in a message); free text only by rule (c).

>>> from bizforge.clean.leakage_stats import roc_auc
>>> import numpy as np
>>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom

from bizforge.clean import leakage_stats as st
from bizforge.clean.findings import Context, Finding
from bizforge.frame import Role
from bizforge.i18n import pct

__all__ = ["MAX_ROWS", "find_leakage"]

MAX_ROWS = 50_000
AUC_MIN = 0.98
ACC_MIN = 0.98
RANK_CORR_MIN = 0.999  # near-copies (career hits vs runs: 0.991) are honest
GROUP_AGREE_MIN = 0.99
GROUP_PR_MIN = 0.90
PAIR_R2_MIN = 0.999
PAIR_TOP = 15
FILLED_PRECISION = 0.98
FILLED_COVER = 0.90
SIGNAL_PRECISION = 0.95
SIGNAL_SUPPORT = 5
SIGNAL_P_VALUE = 1e-6
SIGNAL_MAX_LEVELS = 10
SIGNAL_FLAG_COVER = 0.20


def find_leakage(ctx: Context) -> list[Finding]:
    """Leakage and strong-signal findings for ``ctx.target`` (empty without a target)."""
    if ctx.target is None or ctx.classes is None and ctx.numbers(ctx.target) is None:
        return []
    frame = ctx.frame[ctx.frame[ctx.target].notna()]
    if len(frame) > MAX_ROWS:
        frame = frame.sample(MAX_ROWS, random_state=0).sort_index()
    if len(frame) < 2 * SIGNAL_SUPPORT:
        return []
    # The target as strings (classes) and as 0/1 (binary), computed once for every column.
    y = frame[ctx.target].astype(str).to_numpy() if ctx.classes is not None else None
    cols = _candidates(ctx)
    found: dict[str, Finding] = {}
    y01 = None
    if ctx.classes is not None and len(ctx.classes) == 2:
        y01, positive = st.binary_target(frame[ctx.target], ctx.classes)
        for f in _group(ctx, frame, y01, positive, [c for c in cols if _tested(ctx, c)]):
            found.setdefault(f.column, f)
    if ctx.classes is None:
        for f in _pair(ctx, frame, [c for c in cols if _tested(ctx, c)]):
            found.setdefault(f.column, f)
    for col in cols:
        if col in found:
            continue
        # The filled rule first: its evidence (rows, share of the class) says more.
        f = _filled(ctx, frame, y, col) if y is not None else None
        if f is None and _tested(ctx, col):
            f = _single(ctx, frame, y, y01, col)
            if f is None and y is not None:
                f = _signal(ctx, frame, y, col)
        if f is not None:
            found[col] = f
    return [found[c] for c in cols if c in found]


def _candidates(ctx: Context) -> list[str]:
    skip = {Role.ID, Role.CONSTANT, Role.EMPTY}
    return [
        info.name
        for info in ctx.schema
        if info.name != ctx.target
        and info.role not in skip
        and info.name not in ctx.pii  # never echo a value that may be personal data
    ]


def _tested(ctx: Context, col: str) -> bool:
    """Free text is only tested for being filled with the outcome (rule c)."""
    return ctx.schema[col].role != Role.TEXT


def _numeric(ctx: Context, frame: pd.DataFrame, col: str) -> np.ndarray | None:
    info = ctx.schema[col]
    series = frame[col]
    if info.role == Role.DATETIME and pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = series.to_numpy(dtype="datetime64[ns]")
        out = stamps.astype("int64").astype("float64")
        out[np.isnat(stamps)] = np.nan
        return out
    values = ctx.numbers(col)
    if values is None:
        return None
    return values.loc[frame.index].to_numpy(dtype="float64")


def _leak(ctx: Context, col: str, key: str, fix: str, count: int, rows: list[int],
          **kw) -> Finding:
    message = ctx.t(key, column=col, target=ctx.target, **kw)
    return Finding(col, "leakage", "error", message, ctx.t(fix, column=col), count, rows)


# -- (b) single column ----------------------------------------------------------------
def _single(ctx: Context, frame: pd.DataFrame, y: np.ndarray | None, y01: np.ndarray | None,
            col: str) -> Finding | None:
    x = _numeric(ctx, frame, col)
    levels, labels = st.codes(frame[col])
    few_levels = len(labels) <= 50
    if ctx.classes is None:
        if x is None:
            return None
        yv = ctx.numbers(ctx.target)
        pair = pd.DataFrame({"x": x, "y": yv.loc[frame.index].to_numpy()}).dropna()
        if len(pair) < 10 or pair["x"].nunique() < 2:
            return None
        score = abs(pair["x"].rank().corr(pair["y"].rank()))
        return _single_finding(ctx, col, "metric.rank_corr", score, RANK_CORR_MIN, len(pair))
    if y01 is not None:
        score = st.numeric_auc(x, y01) if x is not None else 0.0
        if x is None or few_levels:
            score = max(score, st.roc_auc(y01, st.crossfit_rate(levels, y01)))
        return _single_finding(ctx, col, "metric.auc", score, AUC_MIN, len(frame))
    if x is not None and not few_levels:
        binned = pd.qcut(pd.Series(x), 20, duplicates="drop").astype(str).to_numpy()
        levels = np.where(np.isnan(x), "(missing)", binned)
    acc = st.crossfit_accuracy(levels, y)
    majority_err = 1 - ctx.classes.max() / ctx.classes.sum()
    if (1 - acc) > 0.1 * majority_err:
        return None
    return _single_finding(ctx, col, "metric.accuracy", acc, ACC_MIN, len(frame))


def _single_finding(ctx, col, metric, score, threshold, n) -> Finding | None:
    if not np.isfinite(score) or score < threshold:
        return None
    return _leak(ctx, col, "leakage.single", "leakage.fix", ctx.rows_total, [],
                 metric=ctx.t(metric), score=f"{score:.3f}", n=f"{n:,}",
                 threshold=f"{threshold:g}")


# -- (c) filled only with the outcome -------------------------------------------------
def _indicator(ctx: Context, frame: pd.DataFrame, col: str) -> tuple[np.ndarray, str]:
    """(row is "on", which state that is): set for a 0/1 flag, filled for anything else."""
    flag = _flag(ctx, frame, col)
    if flag is not None:
        return flag, "set"
    series = frame[col]
    filled = series.notna().to_numpy()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        filled = filled & series.astype(str).str.strip().ne("").to_numpy()
    return filled, "filled"


def _filled(ctx: Context, frame: pd.DataFrame, yv: np.ndarray, col: str) -> Finding | None:
    on, state = _indicator(ctx, frame, col)
    n = len(yv)
    for cls, total in ctx.classes.items():
        share = total / ctx.classes.sum()
        if share > 0.5:
            continue
        is_cls = yv == str(cls)
        for side, word in ((on, state), (~on, f"not_{state}")):
            support, hits = int(side.sum()), int((side & is_cls).sum())
            if support == 0 or support == n:
                continue
            cover = hits / max(1, int(is_cls.sum()))
            if hits / support >= FILLED_PRECISION and cover >= FILLED_COVER:
                rows = ctx.rows(frame.index[np.flatnonzero(side)])
                return _leak(ctx, col, "leakage.filled", "leakage.fix", support, rows,
                             state=ctx.t(f"leakage.state.{word}"), support=f"{support:,}",
                             hits=f"{hits:,}", precision=pct(hits / support), cls=cls,
                             cover=pct(cover))
    return None


# -- strong signal on few rows (kept) ---------------------------------------------------
def _signal(ctx: Context, frame: pd.DataFrame, yv: np.ndarray, col: str) -> Finding | None:
    level, labels = st.codes(frame[col])
    if len(labels) > SIGNAL_MAX_LEVELS:
        return None
    best = None
    for cls, total in ctx.classes.items():
        share = total / ctx.classes.sum()
        if share > 0.5:
            continue
        table = pd.crosstab(level, yv == str(cls))
        if True not in table.columns:
            continue
        for value, row in table.iterrows():
            support, hits = int(row.sum()), int(row[True])
            if support < SIGNAL_SUPPORT or hits / support < SIGNAL_PRECISION:
                continue
            if binom.sf(hits - 1, support, share) >= SIGNAL_P_VALUE:
                continue
            if best is None or hits > best[3]:
                best = (value, cls, support, hits, hits / total)
    if best is None:
        return None
    value, cls, support, hits, cover = best
    flag = _flag(ctx, frame, col) is not None
    severity = "warning" if flag and cover >= SIGNAL_FLAG_COVER else "info"
    rows = ctx.rows(frame.index[np.flatnonzero(level == value)])
    message = ctx.t(f"strong_signal.{severity}", column=col, value=st.short(labels[value]),
                    support=f"{support:,}", hits=f"{hits:,}", precision=pct(hits / support),
                    target=ctx.target, cls=cls, cover=pct(cover))
    return Finding(col, "strong_signal", severity, message,
                   ctx.t(f"strong_signal.fix_{severity}", column=col), support, rows)


# -- (d) a pair that adds up to the target ------------------------------------------
def _pair(ctx: Context, frame: pd.DataFrame, cols: list[str]) -> list[Finding]:
    yv = ctx.numbers(ctx.target)
    if yv is None:
        return []
    series = {c: x for c in cols if (x := _numeric(ctx, frame, c)) is not None}
    if len(series) < 2:
        return []
    y = yv.loc[frame.index].to_numpy(dtype="float64")
    data = pd.DataFrame(series).assign(__y=y).dropna()
    if len(data) < max(20, 0.5 * len(frame)):
        return []
    target = data.pop("__y").to_numpy()
    corr = data.corrwith(pd.Series(target, index=data.index)).abs().fillna(0.0)
    top = list(corr.sort_values(ascending=False).index[:PAIR_TOP])
    A = np.column_stack([np.ones(len(data)), data[top].to_numpy()])
    half = np.random.default_rng(0).permutation(len(data)) % 2 == 0
    fit, test = A[half], A[~half]
    gram, cross = fit.T @ fit, fit.T @ target[half]
    yt = target[~half]
    total = float(((yt - yt.mean()) ** 2).sum())
    if total <= 0:
        return []
    def r2(idx: list[int]) -> float:
        try:
            w = np.linalg.solve(gram[np.ix_(idx, idx)], cross[idx])
        except np.linalg.LinAlgError:
            return -np.inf
        return 1 - float(((yt - test[:, idx] @ w) ** 2).sum()) / total

    # A column that is enough alone is the single-column rule's, not a pair's.
    alone = [r2([0, i]) < PAIR_R2_MIN for i in range(1, len(top) + 1)]
    best = None
    for i in range(1, len(top) + 1):
        for j in range(i + 1, len(top) + 1):
            if not (alone[i - 1] and alone[j - 1]):
                continue
            score = r2([0, i, j])
            if score >= PAIR_R2_MIN and (best is None or score > best[2]):
                best = (top[i - 1], top[j - 1], score)
    if best is None:
        return []
    a, b, score = best
    return [_leak(ctx, col, "leakage.pair", "leakage.fix", len(data), [], other=other,
                  r2=f"{score:.4f}", n=f"{int((~half).sum()):,}")
            for col, other in ((a, b), (b, a))]


# -- (a) flag group -------------------------------------------------------------------
def _flag(ctx: Context, frame: pd.DataFrame, col: str) -> np.ndarray | None:
    """Zero/non-zero indicator of a boolean or 0/1 column (missing -> 0), else None."""
    series = frame[col]
    if pd.api.types.is_bool_dtype(series.dtype):
        arr = series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = ctx.numbers(col)
        if values is None:
            return None
        arr = values.loc[frame.index].to_numpy(dtype="float64")
    seen = set(np.unique(arr[~np.isnan(arr)]))
    if seen != {0.0, 1.0}:
        return None
    return np.nan_to_num(arr, nan=0.0).astype(bool)


def _group(ctx: Context, frame: pd.DataFrame, y01: np.ndarray, positive: str,
           cols: list[str]) -> list[Finding]:
    flags = {c: f for c in cols if (f := _flag(ctx, frame, c)) is not None}
    target = y01.astype(bool)
    pos_rate = target.mean()
    core = {c: f for c, f in flags.items() if f.any() and target[f].mean() >= 0.5}
    group: list[str] = []
    current = np.zeros(len(target), dtype=bool)
    agree = (current == target).mean()
    while True:
        scores = {c: ((current | f) == target).mean() for c, f in core.items() if c not in group}
        if not scores:
            break
        col = max(scores, key=scores.get)
        if scores[col] <= agree:
            break
        group.append(col)
        current |= core[col]
        agree = scores[col]
    if len(group) < 2 or agree < GROUP_AGREE_MIN:
        return []
    precision, recall = target[current].mean(), current[target].mean()
    if precision < GROUP_PR_MIN or recall < GROUP_PR_MIN:
        return []
    for col, f in flags.items():
        if col in group or not f.any() or f.mean() > pos_rate:
            continue
        joined = current | f
        if (
            target[f].mean() > pos_rate
            and (target & f).any()
            and (joined == target).mean() >= GROUP_AGREE_MIN
        ):
            group.append(col)
            current = joined
    order = [c for c in cols if c in group]
    evidence = {
        "members": ", ".join(order),
        "agreement": pct((current == target).mean()),
        "support": f"{int(current.sum()):,}",
        "precision": pct(target[current].mean()),
        "cover": pct(current[target].mean()),
        "cls": positive,
    }
    return [
        _leak(ctx, col, "leakage.group", "leakage.group_fix", int(flags[col].sum()),
              ctx.rows(frame.index[np.flatnonzero(flags[col])]),
              own=pct(flags[col][target].mean()), **evidence)
        for col in order
    ]
