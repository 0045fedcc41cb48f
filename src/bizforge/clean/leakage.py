"""Target leakage: columns that restate the outcome instead of predicting it.

Three tests, run on at most 50,000 rows (seeded sample), each column reported once
(group first, then single, then sub-label):

(c) **group** (binary target): 0/1 flag columns whose logical OR agrees with the
    target on >= 99% of rows, with >= 90% precision and recall, built greedily from
    flags that are mostly positive when set (>= 50%). Rarer sibling flags that fire
    at least once with the target, more often than its base rate, and keep the OR
    at >= 99% agreement join the group: failure-mode flags of a maintenance log
    (TWF/HDF/PWF/OSF and the random-failure flag RNF of AI4I) leak together.
(a) **single column**: alone it predicts the target almost perfectly. Binary target:
    ROC-AUC >= 0.98 of the value (missing values placed lowest or highest) or of
    per-category target rates computed on the other half of the rows (cross-fitted,
    so an id-like column gets ~0.5, not 1.0). Multi-class: accuracy >= 0.98 of a
    cross-fitted one-column lookup (numbers in 20 quantile bins) that also cuts
    the majority-class error rate by 90%. Numeric target: |Spearman| >= 0.99.
(b) **sub-label**: a column with at most 10 values, one of which implies a rare
    class (share <= 50%) with precision >= 95% on >= 5 rows, and the binomial
    chance of that precision at the class's base rate is below 1e-6.

Identifiers, constant, empty and free-text columns are not tested, nor columns
holding personal data (a value could end up in a message). A strong but honest
feature (AUC 0.9, a category with 80% churn) passes all three.

>>> import pandas as pd
>>> from bizforge.clean.leakage import roc_auc
>>> roc_auc(pd.Series([0, 0, 1, 1]).to_numpy(), pd.Series([0.1, 0.2, 0.8, 0.9]).to_numpy())
1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom, rankdata

from bizforge.clean.findings import Context, Finding
from bizforge.frame import Role
from bizforge.i18n import pct

__all__ = ["MAX_ROWS", "find_leakage", "roc_auc"]

MAX_ROWS = 50_000
AUC_MIN = 0.98
ACC_MIN = 0.98
RANK_CORR_MIN = 0.99
GROUP_AGREE_MIN = 0.99
GROUP_PR_MIN = 0.90
SUB_PRECISION = 0.95
SUB_SUPPORT = 5
SUB_P_VALUE = 1e-6
SUB_MAX_LEVELS = 10
_MISSING = "\x00missing"
_POSITIVE = {"1", "1.0", "true", "yes", "y", "是", "positive"}


def roc_auc(y01: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC from ranks (ties averaged); 0.5 when only one class is present."""
    pos = int(y01.sum())
    neg = len(y01) - pos
    if pos == 0 or neg == 0:
        return 0.5
    ranks = rankdata(score)
    return float((ranks[y01 == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def find_leakage(ctx: Context) -> list[Finding]:
    """Leakage findings for ``ctx.target`` (empty without a target)."""
    if ctx.target is None:
        return []
    frame = ctx.frame[ctx.frame[ctx.target].notna()]
    if len(frame) > MAX_ROWS:
        frame = frame.sample(MAX_ROWS, random_state=0).sort_index()
    if len(frame) < 2 * SUB_SUPPORT:
        return []
    y = frame[ctx.target]
    cols = _candidates(ctx)
    found: dict[str, Finding] = {}
    if ctx.classes is not None and len(ctx.classes) == 2:
        y01 = _binary(y, ctx.classes)
        for f in _group(ctx, frame, y01, cols):
            found.setdefault(f.column, f)
    for col in cols:
        if col in found:
            continue
        f = _single(ctx, frame, y, col) or _sublabel(ctx, frame, y, col)
        if f is not None:
            found[col] = f
    return [found[c] for c in cols if c in found]


def _candidates(ctx: Context) -> list[str]:
    skip = {Role.ID, Role.CONSTANT, Role.EMPTY, Role.TEXT}
    return [
        info.name
        for info in ctx.schema
        if info.name != ctx.target
        and info.role not in skip
        and info.name not in ctx.pii  # never echo a value that may be personal data
    ]


def _binary(y: pd.Series, classes: pd.Series) -> np.ndarray:
    """1 for the positive class: a literal 1/True/yes if there is one, else the minority."""
    labels = [str(c).strip().lower() for c in classes.index]
    positive = next((c for c, lab in zip(classes.index, labels) if lab in _POSITIVE), None)
    if positive is None:
        positive = classes.idxmin()
    return (y.astype(str).to_numpy() == str(positive)).astype(np.int8)


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


def _codes(series: pd.Series) -> pd.Series:
    """Values as strings with missing as its own level (categories for lookups)."""
    return series.astype(object).where(series.notna(), _MISSING).astype(str)


def _halves(n: int) -> np.ndarray:
    return np.random.default_rng(0).permutation(n) % 2


def _crossfit_rate(codes: np.ndarray, y01: np.ndarray) -> np.ndarray:
    """Per-level positive rate learned on one half, applied to the other."""
    fold = _halves(len(codes))
    score = np.empty(len(codes))
    prior = y01.mean()
    for k in (0, 1):
        fit = pd.Series(y01[fold != k]).groupby(codes[fold != k])
        rates = (fit.sum() + prior) / (fit.count() + 1)  # one pseudo-row of the prior
        score[fold == k] = pd.Series(codes[fold == k]).map(rates).fillna(prior).to_numpy()
    return score


def _crossfit_accuracy(codes: np.ndarray, y: np.ndarray) -> float:
    fold = _halves(len(codes))
    hits = 0
    for k in (0, 1):
        fit = pd.DataFrame({"x": codes[fold != k], "y": y[fold != k]})
        # Most frequent class per level, vectorised (no per-group Python call).
        pairs = fit.groupby(["x", "y"]).size().sort_values(ascending=False, kind="stable")
        top = pairs.reset_index().drop_duplicates("x").set_index("x")["y"]
        majority = fit["y"].value_counts().index[0]
        pred = pd.Series(codes[fold == k]).map(top).fillna(majority).to_numpy()
        hits += int((pred.astype(str) == y[fold == k].astype(str)).sum())
    return hits / len(codes)


def _numeric_auc(x: np.ndarray, y01: np.ndarray) -> float:
    missing = np.isnan(x)
    if missing.all():
        return 0.5
    best = 0.0
    lo, hi = np.nanmin(x), np.nanmax(x)
    for fill in (lo - 1, hi + 1) if missing.any() else (lo,):
        auc = roc_auc(y01, np.where(missing, fill, x))
        best = max(best, auc, 1 - auc)
    return best


def _single(ctx: Context, frame: pd.DataFrame, y: pd.Series, col: str) -> Finding | None:
    x = _numeric(ctx, frame, col)
    codes = _codes(frame[col]).to_numpy()
    few_levels = len(set(codes)) <= 50
    if ctx.classes is None:
        if x is None:
            return None
        yv = ctx.numbers(ctx.target)
        if yv is None:
            return None
        pair = pd.DataFrame({"x": x, "y": yv.loc[frame.index].to_numpy()}).dropna()
        if len(pair) < 10 or pair["x"].nunique() < 2:
            return None
        score = abs(pair["x"].rank().corr(pair["y"].rank()))
        return _single_finding(ctx, col, "metric.rank_corr", score, RANK_CORR_MIN)
    if len(ctx.classes) == 2:
        y01 = _binary(y, ctx.classes)
        score = _numeric_auc(x, y01) if x is not None else 0.0
        if x is None or few_levels:
            score = max(score, roc_auc(y01, _crossfit_rate(codes, y01)))
        return _single_finding(ctx, col, "metric.auc", score, AUC_MIN)
    if x is not None and not few_levels:
        binned = pd.qcut(pd.Series(x), 20, duplicates="drop").astype(str).to_numpy()
        codes = np.where(np.isnan(x), _MISSING, binned)
    yv = y.astype(str).to_numpy()
    acc = _crossfit_accuracy(codes, yv)
    majority_err = 1 - ctx.classes.max() / ctx.classes.sum()
    if (1 - acc) > 0.1 * majority_err:
        return None
    return _single_finding(ctx, col, "metric.accuracy", acc, ACC_MIN)


def _single_finding(ctx, col, metric, score, threshold) -> Finding | None:
    if not np.isfinite(score) or score < threshold:
        return None
    message = ctx.t(
        "leakage.single", column=col, target=ctx.target, metric=ctx.t(metric), score=f"{score:.3f}"
    )
    return Finding(col, "leakage", "error", message, ctx.t("leakage.fix"), ctx.rows_total, [])


def _sublabel(ctx: Context, frame: pd.DataFrame, y: pd.Series, col: str) -> Finding | None:
    if ctx.classes is None:
        return None
    codes = _codes(frame[col])
    if codes.nunique() > SUB_MAX_LEVELS:
        return None
    n = len(frame)
    yv = y.astype(str)
    best = None
    for cls, total in ctx.classes.items():
        share = total / ctx.classes.sum()
        if share > 0.5:
            continue
        table = pd.crosstab(codes, yv == str(cls))
        if True not in table.columns:
            continue
        for value, row in table.iterrows():
            support, hits = int(row.sum()), int(row[True])
            if support < SUB_SUPPORT or hits / support < SUB_PRECISION:
                continue
            if binom.sf(hits - 1, support, share) >= SUB_P_VALUE:
                continue
            if best is None or hits > best[3]:
                best = (value, cls, support, hits)
    if best is None or n == 0:
        return None
    value, cls, support, hits = best
    shown = "(missing)" if value == _MISSING else _short(value)
    rows = ctx.rows(frame.index[np.flatnonzero((codes == value).to_numpy())])
    message = ctx.t(
        "leakage.sublabel",
        column=col,
        value=shown,
        support=support,
        hits=hits,
        precision=pct(hits / support),
        target=ctx.target,
        cls=cls,
    )
    return Finding(col, "leakage", "error", message, ctx.t("leakage.fix"), support, rows)


def _short(value: str) -> str:
    """Numbers stored as floats print as '1', not '1.0'."""
    try:
        f = float(value)
    except ValueError:
        return value
    return f"{f:g}" if np.isfinite(f) else value


def _flags(ctx: Context, frame: pd.DataFrame, cols: list[str]) -> dict[str, np.ndarray]:
    """0/1 columns (numbers or booleans with exactly the values 0 and 1), missing -> 0."""
    out = {}
    for col in cols:
        series = frame[col]
        if pd.api.types.is_bool_dtype(series.dtype):
            arr = series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        else:
            values = ctx.numbers(col)
            if values is None:
                continue
            arr = values.loc[frame.index].to_numpy(dtype="float64")
        seen = set(np.unique(arr[~np.isnan(arr)]))
        if seen == {0.0, 1.0}:
            out[col] = np.nan_to_num(arr, nan=0.0).astype(bool)
    return out


def _group(ctx: Context, frame: pd.DataFrame, y01: np.ndarray, cols: list[str]) -> list[Finding]:
    flags = _flags(ctx, frame, cols)
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
    agree = (current == target).mean()
    order = [c for c in cols if c in group]
    members = ", ".join(order)
    out = []
    for col in order:
        message = ctx.t(
            "leakage.group", column=col, members=members, target=ctx.target, agreement=pct(agree)
        )
        rows = ctx.rows(frame.index[np.flatnonzero(flags[col])])
        out.append(
            Finding(
                col,
                "leakage",
                "error",
                message,
                ctx.t("leakage.group_fix"),
                int(flags[col].sum()),
                rows,
            )
        )
    return out
