"""--keep / --drop: the user overrides the findings' drop suggestions, checked up front."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.clean import Recipe, profile
from bizforge.clean.overrides import column_notes, plan_drops
from bizforge.errors import UsageError
from bizforge.ingest import read


@pytest.fixture(scope="module")
def prof():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    frame = pd.DataFrame({
        "customer_no": np.arange(1000, 1300),
        "refund": y * 40 + rng.uniform(0, 1, 300),  # a copy of the target: leakage
        "tenure": rng.integers(0, 60, 300),
        "left": y,
    })
    return profile(frame, target="left")


def test_suggested_drops_are_planned_without_overrides(prof):
    assert plan_drops(prof).drop == {"customer_no": "id", "refund": "leakage"}


def test_keep_removes_a_leakage_drop_and_records_it_as_kept(prof):
    plan = plan_drops(prof, keep=["refund"])
    assert "refund" not in plan.drop and plan.kept == {"refund": "leakage"}


def test_drop_adds_a_column_with_reason_user(prof):
    assert plan_drops(prof, drop=["tenure"]).drop["tenure"] == "user"


def test_keep_of_an_unknown_column_names_the_closest(prof):
    with pytest.raises(UsageError, match="did you mean 'tenure'"):
        plan_drops(prof, keep=["tenur"])


def test_the_target_cannot_be_kept_or_dropped(prof):
    with pytest.raises(UsageError, match="names the target"):
        plan_drops(prof, drop=["left"])


def test_a_column_both_kept_and_dropped_is_refused(prof):
    with pytest.raises(UsageError, match="both kept"):
        plan_drops(prof, keep=["tenure"], drop=["tenure"])


def test_recipe_uses_a_kept_identifier_as_a_number():
    ds = read(pd.DataFrame({"code": np.arange(50), "x": np.arange(50) % 7, "y": [0, 1] * 25}))
    recipe = Recipe().fit(ds.frame, ds.schema, target="y", keep=["code"])
    assert "code" not in recipe.dropped and "code" in recipe.transform(ds.frame).columns


def test_notes_say_why_a_column_was_dropped_and_how_to_keep_it():
    dropped, kept = column_notes({"HDF": "leakage"}, {"UDI": "id"})
    assert "'HDF' dropped before training: target leakage" in dropped
    assert "--keep 'HDF'" in dropped
    assert "'UDI' kept on request (--keep)" in kept and "identifier" in kept
