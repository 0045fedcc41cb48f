"""Training an image classifier end to end (family contract), and its predictor.

One small CNN is trained once per module (surface patches made in code, 30 s budget)
and shared by the tests that read its results.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, ModelError
from bizforge.families.base import DataSource
from bizforge.families.image import ImageFamily, ImageOptions
from bizforge.families.image.predictor import MAX_REQUEST_IMAGES, ImagePredictor, ImageRequest
from bizforge.families.image.samples import make_surface_images
from image_bytes import png_bytes


def _train(source, time_limit=30, **options):
    return ImageFamily().train(DataSource(source), target=None, task="image-classification",
                               options=ImageOptions(**options), test=None, time_limit=time_limit)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = make_surface_images(tmp_path_factory.mktemp("data") / "parts", per_class=14)
    (root / "ok" / "broken.jpg").write_text("not an image")
    run = _train(root, image_models=("cnn",))
    saved = tmp_path_factory.mktemp("model")
    run.predictor.save(saved)
    return root, run, saved


def test_metrics_give_test_accuracy_and_macro_f1(trained):
    test = trained[1].metrics["test"]
    assert 0.0 <= test["accuracy"] <= 1.0 and 0.0 <= test["macro_f1"] <= 1.0


def test_cnn_learns_better_than_chance(trained):
    assert trained[1].metrics["test"]["accuracy"] > 0.5  # three classes: chance is 1/3


def test_unreadable_training_file_is_skipped_and_reported(trained):
    assert any("ok/broken.jpg" in n for n in trained[1].notes)


def test_each_runtime_is_timed_and_scored(trained):
    q = trained[1].metrics["finetune"]["quantization"]
    assert set(q["accuracy"]) == set(q["images_per_second"]) == {"torch", "onnx_fp32",
                                                                  "onnx_int8"}


def test_int8_is_judged_by_the_selection_metric(trained):
    q = trained[1].metrics["finetune"]["quantization"]
    assert q["metric"] == trained[1].metrics["metric"] and set(q["score"]) == set(q["accuracy"])
    speed = q["images_per_second"]
    served = ("onnx_int8" if q["int8_score_change"] >= -0.005
              and speed["onnx_int8"] >= speed["onnx_fp32"] else "onnx_fp32")
    assert q["runtime"] == served


def test_int8_is_served_only_when_it_is_also_the_faster():
    from bizforge.families.image.serving import served_runtime

    assert served_runtime(0.0, {"onnx_fp32": 100.0, "onnx_int8": 150.0}) == "onnx_int8"
    assert served_runtime(0.0, {"onnx_fp32": 108.0, "onnx_int8": 78.0}) == "onnx_fp32"
    assert served_runtime(-0.02, {"onnx_fp32": 100.0, "onnx_int8": 150.0}) == "onnx_fp32"


def test_saved_folder_holds_only_onnx_and_json(trained):
    assert {p.suffix for p in trained[2].iterdir()} == {".onnx", ".json"}


def test_loaded_model_predicts_as_the_trained_one(trained):
    root, run, saved = trained
    files = sorted(root.glob("*/*.png"))[:6]
    np.testing.assert_allclose(ImagePredictor.load(saved).predict_proba(files).to_numpy(),
                               run.predictor.predict_proba(files).to_numpy(), atol=1e-6)


def test_report_shows_grad_cam_heatmaps(trained, tmp_path):
    html = trained[1].report.save(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Grad-CAM" in html and "data:image/png;base64," in html


def test_batch_score_keeps_an_unreadable_image_with_its_problem(trained):
    predictor = ImagePredictor.load(trained[2])
    frame = pd.concat(list(predictor.batches(DataSource(trained[0]), 1000)))
    out = predictor.score(frame)
    bad = out[out["image"] == "ok/broken.jpg"].iloc[0]
    assert len(out) == len(frame) and pd.isna(bad["prediction"]) and "not a JPEG" in bad["problem"]


def test_batches_of_a_csv_keep_its_columns(trained, tmp_path):
    root = trained[0]
    csv = root / "list.csv"
    csv.write_text("id,path\n7,ok/ok_000.png\n8,spot/spot_001.png\n")
    predictor = ImagePredictor.load(trained[2])
    out = predictor.score(next(predictor.batches(DataSource(csv), 10)))
    assert list(out["id"]) == [7, 8] and out["prediction"].notna().all()


def _predict_action(trained):
    return ImagePredictor.load(trained[2]).actions()[0]


def test_rest_action_classifies_a_base64_image(trained):
    action = _predict_action(trained)
    data = base64.b64encode((trained[0] / "spot" / "spot_000.png").read_bytes()).decode()
    out = action.response(**action.handle(ImageRequest(images=[{"name": "a", "data": data}])))
    assert out.predictions[0].label in {"ok", "scratch", "spot"}


def test_concurrent_requests_are_answered_in_one_call_as_one_by_one(trained):
    action = _predict_action(trained)
    files = sorted(trained[0].glob("*/*.png"))
    requests = [action.from_upload([(p.name, p.read_bytes()) for p in files[i:i + n]])
                for i, n in ((0, 1), (1, 3), (4, 2))]
    together = action.handle_many(requests)
    assert [len(a["predictions"]) for a in together] == [1, 3, 2]
    for request, answer in zip(requests, together, strict=True):
        alone = action.handle(request)
        assert [p["name"] for p in answer["predictions"]] == [p["name"] for p in alone["predictions"]]
        np.testing.assert_allclose([p["probability"] for p in answer["predictions"]],
                                   [p["probability"] for p in alone["predictions"]], atol=1e-5)


def test_rest_action_names_an_upload_that_is_not_an_image(trained):
    action = _predict_action(trained)
    request = action.from_upload([("notes.png", b"plain text")])
    with pytest.raises(DataError, match="notes.png: not a JPEG, PNG, BMP or TIFF"):
        action.handle(request)


def test_rest_action_refuses_bad_base64(trained):
    with pytest.raises(DataError, match="not valid base64"):
        _predict_action(trained).handle(ImageRequest(images=[{"data": "@@@"}]))


def test_upload_of_too_many_files_is_refused(trained):
    files = [(f"{i}.png", png_bytes()) for i in range(MAX_REQUEST_IMAGES + 1)]
    with pytest.raises(DataError, match="at most"):
        _predict_action(trained).from_upload(files)


def test_model_of_another_family_is_refused(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"family": "tabular"}))
    with pytest.raises(ModelError, match="not an image model"):
        ImagePredictor.load(tmp_path)


def test_class_with_one_image_is_a_data_error(tmp_path):
    root = make_surface_images(tmp_path / "p", per_class=3)
    for f in sorted((root / "spot").iterdir())[1:]:
        f.unlink()
    with pytest.raises(DataError, match="'spot' have fewer than 2 usable images"):
        _train(root)


def test_images_without_class_folders_cannot_train(tmp_path):
    (tmp_path / "flat").mkdir()
    for i in range(3):
        (tmp_path / "flat" / f"{i}.png").write_bytes(png_bytes(colour=i))
    with pytest.raises(DataError, match="not in class sub-folders"):
        _train(tmp_path / "flat")


def test_csv_rows_without_label_are_named(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes())
    (tmp_path / "b.png").write_bytes(png_bytes(colour=9))
    (tmp_path / "t.csv").write_text("file,label\na.png,x\nb.png,\n")
    with pytest.raises(DataError, match=r"1 image\(s\) have no label \(rows 3\)"):
        ImageFamily().train(DataSource(tmp_path / "t.csv"), target="label",
                            task="image-classification", options=ImageOptions(), test=None,
                            time_limit=10)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_backbone_candidates_train_and_serve(tmp_path):
    root = make_surface_images(tmp_path / "p", per_class=8)
    run = _train(root, 240, image_models=("frozen", "finetune"))
    names = {e["name"] for e in run.metrics["leaderboard"]}
    assert {"frozen", "finetune"} <= names and run.metrics["test"]["accuracy"] > 0.5


def test_predict_accepts_a_csv_of_paths(trained):
    csv = trained[0] / "two.csv"
    csv.write_text("path\nok/ok_001.png\nscratch/scratch_001.png\n")
    assert len(ImagePredictor.load(trained[2]).predict(csv)) == 2


def test_a_model_no_better_than_the_majority_class_says_so(tmp_path):
    # every image the same: no model can beat always answering one class
    for label in ("a", "b", "c"):
        (tmp_path / "same" / label).mkdir(parents=True)
        for i in range(5):
            (tmp_path / "same" / label / f"{i}.png").write_bytes(png_bytes(colour=7))
    run = _train(tmp_path / "same", 5, image_models=("cnn",))
    assert any("no better on validation" in n for n in run.notes)


def test_int8_uses_the_full_range_only_on_cpus_with_vnni():
    from bizforge.families.image.onnx import has_vnni

    assert has_vnni("flags : fpu avx2 avx512f avx512_vnni")
    assert not has_vnni("flags : fpu avx2 avx512f")


def test_int8_keeps_the_first_convolutions_fp32_when_asked():
    import onnx
    import torch

    from bizforge.families.image.nets import SmallCNN
    from bizforge.families.image.onnx import ImageRunner, export_image_onnx, quantize_static_int8

    torch.manual_seed(0)
    net = SmallCNN(1, 3, 16, widths=[4, 8]).eval()  # five convolutions
    x = torch.rand(8, 1, 16, 16).numpy() * 255
    fp32 = export_image_onnx(net, size=16, channels=1)
    for leading in (0, 2):
        int8 = quantize_static_int8(fp32, x, fp32_leading_convs=leading)
        ops = [n.op_type for n in onnx.load_from_string(int8).graph.node
               if n.op_type in ("Conv", "QLinearConv")]
        assert ops == ["Conv"] * leading + ["QLinearConv"] * (5 - leading)
        assert ImageRunner(int8).logits(x).shape == (8, 3)
