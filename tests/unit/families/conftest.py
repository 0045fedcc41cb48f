"""Shared fixtures of the family tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory) -> Path:
    """One real tiny tabular model, trained once per module."""
    from bizforge.pipeline import train
    from bizforge.samples import CHURN_TARGET, churn_table

    root = tmp_path_factory.mktemp("trained")
    return train(churn_table(200, seed=3), CHURN_TARGET, time_limit=3,
                 out=root / "model").path
