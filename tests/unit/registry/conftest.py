"""Registry fixtures: fake artifact folders (fast) and one tiny trained model (real)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bizforge.manifest import write_manifest
from bizforge.registry import Registry


def make_artifact(folder: Path, *, score: float = 0.8, payload: bytes = b"tree\n") -> Path:
    """A minimal model folder: model.json, metrics.json, one weights file, a manifest."""
    (folder / "ensemble").mkdir(parents=True)
    info = {"format": 1, "created": "2026-01-01T00:00:00+00:00",
            "task": {"kind": "tabular-classification", "problem": "binary", "target": "churn",
                     "classes": ["no", "yes"], "positive": "yes", "metric": "roc_auc"},
            "input_schema": [{"name": "tenure", "role": "numeric", "missing": 0, "unique": 9},
                             {"name": "plan", "role": "categorical", "missing": 1,
                              "unique": 3}],
            "config": {"seed": 0, "time_limit": 2}, "data_fingerprint": "ab" * 32,
            "libraries": {"python": "3.11"}, "threshold": 0.4}
    metrics = {"task": "tabular-classification", "metric": "roc_auc",
               "test": {"roc_auc": score, "accuracy": 0.75, "gain": [{"top": 0.1}]},
               "rows": {"train": 160, "test": 40}, "dropped_columns": {"phone": "pii"},
               "leaderboard": [{"name": "lightgbm", "score": 0.7, "weight": 1.0}]}
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    (folder / "ensemble" / "model.txt").write_bytes(payload)
    write_manifest(folder)
    return folder


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def database(request, monkeypatch) -> str:
    """Every registry test runs twice: on SQLite in the home folder, and on a fresh
    database of a real PostgreSQL server (``BIZFORGE_DATABASE_URL``)."""
    if request.param == "postgresql":
        only = request.node.get_closest_marker("sqlite_only")
        if only is not None:
            pytest.skip(f"SQLite only: {only.args[0]}")
        monkeypatch.setenv("BIZFORGE_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return request.param


@pytest.fixture
def artifact(tmp_path) -> Path:
    return make_artifact(tmp_path / "run")


@pytest.fixture
def artifact_factory(tmp_path):
    """``artifact_factory("b", score=0.9)`` -> a new fake model folder."""
    return lambda name, **kw: make_artifact(tmp_path / name, **kw)


@pytest.fixture
def registry():
    reg = Registry()  # BIZFORGE_HOME is the test's own folder (tests/conftest.py)
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory) -> Path:
    """One real tiny model for the tests that load a Predictor (trained once)."""
    from bizforge.pipeline import train
    from bizforge.samples import CHURN_TARGET, churn_table

    root = tmp_path_factory.mktemp("trained")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIZFORGE_HOME", str(root / "home"))  # nothing may touch a real home
        run = train(churn_table(200), CHURN_TARGET, time_limit=5, out=root / "model")
    return run.path
