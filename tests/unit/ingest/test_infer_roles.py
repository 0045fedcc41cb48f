"""infer_schema: the role of every kind of column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizforge.frame import Role
from bizforge.ingest.infer import coerce_types, infer_schema

ROWS = 40


def role(values, name="col"):
    return infer_schema(pd.DataFrame({name: values}))[name].role


def info(values, name="col"):
    return infer_schema(pd.DataFrame({name: values}))[name]


def test_all_missing_or_blank_is_empty():
    assert role([None, "", " ", None]) == Role.EMPTY
    assert role([np.nan, np.nan]) == Role.EMPTY


def test_one_distinct_value_is_constant():
    assert role(["CN", "CN", None, "CN"]) == Role.CONSTANT
    assert role([5, 5, 5]) == Role.CONSTANT


def test_yes_no_is_boolean():
    assert role(["Yes", "No", "No", "Yes"]) == Role.BOOLEAN


def test_chinese_shi_fou_and_zero_one_are_boolean():
    assert role(["是", "否", "是"]) == Role.BOOLEAN
    assert role([0, 1, 1, 0]) == Role.BOOLEAN
    assert role(["Y", "n ", "y"]) == Role.BOOLEAN


def test_gender_is_categorical_not_boolean():
    assert role(["男", "女", "女", "男"]) == Role.CATEGORICAL
    assert role(["Female", "Male", "Male"]) == Role.CATEGORICAL


def test_native_bool_and_datetime_dtypes():
    assert role([True, False, True]) == Role.BOOLEAN
    assert role(pd.to_datetime(["2024-01-05", "2024-02-01"])) == Role.DATETIME


def test_low_cardinality_strings_are_categorical():
    assert role(["Month-to-month", "One year", "Two year", "One year"] * 10) == Role.CATEGORICAL


def test_numeric_dtype_is_numeric():
    assert role(np.linspace(0, 1, ROWS)) == Role.NUMERIC


def test_numbers_with_blanks_are_numeric_text():
    values = [f"{20 + i * 7.25:.2f}" for i in range(ROWS)]
    values[3] = values[17] = " "
    column = info(values, "TotalCharges")
    assert column.role == Role.NUMERIC
    assert column.missing == 2
    text = column.numeric_text
    assert (text["parsed"], text["blank"], text["bad"]) == (ROWS - 2, 2, 0)
    assert text["blank_rows"] == [3, 17]
    assert text["formats"] == ["blank"]


def test_decorated_numbers_report_their_formats():
    column = info(["¥1,200", "35%", "３５", "1.2万"] * 5)
    assert column.role == Role.NUMERIC
    assert column.numeric_text["formats"] == [
        "currency",
        "fullwidth",
        "magnitude",
        "percent",
        "thousands",
    ]


def test_a_few_bad_values_are_counted_with_rows():
    values = [str(i * 3.5) for i in range(ROWS)]
    values[5] = "unknown"
    column = info(values)
    assert column.role == Role.NUMERIC
    assert column.numeric_text["bad"] == 1 and column.numeric_text["bad_rows"] == [5]


def test_customer_ids_are_id():
    ids = [f"{7590 + i}-{chr(65 + i % 26)}{chr(66 + i % 20)}HVEG" for i in range(ROWS)]
    assert role(ids, "customerID") == Role.ID


def test_integer_row_counter_is_id_without_a_name_hint():
    assert role(list(range(1, ROWS + 1)), "UDI") == Role.ID


def test_integer_row_counter_read_as_text_is_id():
    frame = pd.DataFrame({"UDI": [str(i) for i in range(1, ROWS + 1)]})
    assert infer_schema(frame)["UDI"].role == Role.ID
    assert infer_schema(coerce_types(frame))["UDI"].role == Role.ID


def test_unique_integer_amounts_are_not_id():
    amounts = np.random.default_rng(0).choice(np.arange(100, 100_000), ROWS, replace=False)
    assert role(amounts, "salary") == Role.NUMERIC


def test_continuous_floats_are_never_id():
    assert role(np.random.default_rng(0).uniform(0, 1, ROWS), "order_id") == Role.NUMERIC


def test_repeated_integer_code_with_id_name_is_categorical():
    assert role([1, 2, 3, 4] * 10, "store_id") == Role.CATEGORICAL


def test_repeated_integer_code_read_as_text_is_categorical():
    assert role([str(i) for i in [1, 2, 3, 4] * 10], "store_id") == Role.CATEGORICAL


def test_too_few_rows_are_never_id():
    assert role([f"C{i:04d}" for i in range(10)]) == Role.CATEGORICAL


def test_codes_with_leading_zeros_are_id_not_numeric():
    assert role([f"{i:06d}" for i in range(ROWS)], "编号") == Role.ID


def test_chinese_reviews_are_text_in_zh():
    reviews = [f"第{i}次入住，房间干净，服务很好，早餐一般。" for i in range(ROWS)]
    column = info(reviews, "评论")
    assert column.role == Role.TEXT
    assert column.language == "zh"


def test_repeated_chinese_complaints_are_still_text():
    complaints = [f"网速太慢，第{i % 25}天又断线了" for i in range(ROWS * 4)]
    assert role(complaints, "最近投诉") == Role.TEXT


def test_english_sentences_are_text_in_en():
    texts = [f"I want to change the PIN on card number {i} please" for i in range(ROWS)]
    column = info(texts, "text")
    assert column.role == Role.TEXT and column.language == "en"


def test_spaced_labels_with_few_levels_stay_categorical():
    methods = ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card"]
    assert role(methods * 10) == Role.CATEGORICAL


def test_missing_counts_na_and_blank_strings_and_unique_ignores_them():
    column = info(["a", None, "", " ", "b", "a"])
    assert column.missing == 3
    assert column.unique == 2


def test_dtype_is_recorded():
    assert info(pd.Series([1, 2, 3], dtype="Int64")).dtype == "Int64"


def test_chinese_column_names_keep_their_roles():
    frame = pd.DataFrame(
        {
            "客户编号": [f"KH{i:05d}" for i in range(ROWS)],
            "月消费": [f"¥{i * 10 + 5}" for i in range(ROWS)],
            "是否流失": ["是", "否"] * (ROWS // 2),
        }
    )
    assert infer_schema(frame).roles() == {
        "客户编号": "id",
        "月消费": "numeric",
        "是否流失": "boolean",
    }


def test_schema_round_trips_through_json():
    frame = pd.DataFrame({"amount": ["1,200", " ", "35"], "paid": ["是", "否", "是"]})
    schema = infer_schema(frame)
    assert type(schema).from_dict(schema.to_dict()).to_dict() == schema.to_dict()


def test_shuffled_row_counter_subset_is_id():
    # An 80% sample of a 1..n counter, shuffled: still a row number, not a feature.
    rng = np.random.default_rng(0)
    udi = rng.permutation(np.arange(1, 1001))[:800]
    schema = infer_schema(pd.DataFrame({"UDI": udi, "torque": rng.normal(40, 10, 800)}))
    assert schema["UDI"].role is Role.ID
    assert schema["torque"].role is Role.NUMERIC
