"""--cluster addresses are checked before any work; nothing here needs a running Ray."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.cluster import check_address
from bizforge.errors import ExitCode, UsageError
from bizforge.samples import CHURN_TARGET, churn_table
from bizforge.train.executor import LocalExecutor, current_executor, using

runner = CliRunner()


@pytest.mark.parametrize("address", ["auto", "ray://head:10001", "10.0.0.5:6379",
                                     "ray://[::1]:10001"])
def test_the_three_address_forms_are_accepted(address):
    assert check_address(address) == address


@pytest.mark.parametrize("address", ["", "head", "http://head:80", "ray://head", "ray:/h:1"])
def test_anything_else_is_a_usage_error(address):
    with pytest.raises(UsageError, match="is not a Ray address"):
        check_address(address)


def test_train_refuses_a_bad_address_before_reading_the_data(tmp_path):
    result = runner.invoke(app, ["train", str(tmp_path / "missing.csv"), "--target", "y",
                                 "--cluster", "not-an-address"])
    assert result.exit_code == ExitCode.USAGE
    assert "not-an-address" in result.output and "ray://HOST:PORT" in result.output


def test_predict_refuses_a_bad_address_before_loading_the_model(tmp_path):
    data = tmp_path / "rows.csv"
    churn_table(5, seed=0).drop(columns=[CHURN_TARGET]).to_csv(data, index=False)
    result = runner.invoke(app, ["predict", str(tmp_path / "no-model"), str(data), "-o",
                                 str(tmp_path / "o.csv"), "--cluster", "head"])
    assert result.exit_code == ExitCode.USAGE and "is not a Ray address" in result.output


def test_the_search_runs_here_unless_told_otherwise():
    assert current_executor().name == "local"
    marker = LocalExecutor()
    with using(marker):
        assert current_executor() is marker
    assert current_executor() is not marker


def test_the_single_machine_path_does_not_import_ray():
    import subprocess
    import sys

    code = ("import sys, bizforge, bizforge.pipeline, bizforge.train, bizforge.cluster; "
            "print('ray' in sys.modules)")
    import os

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=False)
    assert out.stdout.strip() == "False", out.stderr
