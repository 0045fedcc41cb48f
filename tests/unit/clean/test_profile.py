"""profile(): column summaries, target summary, errors, JSON shape, drop suggestions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bizforge.clean import Profile, profile
from bizforge.errors import DataError, UsageError
from bizforge.frame import ColumnInfo, Dataset, Role, Schema


def make_ds(frame: pd.DataFrame, meta: dict | None = None, **roles) -> Dataset:
    cols = [ColumnInfo(c, Role(roles.get(c, "categorical")), str(frame[c].dtype)) for c in frame]
    return Dataset(frame, Schema(cols), meta or {})


def churn_ds() -> Dataset:
    frame = pd.DataFrame(
        {
            "customerID": pd.Series([f"C{i:03d}" for i in range(20)], dtype="str"),
            "tenure": np.arange(20),
            "城市": pd.Series(["北京", "上海", "北京", "广州"] * 5, dtype="str"),
            "Churn": pd.Series(["Yes"] * 5 + ["No"] * 15, dtype="str"),
        }
    )
    return make_ds(frame, customerID="id", tenure="numeric", Churn="boolean")


def test_target_summary_has_class_counts_and_shares():
    p = profile(churn_ds(), target="Churn")
    assert p.target["kind"] == "classes"
    assert p.target["classes"] == [
        {"value": "No", "count": 15, "share": 0.75},
        {"value": "Yes", "count": 5, "share": 0.25},
    ]


def test_numeric_target_gets_a_numeric_summary():
    frame = pd.DataFrame({"x": np.arange(50.0), "sales": np.linspace(0.5, 100.5, 50)})
    p = profile(make_ds(frame, x="numeric", sales="numeric"), target="sales")
    assert p.target["kind"] == "numeric"
    assert p.target["numeric"]["min"] == 0.5 and p.target["numeric"]["max"] == 100.5


def test_missing_target_column_names_it_and_suggests_close_matches():
    with pytest.raises(DataError) as err:
        profile(churn_ds(), target="churn")
    assert err.value.column == "churn"
    assert "target column 'churn' is not in the data" in err.value.message
    assert "'Churn'" in err.value.fix


def test_single_class_target_is_a_data_error_with_a_fix():
    frame = pd.DataFrame({"x": [1, 2, 3], "y": pd.Series(["a", "a", "a"], dtype="str")})
    with pytest.raises(DataError) as err:
        profile(make_ds(frame, x="numeric"), target="y")
    assert err.value.message.startswith("target 'y' has one class")
    assert "pick another target" in err.value.fix


def test_unknown_language_is_a_usage_error_listing_choices():
    with pytest.raises(UsageError) as err:
        profile(churn_ds(), lang="fr")
    assert "zh, en" in err.value.fix


def test_numeric_column_summary_has_quartiles_and_mean():
    col = profile(churn_ds()).columns[1]
    assert col["name"] == "tenure" and col["role"] == "numeric"
    assert col["numeric"] == {
        "min": 0.0,
        "p25": 4.75,
        "median": 9.5,
        "p75": 14.25,
        "max": 19.0,
        "mean": 9.5,
    }
    assert sum(col["histogram"]["counts"]) == 20


def test_categorical_column_has_top_values():
    col = profile(churn_ds()).columns[2]
    assert col["top"][0] == {"value": "北京", "count": 10, "share": 0.5}
    assert col["missing"] == 0 and col["unique"] == 3


def test_identifier_values_are_never_summarised():
    col = profile(churn_ds()).columns[0]
    assert col["top"] is None and col["numeric"] is None


def test_pii_column_gets_kind_counts_but_no_values():
    phones = pd.Series(["13800138000", "13912345678", "15000000001", "18688886666"], dtype="str")
    frame = pd.DataFrame({"phone": phones, "plan": pd.Series(list("abab"), dtype="str")})
    col = profile(make_ds(frame)).columns[0]
    assert col["pii"] == {"kinds": {"cn_mobile": 4}, "count": 4, "whole": True}
    assert col["top"] is None
    assert not any(v in json.dumps(col) for v in phones)


def test_to_dict_has_the_contract_shape():
    d = profile(churn_ds(), target="Churn").to_dict()
    assert set(d) == {"rows", "columns", "findings", "target"}
    assert d["rows"] == 20
    assert {"name", "role", "missing", "unique"} <= set(d["columns"][0])
    assert d["findings"] and all(
        set(f) == {"column", "kind", "severity", "message", "fix", "count", "rows"}
        for f in d["findings"]
    )
    assert {f["severity"] for f in d["findings"]} <= {"info", "warning", "error"}


def test_save_json_is_utf8_with_readable_chinese(tmp_path):
    path = profile(churn_ds(), target="Churn", lang="zh").save_json(tmp_path / "p.json")
    text = path.read_text(encoding="utf-8")
    assert "城市" in text and "\\u" not in text
    assert json.loads(text)["target"]["name"] == "Churn"


def test_drop_suggestions_give_a_reason_per_column():
    frame = pd.DataFrame(
        {
            "id": pd.Series([f"u{i}" for i in range(8)], dtype="str"),
            "country": pd.Series(["CN"] * 8, dtype="str"),
            "note": pd.Series([None] * 8, dtype="str"),
            "x": np.arange(8.0),
            "y": pd.Series(["a", "b"] * 4, dtype="str"),
        }
    )
    p = profile(make_ds(frame, id="id", country="constant", note="empty", x="numeric"), target="y")
    assert p.drop_suggestions() == {"id": "id", "country": "constant", "note": "empty"}


def test_pii_reason_wins_over_id():
    phones = [f"1380013{i:04d}" for i in range(8)]
    frame = pd.DataFrame({"phone": pd.Series(phones, dtype="str"), "x": np.arange(8.0)})
    p = profile(make_ds(frame, phone="id", x="numeric"))
    assert p.drop_suggestions() == {"phone": "pii"}


def test_sampled_dataset_uses_whole_file_missing_counts():
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0]})
    meta = {
        "sampled": True,
        "rows_total": 1000,
        "stats": {"rows": 1000, "missing": {"x": 250}, "duplicate_rows": 0},
    }
    p = profile(make_ds(frame, meta=meta, x="numeric"))
    assert p.rows == 1000 and p.columns[0]["missing"] == 250
    assert p.columns[0]["missing_pct"] == 25.0
    [f] = p.findings_of("missing")
    assert f.count == 250 and f.rows == []
    assert "sample of 4 of 1,000 rows" in p.to_html()


def test_profile_accepts_a_plain_dataframe():
    frame = pd.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "y"]})
    p = profile(frame)
    assert isinstance(p, Profile) and [c["name"] for c in p.columns] == ["a", "b"]
