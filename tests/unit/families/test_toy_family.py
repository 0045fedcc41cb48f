"""One folder-free class + one registration: a new family trains, saves, loads, predicts,
answers its REST action and shows up in list_tasks() and the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel, Field
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.errors import UsageError
from bizforge.families import (
    Action,
    Family,
    FamilyOptions,
    FamilyPredictor,
    Trained,
    catalog,
    list_tasks,
    load_model,
    register_family,
)
from bizforge.pipeline import train

runner = CliRunner()


class ToyOptions(FamilyOptions):
    suffix: str = Field("", description="Appended to every predicted label.")


class Rows(BaseModel):
    n: int


class Labels(BaseModel):
    predictions: list[str]


class ToyPredictor(FamilyPredictor):
    family = "toy"

    def __init__(self, label: str):
        self.label, self.info = label, {"task": "toy-majority"}

    def save(self, folder: Path) -> None:
        (folder / "toy.json").write_text(json.dumps({"label": self.label}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ToyPredictor:
        return cls(json.loads((folder / "toy.json").read_text(encoding="utf-8"))["label"])

    def predict(self, data) -> np.ndarray:
        return np.array([self.label] * len(data), dtype=object)

    def score(self, data, *, explain=False, progress=None) -> pd.DataFrame:
        return data.assign(prediction=self.predict(data))

    def actions(self) -> list[Action]:
        return [Action("predict", Rows, Labels,
                       lambda request: {"predictions": [self.label] * request.n})]


class ToyFamily(Family):
    """Predicts the most frequent label (plus a suffix)."""

    name = "toy"
    tasks = ("toy-majority",)
    Options = ToyOptions

    @classmethod
    def recognise(cls, source, target) -> float:
        return 0.0  # never claims data for --task auto

    def inspect(self, source, *, target, options, lang="en"):
        return Counter(source.dataset().frame[target])

    def train(self, source, *, target, task, options, test, time_limit, seed=0, lang="en",
              progress=None) -> Trained:
        label = str(source.dataset().frame[target].mode()[0]) + options.suffix
        metrics = {"task": task, "metric": "none", "test": {}, "leaderboard": [],
                   "fit_seconds": 0.0}
        return Trained(ToyPredictor(label), metrics, _Report())

    @classmethod
    def load(cls, folder: Path) -> ToyPredictor:
        return ToyPredictor.load(folder)


class _Report:
    def save(self, path: Path) -> None:
        Path(path).write_text("<html>toy</html>", encoding="utf-8")


@pytest.fixture
def toy():
    catalog._load_all()
    register_family(ToyFamily)  # the one registration line
    yield ToyFamily
    catalog._REGISTRY.pop("toy", None)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"x": range(6), "y": ["a", "b", "b", "b", "a", "b"]})


def test_a_registered_family_appears_in_list_tasks(toy):
    assert "toy-majority" in list_tasks()


def test_a_registered_family_trains_saves_and_records_its_name(toy, frame, tmp_path):
    run = train(frame, "y", task="toy-majority", out=tmp_path / "m", suffix="!")
    manifest = json.loads((run.path / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["family"], sorted(manifest["files"])) == (
        "toy", ["metrics.json", "report.html", "toy.json"])


def test_a_saved_toy_model_loads_through_its_family_and_predicts(toy, frame, tmp_path):
    run = train(frame, "y", task="toy-majority", out=tmp_path / "m", suffix="!")
    assert load_model(run.path).predict(frame.head(2)).tolist() == ["b!", "b!"]


def test_a_toy_action_answers_its_request_model(toy, frame, tmp_path):
    run = train(frame, "y", task="toy-majority", out=tmp_path / "m")
    (action,) = load_model(run.path).actions()
    assert action.handle(action.request(n=2)) == {"predictions": ["b", "b"]}


def test_an_option_of_another_family_is_refused_naming_its_tasks(toy, frame, tmp_path):
    with pytest.raises(UsageError, match="--cost-fp applies to tabular classification"):
        train(frame, "y", task="toy-majority", out=tmp_path / "m", cost_fp=1.0)


def test_a_toy_option_is_refused_for_a_table(toy, frame, tmp_path):
    with pytest.raises(UsageError, match="--suffix applies to toy majority"):
        train(frame, "y", task="tabular-classification", out=tmp_path / "m", suffix="!")


def test_the_cli_help_lists_the_toy_task_and_its_option(toy):
    result = runner.invoke(app, ["train", "--help"])
    assert "toy-majority" in result.output and "--suffix" in result.output


def test_the_cli_trains_a_toy_model_with_its_option(toy, frame, tmp_path):
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", "y", "--task", "toy-majority",
                                 "--suffix", "?", "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert load_model(tmp_path / "m").predict(frame.head(1)).tolist() == ["b?"]
