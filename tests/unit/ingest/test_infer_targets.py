"""Target suggestions in Schema.target_suggestions."""

from __future__ import annotations

import pandas as pd

from bizforge.ingest.infer import infer_schema

ROWS = 24


def targets(**columns):
    return infer_schema(pd.DataFrame(columns)).target_suggestions


def test_churn_column_is_suggested():
    assert targets(
        customerID=[f"{i:04d}-ABCD" for i in range(ROWS)],
        tenure=list(range(ROWS)),
        Churn=["Yes", "No", "No"] * (ROWS // 3),
    ) == ["Churn"]


def test_named_target_comes_before_the_last_column():
    assert targets(
        **{
            "Machine failure": [0, 1] * (ROWS // 2),
            "speed": list(range(ROWS)),
            "RNF": [1, 0] * (ROWS // 2),
        }
    ) == ["Machine failure", "RNF"]


def test_chinese_target_names_are_suggested():
    assert targets(是否违约=["是", "否"] * (ROWS // 2), 年龄=list(range(ROWS)))[0] == "是否违约"


def test_rightmost_name_match_comes_first():
    assert targets(
        label=["a", "b"] * (ROWS // 2), x=list(range(ROWS)), target=[0.5, 1.5] * (ROWS // 2)
    )[:2] == ["target", "label"]


def test_low_cardinality_last_column_is_suggested_without_a_name():
    assert targets(x=list(range(ROWS)), grade=["A", "B", "C"] * (ROWS // 3)) == ["grade"]


def test_id_text_and_constant_columns_are_never_suggested():
    assert (
        targets(
            label_id=[f"L{i:05d}" for i in range(ROWS)],
            class_note=[f"客户第{i}次来电，投诉网络很慢，希望尽快处理。" for i in range(ROWS)],
            target=["same"] * ROWS,
        )
        == []
    )


def test_numeric_last_column_without_a_name_is_not_suggested():
    assert targets(a=["x", "y"] * (ROWS // 2), amount=[float(i) for i in range(ROWS)]) == []
