"""Loading real models through the registry: Registry.load and load_model(name)."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.errors import IntegrityError, ModelNotFound
from bizforge.samples import churn_table
from bizforge.families.loading import load_folder
from bizforge.serve import load_model
from bizforge.families.tabular.predictor import Predictor


@pytest.fixture
def rows():
    return churn_table(20, seed=11)


def test_registry_load_predicts_like_the_trained_folder(registry, trained_model, rows):
    registry.publish(trained_model, "churn")
    loaded = registry.load("churn", load_folder)
    expected = Predictor.load(trained_model).predict_proba(rows)
    np.testing.assert_allclose(loaded.predict_proba(rows).to_numpy(), expected.to_numpy())
    assert loaded.path == registry.get("churn").path


def test_load_model_resolves_names_versions_and_aliases(registry, trained_model, rows):
    registry.publish(trained_model, "churn")
    registry.publish(trained_model, "churn")
    registry.promote("churn", 1, alias="staging")
    assert load_model("churn").path.name == "2"
    assert load_model("churn:1").path.name == "1"
    assert load_model("churn@staging").path.name == "1"
    assert len(load_model("churn@staging").predict(rows)) == 20


def test_load_model_still_takes_a_folder(trained_model):
    assert load_model(trained_model).path == trained_model


def test_load_model_of_an_unknown_name_lists_what_exists(registry, trained_model):
    registry.publish(trained_model, "churn")
    with pytest.raises(ModelNotFound, match="no model named 'sales'") as err:
        load_model("sales")
    assert "churn" in err.value.fix


def test_load_model_of_a_missing_path_keeps_the_folder_message(tmp_path):
    with pytest.raises(ModelNotFound, match="no model at"):
        load_model(tmp_path / "nowhere" / "model")


def test_load_refuses_a_flipped_byte_in_a_weights_file(registry, trained_model):
    mv = registry.publish(trained_model, "churn")
    weights = next(mv.path.rglob("model.txt"))
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="model.txt"):
        registry.load("churn", load_folder)
    with pytest.raises(IntegrityError):
        load_model("churn")


@pytest.mark.sqlite_only("a SQLite registry is a file that may not exist yet")
def test_load_model_of_a_name_without_any_registry_creates_nothing(tmp_path):
    from bizforge.registry import Registry

    with pytest.raises(ModelNotFound, match="no registry"):
        load_model("churn")
    assert not Registry().home.exists()
