"""check_model itself: passes a good backend, names the check a broken one fails."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.models import Tags, get_model
from bizforge.models.linear import LinearModel
from bizforge.testing import CHECKS, check_model, make_frame


class UnseededModel(LinearModel):
    """Adds fresh noise at every fit: same seed, different predictions."""

    def _fit(self, X, y, valid):
        super()._fit(X, y, valid)
        self.intercept_ = self.intercept_ + np.random.default_rng().normal(size=1)


class ForgetfulModel(LinearModel):
    """Does not save its coefficients faithfully."""

    def _state(self):
        state = super()._state()
        state["intercept"] = [v + 0.5 for v in state["intercept"]]
        return state


class OrderSensitiveModel(LinearModel):
    """Reads columns by position, so reordering changes predictions."""

    def _check_X(self, X):
        self._require_fitted()
        return self.spec_.encode(X.set_axis(self.feature_names_, axis=1))


class NoProblemModel(LinearModel):
    tags = Tags(problems=("regression",), explains=True)


def test_good_backend_passes():
    check_model(LinearModel, "binary")


def test_factory_callable_is_accepted():
    check_model(lambda: get_model("linear")("regression", alpha=2.0), "regression")


@pytest.mark.parametrize(("broken", "check"), [
    (UnseededModel, "check_same_seed_same_predictions"),
    (ForgetfulModel, "check_save_load_identical"),
    (OrderSensitiveModel, "check_column_order"),
])
def test_broken_backend_fails_the_named_check(broken, check):
    with pytest.raises(AssertionError, match=f"^{check}:"):
        check_model(broken, "binary")


def test_unsupported_problem_must_be_refused():
    check_model(NoProblemModel, "binary")


def test_frame_has_numeric_categorical_and_missing_columns():
    X, y = make_frame("multiclass")
    assert len(X) == 120 and set(np.unique(y)) == {0, 1, 2}
    assert X["plan"].dtype == "category" and X["gaps"].isna().any()
    assert X["region"].isna().any()


def test_every_contract_behaviour_has_a_check():
    assert {"check_fit_returns_self", "check_not_fitted", "check_save_load_identical",
            "check_same_seed_same_predictions", "check_column_order", "check_missing_column",
            "check_missing_values", "check_empty_input", "check_predict_proba",
            "check_no_pickle"} <= set(CHECKS)
