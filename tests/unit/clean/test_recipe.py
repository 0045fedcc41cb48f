"""Recipe: one behaviour of the model frame per test, on tiny frames built here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.clean.recipe import Recipe
from bizforge.errors import DataError, NotFittedError, UsageError
from bizforge.frame import ColumnInfo, Role, Schema

R = Role


def schema_of(frame: pd.DataFrame, **roles: Role) -> Schema:
    """A hand-made schema: the given roles, categorical for the rest."""
    return Schema([ColumnInfo(c, roles.get(c, R.CATEGORICAL), str(frame[c].dtype)) for c in frame])


def fit(frame, target=None, drop=None, recipe=None, **roles):
    recipe = recipe or Recipe(rare_min_count=1, rare_min_share=0.0)
    return recipe.fit(frame, schema_of(frame, **roles), target=target, drop=drop)


# --------------------------------------------------------------------- the contract
def test_constructor_stores_parameters_only():
    recipe = Recipe(rare_min_count=3, pii="keep")
    assert recipe.rare_min_count == 3 and recipe.pii == "keep"
    assert not [name for name in vars(recipe) if name.endswith("_")]


def test_fit_returns_the_recipe_itself():
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    recipe = Recipe()
    assert recipe.fit(frame, schema_of(frame, a=R.NUMERIC)) is recipe


def test_transform_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError, match="fit"):
        Recipe().transform(pd.DataFrame({"a": [1]}))


def test_unknown_pii_mode_is_a_usage_error_at_fit():
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(UsageError, match="pii"):
        Recipe(pii="shred").fit(frame, schema_of(frame, a=R.NUMERIC))


def test_output_columns_keep_the_fit_order_whatever_the_input_order():
    frame = pd.DataFrame({"n": [1.0, 2.0, 3.0], "c": ["x", "y", "x"], "b": ["Y", "N", "Y"]})
    recipe = fit(frame, n=R.NUMERIC, b=R.BOOLEAN)
    out = recipe.transform(frame[["b", "c", "n"]].assign(extra=[7, 8, 9]))
    assert list(out.columns) == recipe.output_columns == ["n", "c", "b"]


def test_transform_keeps_the_input_index():
    frame = pd.DataFrame({"n": [1.0, 2.0]}, index=[10, 20])
    out = fit(frame, n=R.NUMERIC).transform(frame)
    assert out.index.tolist() == [10, 20]


def test_empty_input_gives_empty_model_frame_with_the_same_columns_and_dtypes():
    frame = pd.DataFrame({"n": [1.0, 2.0], "c": ["x", "y"]})
    recipe = fit(frame, n=R.NUMERIC)
    out = recipe.transform(frame.iloc[:0])
    assert len(out) == 0
    assert out.dtypes.astype(str).tolist() == ["float64", "category"]


def test_duplicate_column_names_are_a_data_error():
    frame = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])
    with pytest.raises(DataError, match="'a' appear more than once"):
        Recipe().fit(frame, Schema([ColumnInfo("a", R.NUMERIC, "float64")]))


def test_a_column_missing_from_the_schema_is_a_data_error():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    schema = Schema([ColumnInfo("a", R.NUMERIC, "float64")])
    with pytest.raises(DataError, match="'b' are not in the schema"):
        Recipe().fit(frame, schema)


# --------------------------------------------------------------------- numeric
def test_numeric_becomes_float64_with_nan_for_missing():
    frame = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64")})
    out = fit(frame, n=R.NUMERIC).transform(frame)
    assert out["n"].dtype == "float64"
    assert out["n"].tolist()[0] == 1.0 and np.isnan(out["n"].iloc[1])


def test_numbers_stored_as_text_are_parsed_and_blanks_become_nan():
    frame = pd.DataFrame({"amount": ["1,234", "¥12.5", " ", "3"]})
    out = fit(frame, amount=R.NUMERIC).transform(frame)
    values = out["amount"].tolist()
    assert values[:2] == [1234.0, 12.5] and np.isnan(values[2]) and values[3] == 3.0


def test_a_number_column_arriving_as_text_at_prediction_is_parsed():
    train = pd.DataFrame({"n": [1.0, 2.0, 3.0]})
    out = fit(train, n=R.NUMERIC).transform(pd.DataFrame({"n": ["4", "", "1,000"]}))
    assert out["n"].iloc[0] == 4.0 and np.isnan(out["n"].iloc[1]) and out["n"].iloc[2] == 1000.0


def test_unreadable_number_is_a_data_error_naming_column_and_rows_not_the_value():
    train = pd.DataFrame({"n": ["1", "2", "3"]})
    recipe = fit(train, n=R.NUMERIC)
    with pytest.raises(DataError) as err:
        recipe.transform(pd.DataFrame({"n": ["1", "13800138000x", "2", "abc"]}))
    message = str(err.value)
    assert "'n'" in message and "rows 2, 4" in message
    assert "13800138000x" not in message and "abc" not in message
    assert err.value.column == "n" and err.value.rows == [2, 4]


def test_unreadable_number_becomes_nan_when_asked():
    train = pd.DataFrame({"n": ["1", "2", "3"]})
    recipe = fit(train, recipe=Recipe(on_bad_number="missing"), n=R.NUMERIC)
    out = recipe.transform(pd.DataFrame({"n": ["5", "abc"]}))
    assert out["n"].iloc[0] == 5.0 and np.isnan(out["n"].iloc[1])


def test_unreadable_number_in_training_rows_is_a_data_error_at_fit():
    frame = pd.DataFrame({"n": ["1", "x", "3"]})
    with pytest.raises(DataError, match="row 2 of the training rows"):
        fit(frame, n=R.NUMERIC)


def test_missing_values_are_not_imputed_but_fill_values_are_recorded():
    frame = pd.DataFrame({"n": [1.0, np.nan, 3.0, 10.0]})
    recipe = fit(frame, n=R.NUMERIC)
    assert np.isnan(recipe.transform(frame)["n"].iloc[1])
    assert recipe.fill["n"] == 3.0


# --------------------------------------------------------------------- categorical
def test_categorical_has_fixed_categories_with_other_last():
    frame = pd.DataFrame({"c": ["b", "a", "b", None]})
    out = fit(frame).transform(frame)
    assert isinstance(out["c"].dtype, pd.CategoricalDtype)
    assert out["c"].cat.categories.tolist() == ["b", "a", "__other__"]
    assert out["c"].isna().tolist() == [False, False, False, True]


def test_unseen_category_becomes_other():
    recipe = fit(pd.DataFrame({"c": ["a", "b"]}))
    out = recipe.transform(pd.DataFrame({"c": ["a", "new plan"]}))
    assert out["c"].tolist() == ["a", "__other__"]
    assert out["c"].cat.categories.tolist() == ["a", "b", "__other__"]


def test_rare_categories_become_other():
    frame = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 5 + ["z"]})
    recipe = Recipe(rare_min_count=2, rare_min_share=0.0).fit(frame, schema_of(frame))
    out = recipe.transform(frame)
    assert out["c"].iloc[-1] == "__other__"
    assert out["c"].cat.categories.tolist() == ["a", "b", "__other__"]


def test_rare_share_threshold_applies_too():
    frame = pd.DataFrame({"c": ["a"] * 98 + ["b"] * 2})
    recipe = Recipe(rare_min_count=1, rare_min_share=0.05).fit(frame, schema_of(frame))
    assert recipe.transform(frame)["c"].cat.categories.tolist() == ["a", "__other__"]


def test_at_most_max_categories_are_kept_most_frequent_first():
    frame = pd.DataFrame({"c": list("aaabbc")})
    recipe = Recipe(rare_min_count=1, rare_min_share=0.0, max_categories=2)
    out = recipe.fit(frame, schema_of(frame)).transform(frame)
    assert out["c"].cat.categories.tolist() == ["a", "b", "__other__"]
    assert out["c"].iloc[-1] == "__other__"


def test_recipe_learns_only_from_the_training_rows():
    frame = pd.DataFrame({"c": ["a", "b", "a", "b", "test_only", "test_only"]})
    train, test = frame.iloc[:4], frame.iloc[4:]
    recipe = fit(train)
    out = recipe.transform(test)
    assert "test_only" not in out["c"].cat.categories
    assert out["c"].tolist() == ["__other__", "__other__"]


def test_category_values_match_after_stripping_and_number_spelling():
    recipe = fit(pd.DataFrame({"c": ["1", "2", "2"]}))
    out = recipe.transform(pd.DataFrame({"c": pd.Series([1, 2.0, " 2 "], dtype=object)}))
    assert out["c"].tolist() == ["1", "2", "2"]


def test_blank_category_is_missing():
    recipe = fit(pd.DataFrame({"c": ["a", "b"]}))
    assert recipe.transform(pd.DataFrame({"c": ["  ", ""]}))["c"].isna().all()


# --------------------------------------------------------------------- boolean
def test_boolean_maps_yes_to_one_and_no_to_zero():
    frame = pd.DataFrame({"b": ["No", "Yes", None, "yes"]})
    recipe = fit(frame, b=R.BOOLEAN)
    out = recipe.transform(frame)["b"]
    assert out.dtype == "float64"
    assert out.tolist()[:2] == [0.0, 1.0] and np.isnan(out.iloc[2]) and out.iloc[3] == 1.0
    assert "'Yes' = 1" in recipe.describe()[0]


def test_boolean_true_false_dtype_and_json_numbers_agree():
    recipe = fit(pd.DataFrame({"b": [True, False, True]}), b=R.BOOLEAN)
    out = recipe.transform(pd.DataFrame({"b": pd.Series(["true", 0, 1], dtype=object)}))
    assert out["b"].tolist() == [1.0, 0.0, 1.0]


def test_boolean_value_never_seen_becomes_nan():
    recipe = fit(pd.DataFrame({"b": ["Y", "N"]}), b=R.BOOLEAN)
    assert np.isnan(recipe.transform(pd.DataFrame({"b": ["maybe"]}))["b"].iloc[0])


def test_boolean_role_with_three_training_values_becomes_categorical():
    frame = pd.DataFrame({"b": ["Y", "N", "unknown"]})
    recipe = fit(frame, b=R.BOOLEAN)
    assert recipe.features == [{"name": "b", "kind": "categorical", "source": "b"}]


# --------------------------------------------------------------------- datetime
def test_datetime_becomes_year_month_dayofweek_and_days_since_1970():
    frame = pd.DataFrame({"d": ["2024-01-01", "2024-02-15", None]})
    out = fit(frame, d=R.DATETIME).transform(frame)
    assert list(out.columns) == ["d__year", "d__month", "d__dayofweek", "d__days"]
    assert out.iloc[0].tolist() == [2024.0, 1.0, 0.0, 19723.0]  # a Monday
    assert out.iloc[1].tolist() == [2024.0, 2.0, 3.0, 19768.0]
    assert out.iloc[2].isna().all() and (out.dtypes == "float64").all()


def test_datetime_dtype_and_unreadable_text_dates():
    frame = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    recipe = fit(frame, d=R.DATETIME)
    out = recipe.transform(pd.DataFrame({"d": ["2024-01-03", "not a date"]}))
    assert out["d__days"].iloc[0] == 19725.0 and np.isnan(out["d__days"].iloc[1])


# --------------------------------------------------------------------- text
def test_text_is_str_with_empty_string_for_missing():
    frame = pd.DataFrame({"t": ["good service", None, "slow"]})
    out = fit(frame, t=R.TEXT).transform(frame)
    assert out["t"].tolist() == ["good service", "", "slow"]
    assert pd.api.types.is_string_dtype(out["t"].dtype)


def test_personal_data_inside_text_is_masked():
    frame = pd.DataFrame({"t": ["call me on 13800138000 please", "fine"]})
    out = fit(frame, t=R.TEXT).transform(frame)
    assert "13800138000" not in out["t"].iloc[0] and out["t"].iloc[0].startswith("call me on")
    assert out["t"].iloc[1] == "fine"


def test_personal_data_inside_text_is_kept_with_pii_keep():
    frame = pd.DataFrame({"t": ["call me on 13800138000 please", "fine"]})
    out = fit(frame, recipe=Recipe(pii="keep"), t=R.TEXT).transform(frame)
    assert out["t"].iloc[0] == "call me on 13800138000 please"


# --------------------------------------------------------------------- drops
def test_id_constant_and_empty_roles_are_dropped_with_their_reason():
    frame = pd.DataFrame(
        {"id": ["a1", "a2", "a3"], "k": [1, 1, 1], "e": [None, None, None], "n": [1.0, 2.0, 3.0]}
    )
    recipe = fit(frame, id=R.ID, k=R.CONSTANT, e=R.EMPTY, n=R.NUMERIC)
    assert recipe.dropped == {"id": "id", "k": "constant", "e": "empty"}
    assert recipe.output_columns == ["n"]


def test_constant_and_empty_are_judged_on_the_training_rows():
    frame = pd.DataFrame({"c": ["a", "a", "b"], "n": [np.nan, np.nan, 1.0]})
    recipe = fit(frame.iloc[:2], n=R.NUMERIC)
    assert recipe.dropped == {"c": "constant", "n": "empty"}


def test_a_column_of_personal_data_is_dropped_as_pii():
    frame = pd.DataFrame({"phone": ["13800138000", "13900139000", "13700137000"], "n": [1, 2, 3]})
    recipe = fit(frame, phone=R.CATEGORICAL, n=R.NUMERIC)
    assert recipe.dropped == {"phone": "pii"}


def test_drop_given_with_reasons_and_as_a_list():
    frame = pd.DataFrame({"fail": [0.0, 1.0], "note": ["a", "b"], "n": [1.0, 2.0]})
    recipe = fit(frame, drop={"fail": "leakage"}, fail=R.NUMERIC, n=R.NUMERIC)
    assert recipe.dropped == {"fail": "leakage"}
    recipe = fit(frame, drop=["note"], fail=R.NUMERIC, n=R.NUMERIC)
    assert recipe.dropped == {"note": "user"}


def test_dropping_an_unknown_column_is_a_data_error_naming_it():
    frame = pd.DataFrame({"n": [1.0, 2.0]})
    with pytest.raises(DataError, match="'nope'"):
        fit(frame, drop=["nope"], n=R.NUMERIC)


def test_target_is_not_a_feature_and_is_ignored_at_transform():
    frame = pd.DataFrame({"n": [1.0, 2.0], "y": ["a", "b"]})
    recipe = fit(frame, target="y", n=R.NUMERIC)
    assert recipe.output_columns == ["n"] and "y" not in recipe.dropped
    assert recipe.transform(frame).equals(recipe.transform(frame.drop(columns="y")))


# --------------------------------------------------------------------- absent columns
def test_absent_required_columns_are_a_data_error_naming_each_and_the_fix():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "c": [3.0, 4.0]})
    recipe = fit(frame, a=R.NUMERIC, c=R.NUMERIC)
    with pytest.raises(DataError) as err:
        recipe.transform(frame[["b"]])
    assert "'a', 'c'" in str(err.value) and "add the column" in str(err.value)
    assert err.value.column == "a"


def test_absent_optional_column_is_all_missing():
    frame = pd.DataFrame(
        {
            "a": [1.0, np.nan, 2.0],
            "c": ["x", None, "y"],
            "t": ["hi", None, "yo"],
            "r": [1.0, 2.0, 3.0],
        }
    )
    recipe = fit(frame, a=R.NUMERIC, t=R.TEXT, r=R.NUMERIC)
    assert recipe.optional_columns == ["a", "c", "t"] and recipe.required_columns == ["r"]
    out = recipe.transform(pd.DataFrame({"r": [5.0]}))
    assert np.isnan(out["a"].iloc[0]) and pd.isna(out["c"].iloc[0]) and out["t"].iloc[0] == ""
    assert out["c"].cat.categories.tolist() == ["x", "y", "__other__"]


def test_data_with_none_of_the_input_columns_is_a_data_error_even_if_all_are_optional():
    frame = pd.DataFrame({"review": ["good", None, "bad"], "n": [1.0, np.nan, 2.0]})
    recipe = fit(frame, review=R.TEXT, n=R.NUMERIC)
    assert recipe.required_columns == []
    with pytest.raises(DataError) as err:
        recipe.transform(pd.DataFrame({"body": ["fine"]}))
    assert "none of the model's input columns ('review', 'n')" in err.value.message
    assert "'body'" in err.value.message and err.value.column == "review"
    assert recipe.transform(pd.DataFrame({"n": [3.0]}))["review"].iloc[0] == ""


def test_absent_dropped_column_is_ignored():
    frame = pd.DataFrame({"id": ["a", "b"], "n": [1.0, 2.0]})
    out = fit(frame, id=R.ID, n=R.NUMERIC).transform(pd.DataFrame({"n": [3.0]}))
    assert out["n"].tolist() == [3.0]


# --------------------------------------------------------------------- what it reports
def test_features_name_kind_and_source():
    frame = pd.DataFrame({"d": ["2024-01-01", "2024-01-02"], "b": ["Y", "N"], "t": ["x", "y"]})
    recipe = fit(frame, d=R.DATETIME, b=R.BOOLEAN, t=R.TEXT)
    kinds = {f["name"]: (f["kind"], f["source"]) for f in recipe.features}
    assert kinds["d__days"] == ("numeric", "d") and kinds["b"] == ("numeric", "b")
    assert kinds["t"] == ("text", "t") and len(kinds) == 6
    assert recipe.input_columns == ["d", "b", "t"]


def test_describe_says_each_step_in_plain_words():
    frame = pd.DataFrame({"TotalCharges": ["29.85", " ", "1,889.5", " "], "id": list("abcd")})
    recipe = fit(frame, TotalCharges=R.NUMERIC, id=R.ID)
    lines = recipe.describe()
    assert lines[0].startswith("TotalCharges: numbers stored as text -> number")
    assert "2 blanks -> missing" in lines[0]
    assert lines[1].startswith("id: dropped (id")


def test_a_failed_fit_leaves_the_recipe_unfitted():
    frame = pd.DataFrame({"n": ["1", "x", "3"]})
    recipe = Recipe()
    with pytest.raises(DataError):
        recipe.fit(frame, schema_of(frame, n=R.NUMERIC))
    with pytest.raises(NotFittedError):
        recipe.transform(frame)


def test_fit_on_no_rows_is_a_data_error():
    frame = pd.DataFrame({"n": pd.Series([], dtype="float64")})
    with pytest.raises(DataError, match="training rows"):
        Recipe().fit(frame, schema_of(frame, n=R.NUMERIC))
