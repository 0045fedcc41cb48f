"""The small-data path: views, k-fold CV over all the images, the served view-averaged net,
and a run with few images per class choosing by CV (a tiny backbone stands in for Lite0)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from bizforge.families.base import DataSource
from bizforge.families.image import ImageFamily, ImageOptions, training
from bizforge.families.image import fewshot as fs
from bizforge.families.image.nets import BackboneNet
from bizforge.families.image.onnx import ImageRunner, export_image_onnx
from bizforge.families.image.report import grad_cam
from bizforge.families.image.samples import make_surface_images
from bizforge.families.image.serving import UNCHECKED_ROWS

ACCURACY = training.selection_score(False)[1]


def _tiny_backbone(n_classes: int) -> BackboneNet:
    torch.manual_seed(0)
    body = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2),
                         nn.ReLU())
    return BackboneNet(body, 16, n_classes, "tiny").eval()


def test_views_are_the_eight_flips_and_quarter_turns():
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    seen = {tuple(fs.view(x, k).flatten().tolist()) for k in range(8)}
    assert len(seen) == 8  # all distinct: the dihedral group of the square
    turned = torch.rot90(x, 1, dims=(-2, -1))
    assert tuple(turned.flatten().tolist()) in seen


def test_folds_keep_a_group_together_and_hold_every_image_out_once_a_repeat():
    y = np.repeat([0, 1, 2], 10)
    folds = fs.cv_folds(y, None, seed=0)
    assert len(folds) == fs.FOLDS * fs.REPEATS
    for r in range(fs.REPEATS):
        held = np.concatenate([b for _, b in folds[r * fs.FOLDS:(r + 1) * fs.FOLDS]])
        assert sorted(held.tolist()) == list(range(30))
    groups = np.repeat(np.arange(15), 2)
    for a, b in fs.cv_folds(y, groups, seed=0):
        assert not set(groups[a]) & set(groups[b])


def test_the_head_is_chosen_by_cv_over_all_the_images():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 10)
    feats = rng.normal(size=(1, 30, 20)) + 2 * rng.normal(size=(3, 20))[y][None]
    choice = fs.choose_head(feats, y, None, score=ACCURACY, seed=0)
    assert choice.oof_logits.shape == (30, 3)  # every image scored out of fold
    assert choice.score > 0.9 and ACCURACY(y, choice.oof_logits) > 0.9
    assert {"prototype/1view", "logreg(C=0.01)/1view"} <= set(choice.table)


def test_views_are_averaged_when_only_their_average_separates_the_classes():
    # each view alone is mostly noise; the mean of eight carries the class
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2, 3], 8)
    signal = np.eye(12)[y] * 1.2
    feats = signal[None] + rng.normal(size=(8, 32, 12)) * 1.5
    choice = fs.choose_head(feats, y, None, score=ACCURACY, seed=0)
    assert choice.views == 8, choice.table
    one = max(v for k, v in choice.table.items() if k.endswith("/1view"))
    assert choice.score > one + fs.TIE


def test_the_max_pool_is_chosen_only_when_it_beats_the_average_by_the_margin(monkeypatch):
    monkeypatch.setattr(fs, "REPEATS", 1)  # one round of folds decides this much
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1, 2], 12)
    noise = rng.normal(size=(1, 36, 10))
    separable = noise + 3 * np.eye(10)[y][None]
    choice = fs.choose_head({"avg": noise, "max": separable}, y, None, score=ACCURACY, seed=0)
    assert choice.pool == "max" and "max-pooled" in choice.label
    assert any(k.endswith("/max") for k in choice.table)
    # equally good: the average (tried first, the served graph as before) stays
    tie = fs.choose_head({"avg": separable, "max": separable}, y, None, score=ACCURACY, seed=0)
    assert tie.pool == "avg"


@pytest.mark.parametrize("pool", ["avg", "max"])
def test_view_averaged_net_is_the_head_on_averaged_features_and_exports(pool):
    net = _tiny_backbone(3)
    net.config["pool"] = pool
    served = fs.ViewAveraged(net, 5)  # views 0-4: both flips and a transpose in the graph
    x = torch.rand(2, 3, 40, 40) * 255  # the graph takes any side: a small one is quicker
    with torch.no_grad():
        maps = [net.features(fs.view(x, k)) for k in range(5)]
        pooled = torch.stack([m.amax(dim=(2, 3)) if pool == "max" else m.mean(dim=(2, 3))
                              for m in maps])
        expected = net.head(pooled.mean(0)).numpy()
        assert np.allclose(served(x).numpy(), expected, atol=1e-5)
    graph = export_image_onnx(served, size=40, channels=3)
    assert np.allclose(ImageRunner(graph).logits(x.numpy()), expected, atol=1e-3)
    heat = grad_cam(served, x[:1].numpy(), 0)  # the report's heatmaps: one view's map
    assert heat.shape == (40, 40) and 0.0 <= heat.min() <= heat.max() <= 1.0


def test_views_shrink_when_the_time_is_short_those_served_first():
    class Prep:  # the few fields few_candidates reads
        def __init__(self, n_test):
            self.train, self.test = [None] * 60, [None] * n_test

        def y(self, part):
            return np.repeat([0, 1, 2], 20)

    seen = {}

    def fake_fit(backbone, train, y, test, *, views, serve_views, **kw):
        seen["views"] = (views, serve_views)
        raise StopIteration

    net = _tiny_backbone(3)
    net.per_image_ = 0.05
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fs, "fit_fewshot", fake_fit)
        # (test images, seconds left) -> (training views, most views served); each served
        # view costs two passes over the test images and three over the training images
        for n_test, budget, want in ((60, 1e6, (8, 8)), (60, 70.0, (4, 2)), (60, 60.0, (4, 1)),
                                     (2000, 300.0, (8, 1))):  # a large test set: trained on 8
            with pytest.raises(StopIteration):
                fs.few_candidates(net, Prep(n_test), augment="flip", score=ACCURACY, seed=0,
                                  left=lambda b=budget: b, groups=None, notes=[])
            assert seen["views"] == want
        with pytest.raises(StopIteration):
            fs.few_candidates(net, Prep(60), augment="shift", score=ACCURACY, seed=0,
                              left=lambda: 1e6, groups=None, notes=[])
        assert seen["views"] == (1, 1)  # digits: one view


def test_the_head_is_served_on_at_most_the_views_the_time_allows():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 10)
    feats = rng.normal(size=(8, 20, 4)) + y[None, :, None]
    choice = fs.choose_head(feats, y, None, score=ACCURACY, seed=0, serve_views=2)
    assert {k.split("/")[1] for k in choice.table} == {"2views", "1view"}
    assert choice.views in (1, 2)
    assert "(trained on 8 views of each image) by 5-fold" in fs.describe(choice, 20, 10, 8)
    assert "trained on" not in fs.describe(choice, 20, 10, 1)


@pytest.mark.slow  # a whole run (export, int8, report): 3.5-11 s on the shared 2 cores
def test_a_run_with_few_images_per_class_chooses_by_cv_and_holds_nothing_out(tmp_path,
                                                                             monkeypatch):
    root = make_surface_images(tmp_path / "parts", per_class=6, seed=1)

    def tiny(prep, options, wanted, left, notes):
        net = _tiny_backbone(len(prep.classes))
        net.per_image_ = 1e-4
        return net

    monkeypatch.setattr(training, "_affordable_backbone", tiny)
    monkeypatch.setattr(fs, "REPEATS", 1)  # the choice itself is tested above: keep it quick
    monkeypatch.setattr(fs, "C_GRID", (0.1,))
    run = ImageFamily().train(DataSource(root), target=None, task="image-classification",
                              options=ImageOptions(image_models=("frozen",), augment="flip"),
                              test=None, time_limit=60)
    note = next(n for n in run.notes if n.startswith("few images per class"))
    assert "by 5-fold cross-validation" in note and "nothing held out" in note
    assert run.metrics["data"]["train_valid_test"].endswith(" / 0 / 3")  # nothing held out
    board = run.metrics["leaderboard"]
    assert [e["name"] for e in board] == ["fewshot"] and board[0]["views"] in (1, 8)
    assert "prototype/1view" in board[0]["cv_scores"]
    assert 0.0 <= run.metrics["test"]["accuracy"] <= 1.0
    record = run.metrics["finetune"]  # no held-out images to judge int8 on: fp32 served
    assert record["runtime"] == "onnx_fp32" and "int8_unchecked" in record["quantization"]
    assert record["quantization"]["rows"] <= UNCHECKED_ROWS  # a few images time the runtimes


@pytest.mark.slow  # six short CNN fits: about 6 s on a loaded 2-core machine
def test_the_cnn_is_judged_out_of_fold_and_trained_to_the_end_on_every_image():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 6)
    x = (rng.random((18, 16, 16, 1)) * 60).astype(np.uint8)
    x[y == 1, :8] += 150  # bright top, bright left, dark: learnable in a second
    x[y == 2, :, :8] += 150
    cand = fs.cv_cnn(x, y, x[:4], None, seconds=1.2, augment="none", score=ACCURACY, seed=0)
    assert cand.name == "cnn" and cand.valid_logits.shape == (18, 3)
    assert cand.test_logits.shape == (4, 3) and cand.outcome.stopped_by in ("schedule", "budget")
    assert cand.outcome.best_valid == ACCURACY(y, cand.valid_logits)  # the CV score
    assert "5-fold" in cand.params["cv"] or "3-fold" in cand.params["cv"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_lite0_few_images_per_class_tunes_its_last_blocks_under_cv(tmp_path):
    root = make_surface_images(tmp_path / "p", per_class=10, seed=1)
    run = ImageFamily().train(DataSource(root), target=None, task="image-classification",
                              options=ImageOptions(image_models=("frozen", "finetune"),
                                                   augment="flip"),
                              test=None, time_limit=240)
    board = {e["name"]: e for e in run.metrics["leaderboard"]}
    assert "fewshot" in board and any(n.startswith("few images per class") for n in run.notes)
    if "finetune" in board:  # tried when the machine is fast enough
        assert "-fold" in board["finetune"]["cv"]
    assert run.metrics["test"]["accuracy"] > 0.5
