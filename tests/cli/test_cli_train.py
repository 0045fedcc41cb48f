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
