"""resolve_task: target validation, task choice, classes, positive class, metric."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, UsageError
from bizforge.tasks import TaskSpec, resolve_task


def frame(target, **extra) -> pd.DataFrame:
    n = len(target)
    return pd.DataFrame({"x": np.arange(n, dtype="float64"), "y": target, **extra})


def test_text_target_is_binary_with_yes_as_positive_and_roc_auc():
    spec = resolve_task(frame(["No", "Yes", "No", "No", "Yes", "No"]), "y")
    assert (spec.kind, spec.problem, spec.metric) == ("tabular-classification", "binary", "roc_auc")
    assert spec.classes == ["No", "Yes"]
    assert spec.positive == "Yes"
    assert spec.positive_index == 1


def test_chinese_yes_label_is_the_positive_class():
    spec = resolve_task(frame(["是", "否", "否", "是", "否"]), "y")
    assert spec.positive == "是"
    assert spec.classes[-1] == "是"


def test_integer_zero_one_target_has_positive_one():
    spec = resolve_task(frame([0, 1, 1, 1, 0, 1]), "y")
    assert spec.classes == [0, 1]
    assert spec.positive == 1  # 1 is conventional even when it is the majority


def test_without_a_conventional_label_the_minority_class_is_positive_and_last():
    spec = resolve_task(frame(["stay", "leave", "stay", "stay", "leave", "stay"]), "y")
    assert spec.positive == "leave"
    assert spec.classes == ["stay", "leave"]
    assert spec.encode(["leave", "stay"]).tolist() == [1, 0]


def test_boolean_target_is_binary_with_true_positive():
    spec = resolve_task(frame(pd.array([True, False, False, True], dtype="boolean")), "y")
    assert spec.problem == "binary"
    assert spec.positive is True


def test_few_distinct_integers_make_a_multiclass_task_with_log_loss():
    spec = resolve_task(frame([1, 2, 3, 1, 2, 3, 5, 5]), "y")
    assert spec.problem == "multiclass"
    assert spec.classes == [1, 2, 3, 5]
    assert spec.metric == "log_loss"
    assert spec.positive is None


def test_whole_floats_are_class_labels_as_ints():
    spec = resolve_task(frame([0.0, 1.0, 1.0, 0.0]), "y")
    assert spec.problem == "binary"
    assert spec.classes == [0, 1]


def test_fractional_numbers_make_a_regression_task_with_rmse():
    spec = resolve_task(frame([0.5, 1.25, 3.0, 2.0]), "y")
    assert (spec.kind, spec.problem, spec.metric) == ("tabular-regression", "regression", "rmse")
    assert spec.classes == []


def test_many_distinct_integers_make_a_regression_task():
    spec = resolve_task(frame(list(range(30))), "y")
    assert spec.problem == "regression"


def test_explicit_regression_on_text_target_raises_data_error():
    with pytest.raises(DataError, match="not numbers") as info:
        resolve_task(frame(["a", "b", "a", "b"]), "y", task="tabular-regression")
    assert info.value.column == "y"


def test_explicit_classification_overrides_the_auto_choice():
    spec = resolve_task(frame([0.5, 1.5, 0.5, 1.5]), "y", task="tabular-classification")
    assert spec.problem == "binary"
    assert spec.classes == [0.5, 1.5]


def test_text_classification_task_name_is_accepted():
    spec = resolve_task(frame(["pos", "neg", "pos", "neg"]), "y", task="text-classification")
    assert spec.kind == "text-classification"
    assert spec.problem == "binary"


def test_unknown_task_raises_usage_error_listing_tasks():
    with pytest.raises(UsageError) as info:
        resolve_task(frame([0, 1, 0, 1]), "y", task="forecast")
    assert "tabular-classification" in str(info.value)
    assert "tabular-regression" in str(info.value)


def test_missing_target_column_names_it_and_suggests_close_matches():
    data = pd.DataFrame({"Churn": [0, 1], "tenure": [1.0, 2.0]})
    with pytest.raises(DataError, match="'churn' is not in the data") as info:
        resolve_task(data, "churn")
    assert "'Churn'" in str(info.value)
    assert info.value.column == "churn"


def test_constant_target_raises_data_error():
    with pytest.raises(DataError, match="target 'y' is constant"):
        resolve_task(frame(["a", "a", "a"]), "y")


def test_all_missing_target_raises_constant_error():
    with pytest.raises(DataError, match="target 'y' is constant"):
        resolve_task(frame([None, None, None]), "y")


def test_rows_with_missing_target_are_counted_and_reported():
    spec = resolve_task(frame(["a", None, "b", "", "a", "b"]), "y")
    assert spec.dropped["missing_target"] == 2
    assert [w["kind"] for w in spec.warnings] == ["missing_target"]
    assert spec.keep_mask(["a", None, "b", "", "a", "b"]).tolist() == [
        True,
        False,
        True,
        False,
        True,
        True,
    ]


def test_single_row_class_is_dropped_with_a_warning():
    spec = resolve_task(frame(["a", "b", "a", "b", "c"]), "y")
    assert spec.classes == ["a", "b"]
    assert spec.dropped["rare_class"] == 1
    assert any(w["kind"] == "rare_class" for w in spec.warnings)
    assert spec.keep_mask(["a", "c"]).tolist() == [True, False]


def test_single_row_classes_leaving_one_class_raise_data_error():
    with pytest.raises(DataError, match="only one class"):
        resolve_task(frame(["a", "a", "a", "b", "c"]), "y")


def test_encode_unknown_label_raises_data_error_with_rows():
    spec = resolve_task(frame(["a", "b", "a", "b"]), "y")
    with pytest.raises(DataError, match="not among the 2 training classes") as info:
        spec.encode(["a", "z", "b"])
    assert info.value.rows == [2]


def test_encode_matches_labels_that_went_through_text():
    spec = resolve_task(frame([0, 1, 0, 1]), "y")
    assert spec.encode(["1", "0", 1.0]).tolist() == [1, 0, 1]


def test_decode_returns_original_labels():
    spec = resolve_task(frame([3, 1, 2, 3, 1, 2]), "y")
    assert spec.decode(np.array([0, 2])).tolist() == [1, 3]


def test_spec_round_trips_through_json():
    spec = resolve_task(frame(["No", "Yes", None, "No", "Yes"]), "y")
    again = TaskSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert again.encode(["Yes"]).tolist() == [1]


def test_auto_picks_text_classification_when_the_only_feature_is_text():
    frame = pd.DataFrame({"review": ["good", "bad", "great", "awful"], "label": [1, 0, 1, 0]})
    assert resolve_task(frame, "label", text_only=True).kind == "text-classification"
    assert resolve_task(frame, "label").kind == "tabular-classification"
