"""Leakage: single-column, filled-with-the-outcome and group leaks fire; strong honest
features, rare pure values included, do not (they get a kept strong-signal finding)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.clean.leakage_stats import roc_auc
from bizforge.clean.profile import profile
from bizforge.frame import ColumnInfo, Dataset, Role, Schema
from bizforge.testing.tables import LEAKY_TABLES, bank_churn


def make_ds(frame: pd.DataFrame, **roles) -> Dataset:
    cols = [ColumnInfo(c, Role(roles.get(c, "numeric")), str(frame[c].dtype)) for c in frame]
    return Dataset(frame, Schema(cols), {})


def leaks(frame: pd.DataFrame, target: str, **roles) -> dict[str, str]:
    p = profile(make_ds(frame, **roles), target=target)
    return {f.column: f.message for f in p.findings if f.kind == "leakage"}


def binary_target(rng, n: int = 200, rate: float = 0.3) -> np.ndarray:
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, int(n * rate), replace=False)] = 1
    return y


def test_numeric_copy_of_target_is_single_column_leak():
    rng = np.random.default_rng(7)
    y = binary_target(rng)
    frame = pd.DataFrame({"refund_amount": y * 50 + rng.uniform(0, 1, len(y)), "y": y})
    found = leaks(frame, "y", y="boolean")
    assert list(found) == ["refund_amount"]
    assert "alone predicts 'y' almost perfectly: cross-validated ROC-AUC 1.000 on 200 rows" in (
        found["refund_amount"])


def test_strong_but_noisy_feature_is_not_leakage():
    rng = np.random.default_rng(7)
    x = rng.normal(size=200)
    y = (x + rng.normal(scale=0.5, size=200) > 0).astype(int)
    assert roc_auc(y, x) > 0.85  # a genuinely strong predictor
    frame = pd.DataFrame({"usage": x, "y": y})
    assert leaks(frame, "y", y="boolean") == {}


def test_strong_honest_category_is_not_leakage():
    rng = np.random.default_rng(7)
    plan = rng.choice(["monthly", "yearly", "two-year"], 200)
    rate = pd.Series(plan).map({"monthly": 0.8, "yearly": 0.2, "two-year": 0.05}).to_numpy()
    y = (rng.uniform(size=200) < rate).astype(int)
    frame = pd.DataFrame({"contract": pd.Series(plan, dtype="str"), "y": y})
    assert leaks(frame, "y", contract="categorical", y="boolean") == {}


def test_category_that_encodes_the_outcome_is_leak():
    rng = np.random.default_rng(7)
    y = binary_target(rng)
    status = np.where(y == 1, "closed", rng.choice(["active", "paused"], len(y)))
    frame = pd.DataFrame({"status": pd.Series(status, dtype="str"), "y": y})
    assert "status" in leaks(frame, "y", status="categorical", y="boolean")


def test_missing_only_for_one_class_is_leak():
    rng = np.random.default_rng(7)
    y = binary_target(rng)
    days = np.where(y == 1, rng.integers(1, 30, len(y)).astype(float), np.nan)
    frame = pd.DataFrame({"days_since_cancel": days, "y": y})
    assert "days_since_cancel" in leaks(frame, "y", y="boolean")


def test_unique_codes_are_not_mistaken_for_a_perfect_lookup():
    rng = np.random.default_rng(7)
    y = binary_target(rng)
    frame = pd.DataFrame(
        {"ticket": pd.Series([f"T{i}" for i in range(len(y))], dtype="str"), "y": y}
    )
    assert leaks(frame, "y", ticket="categorical", y="boolean") == {}


def test_multiclass_lookup_leak():
    rng = np.random.default_rng(7)
    y = rng.choice(["bronze", "silver", "gold"], 150)
    code = pd.Series(y).map({"bronze": "B", "silver": "S", "gold": "G"})
    frame = pd.DataFrame({"tier_code": code.astype("str"), "tier": pd.Series(y, dtype="str")})
    found = leaks(frame, "tier", tier_code="categorical", tier="categorical")
    assert "lookup accuracy" in found["tier_code"]


def test_regression_target_restated_is_leak():
    rng = np.random.default_rng(7)
    y = rng.uniform(100, 200, 120)
    frame = pd.DataFrame({"amount_with_tax": y * 1.13, "noise": rng.normal(size=120), "amount": y})
    found = leaks(frame, "amount")
    assert list(found) == ["amount_with_tax"] and "rank correlation" in found["amount_with_tax"]


def signals(frame: pd.DataFrame, target: str, **roles) -> dict[str, tuple[str, str]]:
    p = profile(make_ds(frame, **roles), target=target)
    return {f.column: (f.severity, f.message) for f in p.findings if f.kind == "strong_signal"}


def test_flag_set_only_for_a_third_of_churners_is_a_kept_warning():
    rng = np.random.default_rng(7)
    y = binary_target(rng, 200, 0.15)
    refund = np.zeros(200, dtype=int)
    refund[np.flatnonzero(y)[:10]] = 1  # set only for churners, but for few of them
    frame = pd.DataFrame({"refund_issued": refund, "y": y})
    assert leaks(frame, "y", refund_issued="boolean", y="boolean") == {}
    severity, message = signals(frame, "y", refund_issued="boolean", y="boolean")["refund_issued"]
    assert severity == "warning"
    assert "= 1 on 10 rows, and 10 of them (100.0%) have 'y' = 1 (33.3% of that class)" in message


def test_rare_pure_value_of_a_product_count_is_info_not_leakage():
    rng = np.random.default_rng(7)
    n = 2000
    products = rng.choice([1, 2, 3, 4], n, p=[0.5, 0.46, 0.03, 0.01])
    y = (rng.uniform(size=n) < np.select([products == 2, products == 3], [0.08, 0.8], 0.27))
    y = y.astype(int)
    y[products == 4] = 1  # every 4-product customer left: a rare pure value, not a leak
    frame = pd.DataFrame({"products": products, "y": y})
    assert leaks(frame, "y", y="boolean") == {}
    severity, message = signals(frame, "y", y="boolean")["products"]
    assert severity == "info" and "'products' = 4 on" in message and "kept" in message


def test_rare_pure_value_column_is_not_suggested_for_dropping():
    frame, target, _ = bank_churn(3000, seed=3)
    p = profile(frame, target=target)
    assert "NumOfProducts" not in p.drop_suggestions()
    assert "Geography" not in p.drop_suggestions()


def test_column_filled_for_most_of_one_class_only_is_leak():
    rng = np.random.default_rng(7)
    y = binary_target(rng, 400, 0.2)
    filled = (y == 1) & (rng.uniform(size=400) < 0.93)  # a few never entered
    days = np.where(filled, rng.integers(1, 400, 400).astype(float), np.nan)
    frame = pd.DataFrame({"closed_days_ago": days, "y": y})
    found = leaks(frame, "y", y="boolean")
    assert "is filled on" in found["closed_days_ago"]
    assert f"{filled.sum()} of them (100.0%) have 'y' = 1" in found["closed_days_ago"]


def test_free_text_filled_only_with_the_outcome_is_leak():
    rng = np.random.default_rng(7)
    y = binary_target(rng, 300, 0.25)
    reasons = rng.choice(["moved away", "price too high", "bad service at the shop"], 300)
    reason = pd.Series(np.where(y == 1, reasons, None), dtype="object")
    frame = pd.DataFrame({"cancel_reason": reason, "y": y})
    assert "cancel_reason" in leaks(frame, "y", cancel_reason="text", y="boolean")


@pytest.mark.parametrize("name,make", LEAKY_TABLES, ids=[n for n, _ in LEAKY_TABLES])
def test_generated_tables_flag_exactly_their_leaks(name, make):
    frame, target, truth = make(3000, seed=11)
    assert set(profile(frame, target=target).leakage_columns()) == truth


def test_honest_flag_with_high_but_imperfect_rate_is_not_leak():
    rng = np.random.default_rng(7)
    y = binary_target(rng, 200, 0.15)
    flag = np.zeros(200, dtype=int)
    pos, neg = np.flatnonzero(y), np.flatnonzero(y == 0)
    flag[pos[:8]] = 1
    flag[neg[:2]] = 1  # 80% precision: a strong signal, not a sub-label
    frame = pd.DataFrame({"complaint": flag, "y": y})
    assert leaks(frame, "y", complaint="boolean", y="boolean") == {}


def group_frame() -> pd.DataFrame:
    """300 rows, 60 failures explained by four mode flags (one failure has no flag)."""
    rng = np.random.default_rng(7)
    n = 300
    y = np.zeros(n, dtype=int)
    pos = rng.choice(n, 60, replace=False)
    y[pos] = 1
    modes = {name: np.zeros(n, dtype=int) for name in ("TWF", "HDF", "PWF", "OSF")}
    for i, name in enumerate(modes):
        modes[name][pos[i * 15 : (i + 1) * 15]] = 1
    modes["OSF"][pos[59]] = 0  # one failure with no recorded mode
    rnf = np.zeros(n, dtype=int)
    rnf[pos[0]] = 1  # a rare random-failure flag: once with a failure, once without
    rnf[np.flatnonzero(y == 0)[0]] = 1
    other = np.zeros(n, dtype=int)
    other[np.flatnonzero(y == 0)[1:3]] = 1  # a rare flag that never meets a failure
    torque = rng.normal(40, 10, n) + 8 * y
    return pd.DataFrame(
        {"torque": torque, **modes, "RNF": rnf, "maintenance_due": other, "failure": y}
    )


def test_flags_whose_or_is_the_target_leak_together():
    frame = group_frame()
    roles = {c: "boolean" for c in frame if c != "torque"}
    found = leaks(frame, "failure", **roles)
    assert list(found) == ["TWF", "HDF", "PWF", "OSF", "RNF"]
    assert "one of the flags TWF, HDF, PWF, OSF, RNF" in found["TWF"]
    assert "together they cover 98.3% of the '1' rows (25.0% by this flag alone" in found["TWF"]


def test_process_variable_and_unrelated_flag_stay_out_of_the_group():
    frame = group_frame()
    roles = {c: "boolean" for c in frame if c != "torque"}
    p = profile(make_ds(frame, **roles), target="failure")
    assert "torque" not in p.leakage_columns()
    assert "maintenance_due" not in p.leakage_columns()
    assert p.drop_suggestions()["HDF"] == "leakage"


def test_no_target_means_no_leakage_check():
    frame = group_frame()
    p = profile(make_ds(frame, **{c: "boolean" for c in frame if c != "torque"}))
    assert p.leakage_columns() == []


def test_two_counts_that_add_up_to_the_target_leak_together():
    rng = np.random.default_rng(7)
    casual, registered = rng.poisson(30, 300), rng.poisson(120, 300)
    frame = pd.DataFrame({"casual": casual, "registered": registered,
                          "temp": rng.normal(15, 5, 300), "riders": casual + registered})
    found = leaks(frame, "riders")
    assert sorted(found) == ["casual", "registered"]
    assert "together with 'registered' reproduces 'riders'" in found["casual"]


def test_near_copy_of_a_numeric_target_is_not_leakage():
    rng = np.random.default_rng(7)
    temp = rng.normal(15, 8, 300)
    frame = pd.DataFrame({"feels_like": temp + rng.normal(0, 1.2, 300), "temp": temp})
    assert leaks(frame, "temp") == {}
