"""``bizforge train --task answer`` and ``bizforge predict`` on a tiny FAQ."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.families.answer.samples import faq

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("answer-cli")
    kb, queries = faq("en")
    kb.to_csv(folder / "kb.csv", index=False)
    queries.iloc[::2].to_csv(folder / "queries.csv", index=False)
    queries.iloc[1::2].to_csv(folder / "test.csv", index=False)
    result = runner.invoke(app, ["train", str(folder / "kb.csv"), "--task", "answer",
                                 "--queries", str(folder / "queries.csv"),
                                 "--test", str(folder / "test.csv"), "--encoder", "none",
                                 "--out", str(folder / "m"), "--json", str(folder / "m.json")])
    assert result.exit_code == 0, result.output
    return folder


def test_train_writes_hit_at_1_5_and_mrr(folder):
    test = json.loads((folder / "m.json").read_text(encoding="utf-8"))["test"]
    assert {"hit_1", "hit_5", "mrr_10"} <= set(test) and test["queries"] == 20


def test_predict_writes_answer_entry_score_and_handover(folder, tmp_path):
    pd.DataFrame({"question": ["How long is the warranty?", "zzz"]}).to_csv(
        tmp_path / "q.csv", index=False)
    result = runner.invoke(app, ["predict", str(folder / "m"), str(tmp_path / "q.csv"),
                                 "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert {"answer", "entry_id", "score", "handover"} <= set(out.columns)
    assert out["entry_id"][0] == "warranty" and bool(out["handover"][1])


def test_unknown_entry_ids_in_the_queries_exit_3_naming_them(folder, tmp_path):
    pd.DataFrame({"query": ["a question"], "entry_id": ["ghost"]}).to_csv(
        tmp_path / "q.csv", index=False)
    result = runner.invoke(app, ["train", str(folder / "kb.csv"), "--task", "answer",
                                 "--queries", str(tmp_path / "q.csv"), "--encoder", "none",
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 3 and "ghost" in result.output


def test_a_kb_without_text_or_answer_exits_3_naming_the_column(tmp_path):
    pd.DataFrame({"entry_id": ["a"], "body": ["x"]}).to_csv(tmp_path / "kb.csv", index=False)
    result = runner.invoke(app, ["train", str(tmp_path / "kb.csv"), "--task", "answer",
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 3 and "'text'" in result.output
