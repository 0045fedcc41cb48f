"""bizforge train: options passed through to the library, usage errors before training."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bizforge.cli import app

runner = CliRunner()


class _Stop(Exception):
    """Raised by the fake train() once it has recorded its arguments."""


@pytest.fixture
def seen(monkeypatch):
    import bizforge.pipeline

    calls = []

    def fake(*args, **kwargs):
        calls.append(kwargs)
        raise _Stop

    monkeypatch.setattr(bizforge.pipeline, "train", fake)
    return calls


@pytest.mark.parametrize(("given", "expected"), [([], "auto"), (["--infer-limit", "20"], 2e-5),
                                                 (["--infer-limit", "0"], None)])
def test_infer_limit_reaches_the_library_in_seconds(seen, given, expected):
    runner.invoke(app, ["train", "data.csv", "--target", "churn", *given])
    assert len(seen) == 1
    value = seen[0]["infer_limit"]
    assert value == (pytest.approx(expected) if isinstance(expected, float) else expected)


def test_a_negative_infer_limit_is_a_usage_error_before_training(seen):
    result = runner.invoke(app, ["train", "data.csv", "--target", "churn", "--infer-limit", "-1"])
    assert result.exit_code == 2 and "--infer-limit" in result.stderr
    assert not seen


def test_a_json_path_that_is_a_folder_is_refused_before_training(seen, tmp_path):
    result = runner.invoke(app, ["train", "data.csv", "--target", "churn", "--json", str(tmp_path)])
    assert result.exit_code == 2 and "--json" in result.stderr and "is a folder" in result.stderr
    assert not seen


def test_a_json_path_that_is_the_input_file_is_refused_before_training(seen, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,churn\n1,0\n", encoding="utf-8")
    result = runner.invoke(app, ["train", str(data), "--target", "churn", "--json", str(data)])
    assert result.exit_code == 2 and "input file" in result.stderr
    assert data.read_text(encoding="utf-8") == "a,churn\n1,0\n" and not seen


def test_an_out_folder_with_files_is_refused_before_the_data_is_read(tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "old.txt").write_text("keep me", encoding="utf-8")
    # The data file does not exist: a refusal naming --out shows the check came first.
    result = runner.invoke(app, ["train", str(tmp_path / "missing.csv"), "--target", "y",
                                 "--out", str(out)])
    assert result.exit_code == 2 and "exists and is not empty" in result.stderr
    assert (out / "old.txt").read_text(encoding="utf-8") == "keep me"


def test_an_out_path_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "m"
    out.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["train", str(tmp_path / "missing.csv"), "--target", "y",
                                 "--out", str(out)])
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr
