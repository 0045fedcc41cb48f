"""Model folders saved before task families existed (no ``family`` in the manifest)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from bizforge.errors import ModelError
from bizforge.families import load_model
from bizforge.manifest import MANIFEST, write_manifest
from bizforge.samples import churn_table


def _as_before_families(folder, tmp_path, **model_changes):
    """A copy of ``folder`` whose manifest is what the old ``_save`` wrote (no family)."""
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    if model_changes:
        info = json.loads((old / "model.json").read_text(encoding="utf-8"))
        info.update(model_changes)
        (old / "model.json").write_text(json.dumps(info), encoding="utf-8")
    manifest = json.loads((old / MANIFEST).read_text(encoding="utf-8"))
    (old / MANIFEST).unlink()
    write_manifest(old, extra={"bizforge_version": manifest["bizforge_version"],
                               "task": manifest["task"]})
    return old


def test_the_new_manifest_names_the_family(trained_model):
    manifest = json.loads((trained_model / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["family"] == "tabular"


def test_a_folder_saved_before_families_loads_and_predicts_the_same(trained_model, tmp_path):
    old = _as_before_families(trained_model, tmp_path)
    rows = churn_table(20, seed=11)
    np.testing.assert_allclose(load_model(old).predict_proba(rows).to_numpy(),
                               load_model(trained_model).predict_proba(rows).to_numpy())


def test_a_folder_before_families_with_an_unknown_task_is_refused_by_name(trained_model,
                                                                          tmp_path):
    old = _as_before_families(trained_model, tmp_path, task={"kind": "time-travel"})
    with pytest.raises(ModelError, match="task 'time-travel'"):
        load_model(old)
