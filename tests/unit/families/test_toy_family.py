"""One folder-free class + one registration: a new family trains, saves, loads, predicts,
answers its REST actions (in Python and over HTTP, JSON and multipart uploads, with its
schemas in /openapi.json) and shows up in list_tasks() and the CLI."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import Base64Bytes, BaseModel, Field
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


class Blob(BaseModel):
    name: str
    data: Base64Bytes


class Blobs(BaseModel):
    """Files as base64 JSON; a multipart upload is read into the same model."""

    files: list[Blob] = Field(min_length=1)


class Sizes(BaseModel):
    sizes: dict[str, int]


def blobs_from_upload(files: list[tuple[str, bytes]]) -> Blobs:
    return Blobs(files=[{"name": name, "data": base64.b64encode(data)} for name, data in files])


class ToyPredictor(FamilyPredictor):
    family = "toy"

    def __init__(self, label: str):
        self.label, self.info = label, {"task": "toy-majority"}

    def save(self, folder: Path) -> None:
        (folder / "toy.json").write_text(json.dumps({"label": self.label}), encoding="utf-8")
        # the registry's model card reads model.json (the contract's ``info``)
        (folder / "model.json").write_text(json.dumps(self.info), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ToyPredictor:
        return cls(json.loads((folder / "toy.json").read_text(encoding="utf-8"))["label"])

    def predict(self, data) -> np.ndarray:
        return np.array([self.label] * len(data), dtype=object)

    def score(self, data, *, explain=False, progress=None) -> pd.DataFrame:
        return data.assign(prediction=self.predict(data))

    def batches(self, source, chunk_rows):
        if source.is_folder:  # one row per file, as an image family reads a folder
            yield pd.DataFrame({"file": sorted(p.name for p in source.path.iterdir())})
        else:
            yield from super().batches(source, chunk_rows)

    def actions(self) -> list[Action]:
        return [Action("predict", Rows, Labels,
                       lambda request: {"predictions": [self.label] * request.n}),
                Action("sizes", Blobs, Sizes,
                       lambda request: {"sizes": {f.name: len(f.data) for f in request.files}},
                       upload=True, from_upload=blobs_from_upload)]


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
        "toy", ["metrics.json", "model.json", "report.html", "toy.json"])


def test_a_saved_toy_model_loads_through_its_family_and_predicts(toy, frame, tmp_path):
    run = train(frame, "y", task="toy-majority", out=tmp_path / "m", suffix="!")
    assert load_model(run.path).predict(frame.head(2)).tolist() == ["b!", "b!"]


def test_a_toy_action_answers_its_request_model(toy, frame, tmp_path):
    run = train(frame, "y", task="toy-majority", out=tmp_path / "m")
    action = load_model(run.path).actions()[0]
    assert action.handle(action.request(n=2)) == {"predictions": ["b", "b"]}


def test_an_option_of_another_family_is_refused_naming_its_tasks(toy, frame, tmp_path):
    with pytest.raises(UsageError, match="--cost-fp applies to tabular classification"):
        train(frame, "y", task="toy-majority", out=tmp_path / "m", cost_fp=1.0)


def test_a_toy_option_is_refused_for_a_table(toy, frame, tmp_path):
    with pytest.raises(UsageError, match="--suffix applies to toy majority"):
        train(frame, "y", task="tabular-classification", out=tmp_path / "m", suffix="!")


def test_the_cli_help_lists_the_toy_task_and_its_option(toy):
    result = runner.invoke(app, ["train", "--help"])
    text = re.sub(r"-\s+", "-", result.output)  # the help wraps long lines after a hyphen
    assert "toy-majority" in text and "--suffix" in text


def test_the_cli_trains_a_toy_model_with_its_option(toy, frame, tmp_path):
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", "y", "--task", "toy-majority",
                                 "--suffix", "?", "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert load_model(tmp_path / "m").predict(frame.head(1)).tolist() == ["b?"]


# -- over HTTP: the shared server serves the toy family's actions, naming no family ------
@pytest.fixture
def http(toy, frame, tmp_path):
    """A TestClient over a registry with the toy model published as ``toy``."""
    from bizforge.registry import Registry, create_key
    from bizforge.serve.api import ServerOptions, create_app

    registry = Registry(home=tmp_path / "registry")
    registry.publish(train(frame, "y", task="toy-majority", out=tmp_path / "m"), "toy")
    key = create_key("predict", label="toy", registry=registry)[1]
    options = ServerOptions(preload=False, registry_poll=0.0, max_rows=3)
    with TestClient(create_app(registry=registry, options=options)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client
    registry.close()


def test_the_toy_predict_action_answers_over_http(http):
    response = http.post("/v1/models/toy/predict", json={"n": 2})
    assert (response.status_code, response.json()) == (200, {"predictions": ["b", "b"]})


def test_an_action_body_that_does_not_fit_its_request_model_is_a_422_naming_the_field(http):
    response = http.post("/v1/models/toy/predict", json={"n": "two"})
    assert (response.status_code, response.json()["loc"]) == (422, ["body", "n"])


def test_an_upload_action_takes_a_multipart_form_of_several_files(http):
    files = [("file", ("a.bin", b"abc")), ("file", ("b.bin", b"hello"))]
    response = http.post("/v1/models/toy/sizes", files=files)
    assert (response.status_code, response.json()) == (200, {"sizes": {"a.bin": 3, "b.bin": 5}})


def test_an_upload_action_takes_the_same_files_as_base64_json(http):
    body = {"files": [{"name": "a.bin", "data": base64.b64encode(b"abc").decode()}]}
    assert http.post("/v1/models/toy/sizes", json=body).json() == {"sizes": {"a.bin": 3}}


def test_an_upload_past_the_file_count_limit_is_a_413(http):
    files = [("file", (f"{i}.bin", b"x")) for i in range(4)]  # max_rows=3 in the fixture
    assert http.post("/v1/models/toy/sizes", files=files).status_code == 413


def test_a_multipart_form_to_a_json_action_is_a_415(http):
    response = http.post("/v1/models/toy/predict", files=[("file", ("a.bin", b"abc"))])
    assert response.status_code == 415 and "takes JSON" in response.json()["msg"]


def test_an_unknown_action_is_a_404_naming_the_actions_the_model_has(http):
    response = http.post("/v1/models/toy/forecast", json={})
    assert response.status_code == 404
    assert "its actions: predict, sizes" in response.json()["msg"]


def test_an_action_needs_a_key(http):
    del http.headers["Authorization"]
    assert http.post("/v1/models/toy/sizes", json={"files": []}).status_code == 401


def test_the_toy_actions_and_their_schemas_are_in_openapi(http):
    doc = http.get("/openapi.json").json()
    operation = doc["paths"]["/v1/models/toy/sizes"]["post"]
    request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert "files" in doc["components"]["schemas"][request_ref.rsplit("/", 1)[1]]["properties"]


def test_the_access_metrics_label_requests_with_the_action(http):
    http.post("/v1/models/toy/sizes", files=[("file", ("a.bin", b"abc"))])
    metrics = http.get("/metrics").text
    assert 'route="/v1/models/{name}/sizes"' in metrics


# -- the CLI's inspect and predict ask the family ------------------------------------------
def test_inspect_with_a_task_prints_what_the_family_inspect_returns(toy, frame, tmp_path):
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["inspect", str(data), "--target", "y", "--task", "toy-majority"])
    assert result.exit_code == 0, result.output
    assert "Counter({'b': 4, 'a': 2})" in result.output


def test_predict_streams_a_csv_through_the_family_score(toy, frame, tmp_path):
    train(frame, "y", task="toy-majority", out=tmp_path / "m")
    frame.drop(columns="y").to_csv(tmp_path / "in.csv", index=False)
    result = runner.invoke(app, ["predict", str(tmp_path / "m"), str(tmp_path / "in.csv"),
                                 "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "out.csv")["prediction"].tolist() == ["b"] * 6


def test_predict_takes_a_folder_when_the_family_batches_read_one(toy, frame, tmp_path):
    train(frame, "y", task="toy-majority", out=tmp_path / "m")
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        (folder / name).write_bytes(b"x")
    result = runner.invoke(app, ["predict", str(tmp_path / "m"), str(folder),
                                 "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "out.csv").to_dict("list") == {
        "file": ["a.png", "b.png"], "prediction": ["b", "b"]}


def test_predict_batch_scores_an_upload_through_the_family_batches(http):
    response = http.post("/v1/models/toy/predict:batch",
                         files={"file": ("rows.csv", b"x\n1\n2\n3\n", "text/csv")})
    assert response.status_code == 200, response.text
    assert response.text.splitlines() == ["x,prediction", "1,b", "2,b", "3,b"]
