"""The "finetune" backend on a tiny random BERT: fit, ONNX int8 serving, save/load, budget."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, ModelError, UsageError
from bizforge.models import Model, get_model
from bizforge.models.text_common import TextWarning
from bizforge.models.text_hf import FinetuneModel
from bizforge.models.text_hf.events import read_events
from bizforge.models.text_hf.tiny import make_tiny_backbone, make_tiny_texts

FAST = {"epochs": 2, "n_threads": 1, "quant_check_rows": 50}


@pytest.fixture(scope="module")
def backbone(tmp_path_factory):
    return str(make_tiny_backbone(tmp_path_factory.mktemp("tiny_bert")))


@pytest.fixture(scope="module")
def data():
    return make_tiny_texts(120, n_classes=2, seed=0)


@pytest.fixture(scope="module")
def fitted(backbone, data):
    X, y = data
    return FinetuneModel("binary", backbone=backbone, **FAST).fit(X, y, seed=0)


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    fitted.save(folder)
    return folder


def test_registered_as_finetune_for_text_classification():
    cls = get_model("finetune")
    assert cls is FinetuneModel
    assert cls.tags.handles_text and cls.tags.problems == ("binary", "multiclass")


def test_learns_the_tiny_sentiment_task(fitted, data):
    X, y = data
    proba = fitted.predict_proba(X)
    assert proba.shape == (120, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert (fitted.predict(X) == y).mean() >= 0.95


def test_records_how_training_went(fitted):
    info = fitted.info_
    assert info["valid_from"] == "holdout" and info["n_valid"] == 12 and info["n_train"] == 108
    assert fitted.examples_seen_ == info["examples_seen"] == 2 * 108
    assert fitted.epochs_ == 2.0 and fitted.stopped_by_ in ("epochs", "early_stopping")
    assert info["probe"]["rows"] == 108


def test_save_writes_safetensors_onnx_and_no_pickle(saved):
    names = sorted(p.relative_to(saved).as_posix() for p in saved.rglob("*") if p.is_file())
    assert {"model.json", "head.safetensors", "model_fp32.onnx", "model_int8.onnx",
            "backbone/model.safetensors", "backbone/config.json",
            "backbone/tokenizer.json"} <= set(names)
    assert any(n.startswith("tensorboard/events.out.tfevents.") for n in names)
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pth", ".pkl", ".pickle"))]


def test_loaded_model_predicts_identically_with_onnx(fitted, saved, data):
    X, _ = data
    loaded = Model.load(saved)
    assert type(loaded) is FinetuneModel and loaded.net_ is None  # no torch needed to serve
    assert np.array_equal(loaded.predict_proba(X), fitted.predict_proba(X))


def test_int8_predictions_stay_close_to_fp32(fitted, data):
    from bizforge.models.text_hf.data import tokenize
    from bizforge.models.text_hf.onnx_export import OrtRunner
    from bizforge.models.text_hf.scoring import logits_ort

    X, _ = data
    tok = tokenize(fitted.tokenizer_, list(X["review"]), fitted.max_length_)
    fp32 = logits_ort(OrtRunner(fitted.onnx_["fp32"]), tok, fitted.pad_id_)
    int8 = logits_ort(OrtRunner(fitted.onnx_["int8"]), tok, fitted.pad_id_)
    assert np.abs(fp32 - int8).max() < 0.25 * np.abs(fp32).max()
    assert (fp32.argmax(axis=1) == int8.argmax(axis=1)).mean() >= 0.95


def test_quantisation_check_is_recorded_in_model_json(saved):
    import json

    info = json.loads((saved / "model.json").read_text())["state"]["info"]
    check = info["quantization"]
    assert set(check["accuracy"]) == {"torch", "onnx_fp32", "onnx_int8"}
    assert set(check["texts_per_second"]) == set(check["accuracy"])
    assert check["rows"] == 12


def test_fp32_and_torch_runtimes_agree(backbone, data):
    X, y = data
    fp32 = FinetuneModel("binary", backbone=backbone, runtime="fp32", **FAST).fit(X, y, seed=0)
    torch_rt = FinetuneModel("binary", backbone=backbone, runtime="torch", **FAST).fit(X, y, seed=0)
    assert np.allclose(fp32.predict_proba(X), torch_rt.predict_proba(X), atol=1e-4)


def test_tensorboard_events_match_the_json_curve(fitted, saved):
    files = list((saved / "tensorboard").iterdir())
    events = read_events(files[0])
    valid = {e.step: e.value for e in events if e.tag == "valid/accuracy"}
    curve = {p["step"]: p["valid_accuracy"] for p in fitted.curve_ if p["valid_accuracy"] is not None}
    assert valid.keys() == curve.keys() and 0 in valid
    assert all(abs(valid[s] - curve[s]) < 1e-6 for s in valid)
    assert any(e.tag == "train/loss" for e in events)


def test_log_dir_streams_events_while_training(backbone, data, tmp_path):
    X, y = data
    FinetuneModel("binary", backbone=backbone, log_dir=str(tmp_path / "tb"), **FAST).fit(X, y)
    (path,) = (tmp_path / "tb").iterdir()
    assert {"train/loss", "valid/accuracy"} <= {e.tag for e in read_events(path)}


def test_budget_stops_training_and_keeps_a_usable_model(backbone):
    X, y = make_tiny_texts(200, seed=1)
    model = FinetuneModel("binary", backbone=backbone, epochs=10_000, patience=0, n_threads=1,
                          quant_check_rows=20).fit(X, y, budget=4.0, seed=0)
    assert model.stopped_by_ == "budget"
    assert model.fit_seconds_ < 4.0 + 3.0
    assert 0 < model.examples_seen_ and np.isfinite(model.predict_proba(X)).all()


def test_early_stopping_ends_a_noisy_run_and_keeps_the_best_step(backbone):
    X, y = make_tiny_texts(160, seed=2, noise=0.6)
    model = FinetuneModel("binary", backbone=backbone, head_init="random", epochs=200,
                          patience=2, evals_per_epoch=1, lr=1e-2, head_lr=1e-2,
                          n_threads=1).fit(X, y, seed=0)
    steps, best = model.info_["steps"], model.info_["best_step"]
    assert model.stopped_by_ == "early_stopping" and steps < 200 * 5
    assert steps - best == 2 * 5  # two epochs of 5 steps (144 rows, batches of 32)


def test_head_from_probe_classifies_before_any_fine_tuning(backbone):
    X, y = make_tiny_texts(150, n_classes=3, seed=3)
    probe = FinetuneModel("multiclass", backbone=backbone, epochs=0, n_threads=1).fit(X, y)
    fresh = FinetuneModel("multiclass", backbone=backbone, epochs=0, head_init="random",
                          n_threads=1).fit(X, y)
    assert probe.info_["steps"] == 0 and probe.info_["probe"]["train_accuracy"] > 0.9
    assert (probe.predict(X) == y).mean() > 0.9
    assert (fresh.predict(X) == y).mean() < 0.6


def test_given_validation_set_is_used_instead_of_a_holdout(backbone, data):
    X, y = data
    model = FinetuneModel("binary", backbone=backbone, **FAST).fit(
        X[:80], y[:80], valid=(X[80:], y[80:]))
    assert model.info_["valid_from"] == "given" and model.info_["n_valid"] == 40
    assert model.info_["n_train"] == 80


def test_long_texts_are_truncated_with_a_counted_warning(backbone):
    X, y = make_tiny_texts(40, seed=4)
    X.loc[X.index[:3], "review"] = "good film " * 50
    with pytest.warns(TextWarning, match=r"^3 of 40 training texts in column 'review' are "
                      r"longer than 16 tokens"):
        model = FinetuneModel("binary", backbone=backbone, max_length=16, **FAST).fit(X, y)
    assert model.info_["truncated"] == 3 and model.warnings_[0]["kind"] == "truncated"


def test_empty_huge_and_odd_texts_still_predict(fitted):
    odd = pd.DataFrame({"review": pd.array(["", "good " * 20000, "😀 \x00\x07 bad", None],
                                           dtype="str")})
    with pytest.warns(TextWarning, match=r"^1 of 4 texts are longer than \d+ tokens; the "
                      "fine-tuned model read only their first"):
        proba = fitted.predict_proba(odd)
    assert proba.shape == (4, 2) and np.isfinite(proba).all()


def test_explain_text_returns_the_words_that_drove_the_prediction(fitted):
    out = fitted.explain_text(["the film was superb superb", "awful"], k=3)
    assert len(out) == 2 and len(out[0]) == 3 and len(out[1]) == 1
    words = [w for w, _ in out[0]]
    assert set(words) <= {"the", "film", "was", "superb"}
    weights = [abs(v) for _, v in out[0]]
    assert weights == sorted(weights, reverse=True)


def test_batched_explanations_keep_the_input_order(fitted):
    from bizforge.models.text_hf.attribution import explain_tokens

    # Longest first and more texts than a batch: batches are formed by length, then unsorted.
    texts = ["the film was superb and the staff were kind", "awful", "goods nicely done",
             "rude", "a fine film"]
    kwargs = {"max_length": fitted.max_length_, "k": 3}
    together = explain_tokens(fitted.torch_net(), fitted.tokenizer_, texts, batch_size=2, **kwargs)
    for text, got in zip(texts, together):
        (alone,) = explain_tokens(fitted.torch_net(), fitted.tokenizer_, [text], **kwargs)
        assert [w for w, _ in got] == [w for w, _ in alone]
        assert [v for _, v in got] == pytest.approx([v for _, v in alone], abs=1e-4)


def test_an_unspaced_chinese_sentence_is_explained_by_its_jieba_words():
    from bizforge.models.text_hf.attribution import _words

    # As e5's tokenizer sees it: one "word" (no spaces), three tokens; the middle token
    # "很干" straddles the jieba words "很" and "干净".
    text = "▁房间很干净 ok"
    word_ids = [None, 0, 0, 0, 1, None]
    offsets = [(0, 0), (0, 3), (3, 5), (5, 6), (6, 9), (0, 0)]
    scores = np.array([9.0, 1.0, 2.0, 4.0, 0.5, 9.0])
    words = dict(_words(text, word_ids, offsets, scores))
    assert set(words) == {"房间", "很", "干净", "ok"}  # the space before "ok" is not kept
    assert words["很"] == pytest.approx(1.0) and words["干净"] == pytest.approx(1.0 + 4.0)
    assert words["房间"] == pytest.approx(1.0 * 2 / 3)  # "▁" took a third of its token
    assert words["ok"] == pytest.approx(0.5)


def test_explain_text_works_after_load_and_on_frames(fitted, saved, data):
    X, _ = data
    loaded = Model.load(saved)
    assert loaded.explain_text(X.iloc[:2], k=2) == fitted.explain_text(X.iloc[:2], k=2)


def test_word_pieces_are_merged_back_into_words(fitted):
    (words,) = fitted.explain_text(["goods nicely"], k=5)
    assert sorted(w for w, _ in words) == ["goods", "nicely"]


def test_frame_without_text_column_is_refused_by_name(backbone):
    X = pd.DataFrame({"age": np.arange(30.0), "tenure": np.arange(30.0)})
    with pytest.raises(DataError, match="needs a text column; the frame has none") as err:
        FinetuneModel("binary", backbone=backbone).fit(X, np.arange(30) % 2)
    assert "age" in str(err.value) and "lightgbm" in str(err.value)


def test_missing_text_column_at_predict_names_it(fitted):
    with pytest.raises(DataError, match="column 'review'") as err:
        fitted.predict(pd.DataFrame({"comment": ["good"]}))
    assert err.value.column == "review"


def test_two_text_columns_are_joined(backbone):
    X, y = make_tiny_texts(60, seed=5)
    X["title"] = pd.array(["the film"] * 60, dtype="str")
    model = FinetuneModel("binary", backbone=backbone, **FAST).fit(X, y)
    assert model.text_columns_ == ["review", "title"]
    assert list(model.feature_importances_) == [0.5, 0.5]


def test_folder_that_is_not_a_model_is_a_clear_error(tmp_path, data):
    X, y = data
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError, match="not a Hugging Face model folder") as err:
        FinetuneModel("binary", backbone=str(tmp_path)).fit(X, y)
    assert str(tmp_path) in str(err.value) and "save_pretrained" in str(err.value)


def test_missing_backbone_folder_and_unknown_hub_id_are_clear_errors(tmp_path, data):
    X, y = data
    with pytest.raises(UsageError, match="does not exist"):
        FinetuneModel("binary", backbone=str(tmp_path / "nope")).fit(X, y)
    with pytest.raises(UsageError, match="no-such-org/no-such-model' is not a local folder and "
                       r"not in the Hugging Face cache \(bizforge never downloads\)"):
        FinetuneModel("binary", backbone="no-such-org/no-such-model").fit(X, y)


def test_missing_onnx_file_is_reported_at_load(fitted, tmp_path):
    fitted.save(tmp_path)
    (tmp_path / "model_int8.onnx").unlink()
    with pytest.raises(ModelError, match="model_int8.onnx' is missing"):
        Model.load(tmp_path)


def test_loaded_model_saves_again_elsewhere(saved, tmp_path, data):
    X, _ = data
    Model.load(saved).save(tmp_path / "copy")
    assert np.array_equal(Model.load(tmp_path / "copy").predict_proba(X),
                          Model.load(saved).predict_proba(X))


def test_unknown_runtime_is_a_usage_error(backbone, data):
    X, y = data
    with pytest.raises(UsageError, match="runtime='gpu'"):
        FinetuneModel("binary", backbone=backbone, runtime="gpu").fit(X, y)


def test_folder_with_config_but_no_weights_is_a_model_error(backbone, tmp_path, data):
    import shutil

    X, y = data
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(backbone, name), tmp_path / name)
    with pytest.raises(ModelError, match="weights of backbone") as err:
        FinetuneModel("binary", backbone=str(tmp_path)).fit(X, y)
    assert "model.safetensors" in str(err.value)


def test_damaged_onnx_file_is_a_model_error_naming_it(fitted, tmp_path, data):
    X, _ = data
    fitted.save(tmp_path)
    (tmp_path / "model_int8.onnx").write_bytes(b"not an onnx model")
    with pytest.raises(ModelError, match="model_int8.onnx"):
        Model.load(tmp_path).predict(X)


def test_holdout_is_stratified_and_keeps_single_example_classes_in_training():
    from bizforge.models.text_hf.fitting import _holdout

    y = np.array([0] * 50 + [1] * 30 + [2] * 19 + [3])
    train, valid = _holdout(y, 0.2, 1000, np.random.default_rng(0))
    assert len(valid) == 20 and sorted(np.concatenate([train, valid]).tolist()) == list(range(100))
    assert np.bincount(y[valid], minlength=4).tolist() == [10, 6, 4, 0]


def test_int8_model_keeps_the_head_in_fp32(fitted):
    import onnx

    graph = onnx.load_from_string(fitted.onnx_["int8"]).graph
    head = [(n.name, n.op_type) for n in graph.node if n.name.startswith("/head/")]
    assert ("/head/Gemm_MatMul", "MatMul") in head
    assert any(n.op_type == "MatMulInteger" for n in graph.node)  # the encoder is int8


def test_word_embeddings_stay_frozen_while_the_body_learns(backbone, data):
    from transformers import AutoModel

    X, y = data
    model = FinetuneModel("binary", backbone=backbone, head_init="random", **FAST).fit(X, y)
    start = AutoModel.from_pretrained(backbone)
    tuned = model.net_.encoder
    assert np.array_equal(tuned.get_input_embeddings().weight.detach().numpy(),
                          start.get_input_embeddings().weight.detach().numpy())
    assert not np.array_equal(tuned.encoder.layer[0].attention.self.query.weight.detach().numpy(),
                              start.encoder.layer[0].attention.self.query.weight.detach().numpy())


def test_training_threads_shrink_when_other_processes_keep_the_cores_busy(monkeypatch):
    from bizforge.models.text_hf import model as text_model

    monkeypatch.setattr(text_model.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(text_model, "_busy_cores", lambda: 0.0)
    assert text_model._free_cores(2) == 2
    monkeypatch.setattr(text_model, "_busy_cores", lambda: 3.0)
    assert text_model._free_cores(2) == 1
    monkeypatch.setattr(text_model, "_busy_cores", lambda: 9.0)
    assert text_model._free_cores(2) == 1


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux /proc")
def test_busy_cores_counts_other_processes_not_this_ones_threads():
    import subprocess
    import sys
    import threading

    from bizforge.models.text_hf import model as text_model

    stop = threading.Event()
    others = text_model._busy_cores(window=0.5)  # what other processes here use already

    def spin():  # a thread of this process, busy the whole time
        while not stop.is_set():
            sum(range(1000))

    worker = threading.Thread(target=spin)
    worker.start()
    try:
        own_only = text_model._busy_cores(window=0.5)
    finally:
        stop.set()
        worker.join()
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        with_hog = text_model._busy_cores(window=0.5)
    finally:
        hog.kill()
        hog.wait()
    # this process's busy thread is not counted (other processes may come and go meanwhile)
    assert own_only < others + 0.8, (others, own_only)
    assert with_hog - own_only > 0.5, (own_only, with_hog)  # the other process's core is


def test_integrated_gradients_add_up_to_the_score_change_from_the_baseline(fitted):
    import torch

    from bizforge.models.text_hf.attribution import integrated_gradients

    net = fitted.torch_net()
    enc = fitted.tokenizer_(["the film was superb", "awful plot"], padding=True,
                            return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    weights, scores, chosen = integrated_gradients(net, ids, mask, steps=64)
    hook = net.encoder.get_input_embeddings().register_forward_hook(
        lambda _m, _i, out: torch.zeros_like(out))
    try:
        with torch.no_grad():
            z = net(ids, mask)
    finally:
        hook.remove()
    baseline = z.gather(1, chosen[:, None]).squeeze(1) - z.mean(dim=1)
    total = (weights * mask).sum(dim=1)
    assert torch.allclose(total, scores - baseline, atol=0.02 * float(scores.abs().max()) + 1e-3)
