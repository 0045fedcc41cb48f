"""Text classification end to end: auto-detected task, reasons, rejection of unknown intents."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.errors import DataError, ModelError, UsageError
from bizforge.pipeline import train
from bizforge.samples import REVIEW_TARGET, REVIEW_TEXT, review_table
from bizforge.serve import load_model

runner = CliRunner()


def _intents(n_per: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    intents = {
        "balance": ["what is my balance", "how much money do I have", "show my balance"],
        "card_lost": ["I lost my card", "my card was stolen", "block my lost card"],
        "transfer": ["send money to my friend", "make a transfer", "wire money abroad"],
        "oos": ["what is the weather today", "tell me a joke", "recommend a movie",
                "who won the match", "play some music"],
    }
    rows = [{"text": str(rng.choice(texts)) + str(rng.choice(["", " please", " now", "?"])),
             "intent": label} for label, texts in intents.items() for _ in range(n_per)]
    return pd.DataFrame(rows).sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module")
def review_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("text")
    return train(review_table(240, seed=1), REVIEW_TARGET, time_limit=6, out=root / "m")


def test_only_text_feature_means_text_classification(review_run):
    assert review_run.metrics["task"] == "text-classification"
    assert review_run.metrics["test"]["accuracy"] > 0.8
    assert "per_class" in review_run.metrics["test"]
    assert review_run.leaderboard[1]["name"] in {"tfidf_linear", "embed_linear", "finetune"}


def test_predict_on_a_file_without_the_text_column_exits_3_naming_it(review_run, tmp_path):
    data = tmp_path / "renamed.csv"
    pd.DataFrame({"comment": ["很好", "bad"]}).to_csv(data, index=False)
    result = runner.invoke(app, ["predict", str(review_run.path), str(data), "-o",
                                 str(tmp_path / "out.csv")])
    assert result.exit_code == 3, result.output
    assert f"'{REVIEW_TEXT}'" in result.output and "'comment'" in result.output
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])  # streamed, and read whole
def test_predict_says_what_reading_the_file_noticed(review_run, tmp_path, suffix):
    data = tmp_path / "mixed.csv"
    data.write_bytes(f"{REVIEW_TEXT}\n".encode() + "物流很快\n".encode()
                     + "质量太差了\n".encode("gbk") + "非常满意\n".encode())
    out = tmp_path / f"out{suffix}"
    result = runner.invoke(app, ["predict", str(review_run.path), str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: mixed.csv mixes encodings" in result.output
    assert "scored 3 rows" in result.output


def test_text_report_lists_every_class_with_its_scores(review_run):
    html = (review_run.path / "report.html").read_text(encoding="utf-8")
    section = html[html.index("Per class"):]
    for name in review_run.metrics["test"]["per_class"]:
        assert f">{name}<" in section


def test_loaded_text_model_explains_with_words_from_the_text(review_run):
    rows = pd.DataFrame({REVIEW_TEXT: ["The phone stopped charging after a week. Not happy."]})
    model = load_model(review_run.path)
    assert model.predict(rows)[0] == "negative"
    reasons = model.explain(rows, k=3)[0]
    assert reasons and all(r["column"] == REVIEW_TEXT for r in reasons)


def test_explaining_many_texts_reports_progress_part_by_part(review_run, monkeypatch):
    import bizforge.families.tabular.predictor as predictor_module

    rows = review_table(30, seed=4)[[REVIEW_TEXT]]
    model = load_model(review_run.path)
    together = model.score(rows, explain=True)["reasons"].tolist()  # 30 texts: one part
    monkeypatch.setattr(predictor_module, "EXPLAIN_TEXT_ROWS", 7)
    parts: list[int] = []
    scored = model.score(rows, explain=True, progress=parts.append)
    assert parts == [7, 7, 7, 7, 2]
    assert scored["reasons"].tolist() == together  # the same reasons, part by part


def test_reject_auto_answers_unknown_for_out_of_scope(tmp_path):
    run = train(_intents(), "intent", text_column="text", reject="auto", unknown_label="oos",
                time_limit=5, out=tmp_path / "m")
    test = run.metrics["test"]
    assert {"in_scope_accuracy", "oos_recall"} <= set(test)
    html = (run.path / "report.html").read_text(encoding="utf-8")
    assert "Out-of-scope recall" in html and "hands the message to a person" in html
    labels = load_model(run.path).predict(pd.DataFrame({"text": ["tell me a joke", "I lost my card"]}))
    assert labels[0] == "unknown" and labels[1] == "card_lost"


def test_reject_with_embeddings_keeps_a_verified_distance_reference(tmp_path):
    run = train(_intents(), "intent", text_column="text", reject="auto", unknown_label="oos",
                time_limit=20, out=tmp_path / "m", candidates=[("embed_linear", {})])
    info = json.loads((run.path / "model.json").read_text())
    assert info["reject"]["novelty_scale"] is not None
    estimate = run.metrics["test"]["unseen_kind_recall_estimate"]  # 3 in-scope intents
    assert estimate is not None and 0.0 <= estimate <= 1.0
    manifest = (run.path / "manifest.json").read_text()
    assert "novelty/novelty.safetensors" in manifest and "novelty/novelty.json" in manifest
    rows = pd.DataFrame({"text": ["tell me a joke", "I lost my card", "make a transfer now",
                                  "how tall is mount everest"]})
    loaded = load_model(run.path)
    assert list(loaded.predict(rows)) == list(run.predictor.predict(rows))
    assert list(loaded.predict(rows)[1:3]) == ["card_lost", "transfer"]
    assert loaded.predict(rows)[0] == "unknown"
    assert _texts_embedded_by(loaded, ["where is my parcel", "open a savings account"]) == 2
    shutil.rmtree(run.path / "novelty")
    with pytest.raises(ModelError, match="novelty"):  # the manifest lists what is gone
        load_model(run.path)


def _texts_embedded_by(predictor, texts: list[str]) -> int:
    """How many texts the encoder ran on while ``predictor`` labelled new ``texts``."""
    from bizforge.models.text_embed.backbones import HFEmbedder

    seen: list[str] = []
    original = HFEmbedder._embed

    def spy(self, batch):
        seen.extend(batch)
        return original(self, batch)

    HFEmbedder._embed = spy
    try:
        predictor.predict(pd.DataFrame({"text": texts}))
    finally:
        HFEmbedder._embed = original
    return len(seen)  # the member and the distance share one embedding per text


def test_unknown_label_must_be_a_class(tmp_path):
    with pytest.raises(DataError, match="nothing"):
        train(_intents(), "intent", text_column="text", reject="auto", unknown_label="nothing",
              time_limit=3, out=tmp_path / "m")


@pytest.mark.parametrize(("options", "flag"), [
    ({"unknown_label": "oos"}, "--unknown-label goes with --reject"),
    ({"reject_drop": 0.01}, "--reject-drop goes with --reject"),
    ({"reject": "auto", "reject_drop": 0.01}, "--reject-drop needs --unknown-label"),
    ({"reject": "auto", "unknown_label": "oos", "reject_drop": 1.5}, "not a share"),
    ({"reject": "sometimes"}, "not understood"),
])
def test_rejection_options_that_cannot_work_fail_before_reading_the_data(options, flag):
    with pytest.raises(UsageError, match=flag):
        train("no-such-file.csv", "intent", text_column="text", time_limit=3, **options)


def test_reject_drop_sets_the_accuracy_the_threshold_may_give_up(tmp_path):
    data = tmp_path / "intents.csv"
    _intents().to_csv(data, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", "intent", "--text-column",
                                 "text", "--reject", "auto", "--unknown-label", "oos",
                                 "--reject-drop", "0", "--time-limit", "5",
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    reject = json.loads((tmp_path / "m" / "model.json").read_text())["reject"]
    assert reject["max_accuracy_drop"] == 0.0 and reject["strategy"] == "auto"
    bad = runner.invoke(app, ["train", str(data), "--target", "intent", "--reject-drop", "0.1"])
    assert bad.exit_code == 2 and "--reject" in bad.output


def test_text_column_that_does_not_exist_exits_3(tmp_path):
    data = tmp_path / "r.csv"
    review_table(60).to_csv(data, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", REVIEW_TARGET,
                                 "--text-column", "reviw", "--out", str(tmp_path / "m")])
    assert result.exit_code == 3 and "review" in result.output


def test_backbone_on_a_table_is_a_usage_error(tmp_path):
    from bizforge.samples import churn_table

    with pytest.raises(UsageError, match="--backbone"):
        train(churn_table(80), "是否流失", backbone="x", time_limit=2, out=tmp_path / "m")


def test_backbone_folder_that_is_not_a_model_exits_2_before_training(tmp_path):
    data, folder = tmp_path / "r.csv", tmp_path / "notes"
    review_table(60).to_csv(data, index=False)
    folder.mkdir()
    (folder / "readme.txt").write_text("not a model")
    result = runner.invoke(app, ["train", str(data), "--target", REVIEW_TARGET, "--backbone",
                                 str(folder), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2, result.output
    assert str(folder) in result.output and "config.json" in result.output
    assert not (tmp_path / "m").exists()


def test_a_failed_candidate_is_listed_with_its_reason(tmp_path):
    """A candidate that fails is reported (metrics.json, report, CLI), not silently dropped."""
    from bizforge.cli.app import console
    from bizforge.cli.train import _summary

    broken = tmp_path / "broken"
    broken.mkdir()
    run = train(review_table(120, seed=2), REVIEW_TARGET, time_limit=20, out=tmp_path / "m",
                candidates=[("tfidf_linear", {}), ("finetune", {"backbone": str(broken)})])
    (entry,) = run.metrics["not_used"]
    assert entry["name"] == "finetune" and entry["reason"].startswith("failed: UsageError")
    assert "config.json" in entry["reason"]
    assert "candidate finetune not used" in run.report.to_html()
    saved = json.loads((run.path / "metrics.json").read_text(encoding="utf-8"))
    assert saved["not_used"] == run.metrics["not_used"]
    with console.capture() as captured:
        _summary(run)
    assert "not used: finetune (failed: UsageError" in captured.get()


def test_text_language_pins_every_text_candidate_and_bad_values_exit_2(tmp_path):
    from bizforge.train.portfolio import text_candidates

    pinned = text_candidates("mixed", pinned=True)
    assert [c.params.get("language") for c in pinned] == ["mixed", "mixed"]
    assert all("language" not in c.params for c in text_candidates("en"))
    data = tmp_path / "r.csv"
    review_table(60).to_csv(data, index=False)
    bad = runner.invoke(app, ["train", str(data), "--target", REVIEW_TARGET,
                              "--text-language", "fr", "--out", str(tmp_path / "m")])
    assert bad.exit_code == 2 and "'fr' is not one of zh, en, mixed" in bad.output
    from bizforge.samples import churn_table

    with pytest.raises(UsageError, match="--text-language applies to text classification"):
        train(churn_table(80), "是否流失", text_language="zh", time_limit=2, out=tmp_path / "t")


def test_cli_text_train_writes_metrics(tmp_path):
    data = tmp_path / "r.csv"
    review_table(200, seed=4).to_csv(data, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", REVIEW_TARGET, "--time-limit",
                                 "4", "--out", str(tmp_path / "m"), "--json", str(tmp_path / "m.json")])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert doc["task"] == "text-classification" and "macro_f1" in doc["test"]


@pytest.fixture(scope="module")
def finetune_run(tmp_path_factory):
    from bizforge.models.text_hf.tiny import make_tiny_backbone, make_tiny_texts

    root = tmp_path_factory.mktemp("finetune")
    backbone = str(make_tiny_backbone(root / "tiny_bert"))
    X, y = make_tiny_texts(160, seed=7)
    frame = X.assign(label=np.where(y == 1, "negative", "positive"))
    return train(frame, "label", text_column="review", time_limit=30, out=root / "m", lang="zh",
                 candidates=[("finetune", {"backbone": backbone, "epochs": 2,
                                           "quant_check_rows": 40})])


def test_fine_tune_record_and_quantisation_check_reach_metrics_json(finetune_run):
    doc = json.loads((finetune_run.path / "metrics.json").read_text(encoding="utf-8"))
    record = doc["finetune"]
    assert record["member"] == "finetune" and record["runtime"] == "int8"
    assert record["examples_seen"] > 0 and record["stopped_by"] in {"epochs", "early_stopping"}
    q = record["quantization"]
    assert set(q["accuracy"]) == set(q["texts_per_second"]) == {"torch", "onnx_fp32",
                                                                 "onnx_int8"}
    assert 0 < q["rows"] <= 40 and all(v > 0 for v in q["texts_per_second"].values())
    assert q["int8_accuracy_change"] == pytest.approx(q["accuracy"]["onnx_int8"]
                                                      - q["accuracy"]["torch"], abs=1e-6)
    assert "curve" not in record  # the curve stays in the member's model.json and TensorBoard


def test_report_shows_the_training_curve_and_each_runtime_in_chinese(finetune_run):
    html = (finetune_run.path / "report.html").read_text(encoding="utf-8")
    assert "微调过程：训练损失与验证集准确率" in html  # the curve's chart title
    assert "微调的 Transformer 模型" in html and "PyTorch 动态图（fp32）" in html
    assert "ONNX int8" in html and "每秒处理文本数" in html


def test_a_file_with_some_gbk_lines_trains_and_the_report_says_so(tmp_path):
    data = tmp_path / "appended.csv"
    table = review_table(80, seed=5)
    table.iloc[:70].to_csv(data, index=False, encoding="utf-8")
    with open(data, "ab") as fh:
        fh.write(table.iloc[70:].to_csv(index=False, header=False).encode("gbk"))
    run = train(str(data), REVIEW_TARGET, time_limit=3, out=tmp_path / "m",
                candidates=[("tfidf_linear", {})])
    assert run.metrics["rows"]["train"] + run.metrics["rows"]["test"] == 80
    gbk_lines = sum(not text.isascii() for text in table[REVIEW_TEXT].iloc[70:])
    assert gbk_lines > 0
    assert any("mixes encodings" in note and f"except {gbk_lines} line(s)" in note
               for note in run.warnings)
    assert "mixes encodings" in run.report.to_html()


def test_cli_prints_each_warning_once_as_a_sentence_and_the_run_notes(tmp_path):
    data = tmp_path / "r.csv"
    table = review_table(120, seed=6)
    table.loc[0, REVIEW_TEXT] = ""
    table.loc[1, REVIEW_TARGET] = "neutral"  # a class with one row
    table.to_csv(data, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", REVIEW_TARGET, "--time-limit",
                                 "3", "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    empty = [line for line in result.output.splitlines() if "are empty" in line]
    assert empty and all(line.startswith("warning: ") for line in empty)
    assert len(empty) == len(set(empty))
    assert "TextWarning" not in result.output and ".py:" not in result.output
    assert "note: 1 class of 'sentiment' with a single row" in result.output
