"""The backend registry: register, look up, filter, load whatever was saved."""

from __future__ import annotations

import pytest

from bizforge.errors import UsageError
from bizforge.models import Model, Tags, get_model, list_models, load_model, register_model
from bizforge.models.catalog import _REGISTRY
from bizforge.testing import make_frame


def test_builtin_backends_are_registered():
    assert {"lightgbm", "linear", "mlp"} <= set(list_models())


def test_unknown_name_lists_valid_names():
    with pytest.raises(UsageError, match="unknown model 'xgb'.*lightgbm, linear, mlp"):
        get_model("xgb")


def test_list_models_filters_by_problem_and_text():
    assert "linear" in list_models("regression")
    assert {"tfidf_linear", "embed_linear", "finetune"} <= set(list_models(text=True))
    assert not {"linear", "lightgbm", "mlp"} & set(list_models(text=True))
    assert "mlp" in list_models("multiclass", text=False)


def test_register_model_sets_the_name_and_refuses_a_taken_one():
    try:
        @register_model("dummy-test")
        class Dummy(Model):
            tags = Tags(problems=("regression",))

        assert Dummy.name == "dummy-test" and get_model("dummy-test") is Dummy
        with pytest.raises(UsageError, match="already taken"):
            @register_model("dummy-test")
            class Other(Model):
                pass
    finally:
        _REGISTRY.pop("dummy-test", None)


def test_register_model_needs_a_model_subclass():
    with pytest.raises(TypeError, match="Model subclass"):
        register_model("nope")(dict)


def test_load_model_picks_the_saved_backend(tmp_path):
    X, y = make_frame("binary")
    get_model("lightgbm")("binary").fit(X, y).save(tmp_path)
    assert type(load_model(tmp_path)).__name__ == "LightGBMModel"
    assert type(Model.load(tmp_path)).__name__ == "LightGBMModel"
