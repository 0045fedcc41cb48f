"""Each finding kind fires on a frame built to have it, and not on a clean one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.clean.findings import FINDERS
from bizforge.clean.profile import profile
from bizforge.frame import ColumnInfo, Dataset, Role, Schema


def make_ds(frame: pd.DataFrame, meta: dict | None = None, **infos) -> Dataset:
    """A Dataset with hand-set roles: ``make_ds(df, a="numeric", b=("numeric", {...}))``."""
    columns = []
    for name in frame.columns:
        spec = infos.get(name, "categorical")
        role, numeric_text = spec if isinstance(spec, tuple) else (spec, None)
        columns.append(
            ColumnInfo(name, Role(role), str(frame[name].dtype), numeric_text=numeric_text)
        )
    return Dataset(frame, Schema(columns), meta or {})


def kinds(p, kind):
    return [f for f in p.findings if f.kind == kind]


def clean_frame(n: int = 40) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "plan": pd.Series(rng.choice(["basic", "pro", "max"], n), dtype="str"),
            "age": rng.normal(40, 5, n),
            "churn": pd.Series(["Yes", "No"] * (n // 2), dtype="str"),
        }
    )
    return frame, {"age": "numeric", "churn": "boolean"}


def test_clean_frame_has_no_findings():
    frame, roles = clean_frame()
    p = profile(make_ds(frame, **roles), target="churn")
    assert p.findings == []


def test_every_kind_is_registered():
    assert set(FINDERS) == {
        "missing",
        "numeric_as_text",
        "id_like",
        "constant",
        "duplicate_rows",
        "high_cardinality",
        "leakage",
        "imbalance",
        "mixed_types",
        "outliers",
        "pii",
        "total_rows",
        "unit",
        "excel_errors",
        "number_time",
    }


def test_missing_names_column_count_and_rows():
    frame = pd.DataFrame({"city": pd.Series(["a", None, "b", None, "c", "d"], dtype="str")})
    [f] = kinds(profile(make_ds(frame)), "missing")
    assert (f.column, f.count, f.rows, f.severity) == ("city", 2, [2, 4], "warning")
    assert "column 'city' has 2 missing values (33.3% of rows; rows 2, 4)" in f.message


def test_missing_is_info_below_thirty_percent():
    frame = pd.DataFrame({"x": [1.0, np.nan] + [float(i) for i in range(8)]})
    [f] = kinds(profile(make_ds(frame, x="numeric")), "missing")
    assert f.severity == "info" and f.count == 1


def test_empty_column_is_reported_as_empty():
    frame = pd.DataFrame({"note": pd.Series([None] * 4, dtype="str"), "x": [1, 2, 3, 4]})
    [f] = kinds(profile(make_ds(frame, note="empty", x="numeric")), "missing")
    assert "is empty" in f.message and f.count == 4


def test_numeric_as_text_reports_blanks_with_rows_and_fix():
    frame = pd.DataFrame({"TotalCharges": pd.Series(["1.5", " ", "2", " ", "3"], dtype="str")})
    nt = {
        "parsed": 3,
        "blank": 2,
        "bad": 0,
        "formats": ["blank"],
        "blank_rows": [1, 3],
        "bad_rows": [],
    }
    [f] = kinds(profile(make_ds(frame, TotalCharges=("numeric", nt))), "numeric_as_text")
    assert f.count == 2 and f.rows == [2, 4]
    assert f.message == (
        "column 'TotalCharges' holds numbers stored as text: 2 blank values (rows 2, 4)."
    )
    assert "treated as missing" in f.fix


def test_numeric_as_text_summary_uses_parsed_numbers():
    frame = pd.DataFrame({"price": pd.Series(["1,000", "2,000", "3,000"], dtype="str")})
    nt = {"parsed": 3, "blank": 0, "bad": 0, "formats": ["thousands"]}
    p = profile(make_ds(frame, price=("numeric", nt)))
    [f] = kinds(p, "numeric_as_text")
    assert f.severity == "info" and "thousands separators" in f.message
    assert p.columns[0]["numeric"]["median"] == 2000.0


def test_id_like_fires_on_identifier_role():
    frame = pd.DataFrame({"customerID": pd.Series([f"C{i:03d}" for i in range(6)], dtype="str")})
    [f] = kinds(profile(make_ds(frame, customerID="id")), "id_like")
    assert f.column == "customerID" and "6 unique values in 6 rows" in f.message


def test_constant_fires_on_constant_role():
    frame = pd.DataFrame({"country": pd.Series(["CN"] * 5, dtype="str")})
    [f] = kinds(profile(make_ds(frame, country="constant")), "constant")
    assert f.column == "country" and "dropped" in f.fix


def test_duplicate_rows_counts_copies_of_earlier_rows():
    frame = pd.DataFrame({"a": [1, 2, 1, 3, 1], "b": ["x", "y", "x", "z", "x"]})
    [f] = kinds(profile(make_ds(frame, a="numeric")), "duplicate_rows")
    assert (f.column, f.count, f.rows) == (None, 2, [3, 5])


def test_duplicate_rows_of_a_sample_come_from_whole_file_stats():
    frame = pd.DataFrame({"a": [1, 2, 3]})
    meta = {
        "sampled": True,
        "rows_total": 1000,
        "stats": {"rows": 1000, "missing": {"a": 0}, "duplicate_rows": 17},
    }
    p = profile(make_ds(frame, meta=meta, a="numeric"))
    [f] = kinds(p, "duplicate_rows")
    assert f.count == 17 and f.rows == [] and p.rows == 1000


def test_high_cardinality_fires_on_categorical_with_many_levels():
    frame = pd.DataFrame({"city": pd.Series([f"city{i % 60}" for i in range(120)], dtype="str")})
    [f] = kinds(profile(make_ds(frame)), "high_cardinality")
    assert (
        f.count == 60 and "60 different values; 60 of them appear fewer than 10 times" in f.message
    )


def test_high_cardinality_quiet_with_few_levels():
    frame = pd.DataFrame({"city": pd.Series([f"c{i % 5}" for i in range(120)], dtype="str")})
    assert kinds(profile(make_ds(frame)), "high_cardinality") == []


def test_imbalance_reports_minority_share():
    frame = pd.DataFrame({"x": range(100), "y": pd.Series(["no"] * 95 + ["yes"] * 5, dtype="str")})
    p = profile(make_ds(frame, x="numeric", y="boolean"), target="y")
    [f] = kinds(p, "imbalance")
    assert f.severity == "warning" and "'yes' is 5.0% of rows (5 of 100)" in f.message


def test_imbalance_is_info_for_a_churn_like_balance():
    frame = pd.DataFrame(
        {"x": range(200), "y": pd.Series(["No"] * 147 + ["Yes"] * 53, dtype="str")}
    )
    [f] = kinds(profile(make_ds(frame, x="numeric", y="boolean"), target="y"), "imbalance")
    assert f.severity == "info" and "26.5%" in f.message


def test_mixed_types_fires_when_numbers_and_words_mix():
    values = ["12", "15", "unknown", "20", "n.a.", "30", "missing!", "40"]
    frame = pd.DataFrame({"age": pd.Series(values, dtype="str")})
    [f] = kinds(profile(make_ds(frame)), "mixed_types")
    assert f.count == 3 and f.rows == [3, 5, 7] and "5 values are numbers" in f.message


def test_mixed_types_quiet_on_words_only():
    frame = pd.DataFrame({"plan": pd.Series(["basic", "pro", "max", "pro"] * 3, dtype="str")})
    assert kinds(profile(make_ds(frame)), "mixed_types") == []


def test_outliers_are_found_beyond_three_iqr():
    values = list(np.linspace(10, 20, 30)) + [500.0]
    frame = pd.DataFrame({"amount": values})
    [f] = kinds(profile(make_ds(frame, amount="numeric")), "outliers")
    assert (f.count, f.rows) == (1, [31])


def test_outliers_quiet_on_normal_data():
    frame = pd.DataFrame({"amount": np.random.default_rng(1).normal(size=200)})
    assert kinds(profile(make_ds(frame, amount="numeric")), "outliers") == []


PHONES = ["13800138000", "13912345678", "15000000001", "18688886666", "13700001111"]


def test_pii_reports_kind_and_count_never_the_value():
    frame = pd.DataFrame({"phone": pd.Series(PHONES, dtype="str")})
    p = profile(make_ds(frame, phone="id"))
    [f] = kinds(p, "pii")
    assert f.count == 5 and "mobile number (5)" in f.message
    assert not any(v in f.message or v in f.fix for v in PHONES)


def test_pii_finding_quiet_without_personal_data():
    frame, roles = clean_frame()
    assert kinds(profile(make_ds(frame, **roles)), "pii") == []


@pytest.mark.parametrize("lang,word", [("zh", "缺失值"), ("en", "missing values")])
def test_findings_are_written_in_the_chosen_language(lang, word):
    frame = pd.DataFrame({"city": pd.Series(["a", None, "b"], dtype="str")})
    [f] = kinds(profile(make_ds(frame), lang=lang), "missing")
    assert word in f.message
