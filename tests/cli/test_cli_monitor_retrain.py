"""`bizforge monitor` (drift from stored summaries) and `bizforge retrain` (champion vs
challenger): exit codes, what they report, what they publish and promote."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from bizforge.clean.drift import Tally
from bizforge.cli import app
from bizforge.pipeline import train
from bizforge.registry import Registry
from bizforge.registry.monitor import record, reference_of
from bizforge.samples import CHURN_TARGET, churn_table

runner = CliRunner()


@pytest.fixture(scope="module")
def churn_model(tmp_path_factory):
    return train(churn_table(200, seed=1), CHURN_TARGET, time_limit=1.0,
                 out=tmp_path_factory.mktemp("cli-monitor") / "m", seed=0).path


@pytest.fixture(scope="module")
def noise_model(tmp_path_factory):
    """A champion trained on shuffled labels: any real challenger beats it."""
    frame = churn_table(200, seed=2)
    frame[CHURN_TARGET] = np.random.default_rng(0).permutation(frame[CHURN_TARGET].to_numpy())
    return train(frame, CHURN_TARGET, time_limit=1.0,
                 out=tmp_path_factory.mktemp("cli-retrain") / "m", seed=0).path


def _served(registry, shift: bool) -> None:
    mv = registry.get("churn")
    tally = Tally(reference_of(mv.path))
    frame = churn_table(300, seed=12)
    if shift:
        frame["在网月数"] = frame["在网月数"] // 2  # tenure halved
    tally.add(frame)
    now = datetime.now(UTC)
    record(registry, "churn", mv.version, now, now, tally.to_dict())


@pytest.mark.parametrize("shift", [True, False])
def test_monitor_flags_only_a_shifted_column(churn_model, shift):
    with Registry() as registry:
        registry.publish(churn_model, "churn")
        _served(registry, shift)
    result = runner.invoke(app, ["monitor", "churn", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["drifted"] == (["在网月数"] if shift else [])


def test_monitor_writes_an_html_report(churn_model, tmp_path):
    with Registry() as registry:
        registry.publish(churn_model, "churn")
        _served(registry, shift=True)
    result = runner.invoke(app, ["monitor", "churn", "--html", str(tmp_path / "d.html")])
    assert result.exit_code == 0, result.output
    assert "在网月数" in (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "drifted" in result.output


def test_monitor_refuses_a_malformed_period_with_exit_2():
    result = runner.invoke(app, ["monitor", "churn", "--since", "a week"])
    assert result.exit_code == 2 and "30m, 12h, 7d or 2w" in result.output


def test_monitor_of_an_unknown_model_is_exit_4(churn_model):
    with Registry() as registry:
        registry.publish(churn_model, "churn")
    result = runner.invoke(app, ["monitor", "fraud"])
    assert result.exit_code == 4 and "churn" in result.output


def test_retrain_promotes_a_better_challenger_and_records_the_comparison(noise_model,
                                                                        tmp_path):
    churn_table(300, seed=3).to_csv(tmp_path / "new.csv", index=False)
    with Registry() as registry:
        registry.publish(noise_model, "churn")
        registry.promote("churn", 1)
    result = runner.invoke(app, ["retrain", "churn", "--data", str(tmp_path / "new.csv"),
                                 "--time-limit", "1", "--promote-if-better"])
    assert result.exit_code == 0, result.output
    with Registry() as registry:
        card = registry.card("churn")
    assert card["version"] == 2 and "production" in card["aliases"]
    comparison = card["comparison"]
    assert comparison["champion"] == "churn:1" and comparison["holdout_rows"] == 60
    assert comparison["challenger_score"] > comparison["champion_score"]


def test_retrain_without_the_flag_publishes_but_does_not_promote(noise_model, tmp_path):
    churn_table(300, seed=3).to_csv(tmp_path / "new.csv", index=False)
    with Registry() as registry:
        registry.publish(noise_model, "churn")
        registry.promote("churn", 1)
    result = runner.invoke(app, ["retrain", "churn", "--data", str(tmp_path / "new.csv"),
                                 "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    with Registry() as registry:
        assert registry.get("churn").version == 1
        assert registry.card("churn:2")["comparison"]["better"] is True


def test_retrain_on_rows_without_the_target_is_exit_3(churn_model, tmp_path):
    churn_table(100, seed=3).drop(columns=[CHURN_TARGET]).to_csv(tmp_path / "new.csv",
                                                                 index=False)
    with Registry() as registry:
        registry.publish(churn_model, "churn")
    result = runner.invoke(app, ["retrain", "churn", "--data", str(tmp_path / "new.csv")])
    assert result.exit_code == 3 and CHURN_TARGET in result.output
