"""The shared Model contract: validation, schema recording, encoding, persistence."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, ModelError, NotFittedError, UsageError
from bizforge.models import Model, Tags, get_model
from bizforge.models.columns import ColumnSpec
from bizforge.testing import make_frame


class MeanModel(Model):
    """A tiny strict backend (no missing values), not registered."""

    name = "mean-test"
    tags = Tags(problems=("regression",), handles_missing=False)
    defaults: ClassVar[dict] = {"shift": 0.0}

    def _fit(self, X, y, valid):
        self.mean_ = float(y.mean()) + self.params_["shift"]
        self.feature_importances_ = np.zeros(X.shape[1])

    def _predict_value(self, X):
        return np.full(len(X), self.mean_)

    def _state(self):
        return {"mean": self.mean_}

    def _restore(self, state, directory):
        self.mean_ = state["mean"]


def frame(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({
        "age": np.arange(n, dtype=float),
        "plan": pd.Categorical(["a", "b", "__other__"] * (n // 3), categories=["a", "b", "__other__"]),
    })


def fitted_linear(problem: str = "binary"):
    X, y = make_frame(problem)
    return get_model("linear")(problem).fit(X, y, seed=0), X


def test_constructor_stores_parameters_only():
    model = get_model("linear")("binary", C=0.3)
    assert model.params == {"C": 0.3} and not hasattr(model, "coef_")


def test_fit_records_names_dtypes_and_categories():
    X = frame()
    model = MeanModel("regression").fit(X, np.arange(6.0))
    assert model.feature_names_ == ["age", "plan"]
    assert model.dtypes_ == {"age": "float64", "plan": "category"}
    assert model.categories_ == {"plan": ["a", "b", "__other__"]}
    assert model.n_features_in_ == 2 and model.n_classes_ is None


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        MeanModel("regression").predict(frame())


def test_missing_column_is_named():
    model = MeanModel("regression").fit(frame(), np.arange(6.0))
    with pytest.raises(DataError, match="'plan'") as err:
        model.predict(frame().drop(columns="plan"))
    assert err.value.column == "plan"


def test_nan_in_strict_model_names_the_column_and_row():
    model = MeanModel("regression").fit(frame(), np.arange(6.0))
    X = frame().assign(age=[1.0, np.nan, 3, 4, 5, 6])
    with pytest.raises(DataError, match="'age' has missing values") as err:
        model.predict(X)
    assert err.value.column == "age" and err.value.rows == [2]


def test_nan_at_fit_in_strict_model_is_refused():
    with pytest.raises(DataError, match="'age'"):
        MeanModel("regression").fit(frame().assign(age=np.nan), np.arange(6.0))


def test_empty_frame_is_refused_at_predict():
    model = MeanModel("regression").fit(frame(), np.arange(6.0))
    with pytest.raises(DataError, match="no rows"):
        model.predict(frame().iloc[:0])


def test_empty_frame_is_refused_at_fit():
    with pytest.raises(DataError, match="empty"):
        MeanModel("regression").fit(frame().iloc[:0], np.array([]))


def test_text_in_numeric_column_names_column_and_rows():
    model = MeanModel("regression").fit(frame(), np.arange(6.0))
    X = frame().astype({"age": object})
    X.loc[4, "age"] = "forty"
    with pytest.raises(DataError, match="'age' expects numbers") as err:
        model.predict(X)
    assert err.value.rows == [5]


def test_numbers_sent_as_text_are_accepted():
    model = MeanModel("regression").fit(frame(), np.arange(6.0))
    X = frame().astype({"age": str})
    assert model.predict(X).shape == (6,)


def test_infinite_value_is_refused():
    model = get_model("linear")("regression").fit(frame(), np.arange(6.0))
    with pytest.raises(DataError, match="'age' holds an infinite value"):
        model.predict(frame().assign(age=np.inf))


def test_text_column_is_refused_by_tabular_backend():
    with pytest.raises(DataError, match="'plan' holds text") as err:
        MeanModel("regression").fit(frame().astype({"plan": str}), np.arange(6.0))
    assert "Recipe" in str(err.value)


def test_datetime_column_is_refused_with_fix():
    X = frame().assign(when=pd.date_range("2024-01-01", periods=6))
    with pytest.raises(DataError, match="'when'.*__year"):
        MeanModel("regression").fit(X, np.arange(6.0))


def test_target_length_mismatch_is_refused():
    with pytest.raises(DataError, match="target has shape"):
        MeanModel("regression").fit(frame(), np.arange(5.0))


def test_text_labels_are_refused_for_classification():
    with pytest.raises(DataError, match="class indices"):
        get_model("linear")("binary").fit(frame(), np.array(["y", "n"] * 3))


def test_single_class_target_is_refused():
    with pytest.raises(DataError, match="only one class"):
        get_model("linear")("binary").fit(frame(), np.zeros(6, dtype=int))


def test_binary_with_three_classes_is_refused():
    with pytest.raises(DataError, match="binary target has 3 classes"):
        get_model("linear")("binary").fit(frame(), np.array([0, 1, 2] * 2))


def test_n_classes_param_keeps_absent_classes():
    model = get_model("linear")("multiclass", n_classes=4).fit(frame(), np.array([0, 1, 2] * 2))
    assert model.predict_proba(frame()).shape == (6, 4)


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(UsageError, match="no parameter 'Cee'.*C"):
        get_model("linear")("binary", Cee=1).fit(frame(), np.array([0, 1] * 3))


def test_unknown_preset_lists_valid_ones():
    with pytest.raises(UsageError, match="no preset 'huge'.*default"):
        get_model("linear")("binary", preset="huge").fit(frame(), np.array([0, 1] * 3))


def test_unsupported_problem_is_refused():
    with pytest.raises(UsageError, match="does not do 'binary'"):
        MeanModel("binary").fit(frame(), np.array([0, 1] * 3))


def test_predict_proba_on_regression_is_a_usage_error():
    model = MeanModel("regression").fit(frame(), np.arange(6.0))
    with pytest.raises(UsageError, match="predict_proba is for classification"):
        model.predict_proba(frame())


def test_contributions_on_non_explaining_backend_is_a_usage_error():
    model = MeanModel("regression").fit(frame(), np.arange(6.0))
    with pytest.raises(UsageError, match="does not explain"):
        model.contributions(frame())


def test_unseen_category_maps_to_other():
    spec = ColumnSpec.from_frame(frame())
    X = frame().assign(plan=pd.Categorical(["zzz", "a", None, "b", "a", "a"]))
    assert spec.encode(X)[:3, 1].tolist()[:2] == [2.0, 0.0] and np.isnan(spec.encode(X)[2, 1])


def test_plain_strings_are_encoded_for_a_categorical_column():
    spec = ColumnSpec.from_frame(frame())
    X = frame().assign(plan=["b", "a", "__other__", "b", "a", "a"])
    assert spec.encode(X)[:, 1].tolist() == [1.0, 0.0, 2.0, 1.0, 0.0, 0.0]


def test_reordered_categories_are_re_coded():
    spec = ColumnSpec.from_frame(frame())
    X = frame()
    X["plan"] = X["plan"].cat.reorder_categories(["__other__", "b", "a"])
    assert np.array_equal(spec.encode(X), spec.encode(frame()))


def test_save_load_round_trip_keeps_state(tmp_path):
    model = MeanModel("regression", shift=1.5).fit(frame(), np.arange(6.0), seed=3)
    model.save(tmp_path)
    loaded = MeanModel.load(tmp_path)
    assert loaded.mean_ == model.mean_ and loaded.seed_ == 3
    assert loaded.params == {"shift": 1.5} and loaded.feature_names_ == ["age", "plan"]


def test_load_of_missing_folder_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="no saved model"):
        Model.load(tmp_path / "nothing")


def test_load_with_the_wrong_backend_class_is_refused(tmp_path):
    model, _ = fitted_linear()
    model.save(tmp_path)
    with pytest.raises(ModelError, match="holds a 'linear' model"):
        get_model("mlp").load(tmp_path)


def test_fit_seeds_numpy_random():
    MeanModel("regression").fit(frame(), np.arange(6.0), seed=7)
    first = np.random.random()
    MeanModel("regression").fit(frame(), np.arange(6.0), seed=7)
    assert np.random.random() == first


def test_tags_are_data():
    assert get_model("lightgbm").tags.to_dict()["explains"] is True
    assert get_model("mlp").tags.explains is False
