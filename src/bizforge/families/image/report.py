"""What the image family adds to the shared report: the worst mistakes as thumbnails and
Grad-CAM heatmaps, so a quality manager sees where the model looked; plus the training
curves, the confusion matrix and ``metrics.json``.

Grad-CAM (Selvaraju et al., 2017) weights the last convolutional map by the gradient
of the predicted class and keeps the positive part: red is what pushed the model
towards its answer. It runs on the ensemble's first member in PyTorch at training
time; the served ONNX graphs stay lean.

>>> html = thumbnails_html([(image, "true crack, predicted free (0.91)")])   # doctest: +SKIP
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import torch

from bizforge.evaluate.plots import confusion_figure, figures_html, training_curve_figure
from bizforge.evaluate.report import ModelReport, metrics_document
from bizforge.families.base import Trained
from bizforge.html import escape, section

__all__ = ["build_report", "grad_cam", "thumbnails_html"]

WORST = 8
HEATMAPS = 6
THUMB = 160


def _png(im) -> str:
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def thumbnails_html(entries: list[tuple[Any, str]]) -> str:
    """A grid of ``(PIL image, caption)`` as inline PNGs (the report stays one file)."""
    cells = []
    for im, caption in entries:
        thumb = im.convert("RGB")
        thumb.thumbnail((THUMB, THUMB))
        cells.append(f'<figure style="margin:0"><img alt="{escape(caption)}" '
                     f'src="data:image/png;base64,{_png(thumb)}" style="image-rendering:'
                     f'pixelated;width:{THUMB}px;height:auto"><figcaption style="font-size:.8em;'
                     f'max-width:{THUMB}px">{escape(caption)}</figcaption></figure>')
    return ('<div style="display:flex;flex-wrap:wrap;gap:.75rem">' + "".join(cells) + "</div>")


def grad_cam(net: torch.nn.Module, pixels: np.ndarray, target: int) -> np.ndarray:
    """Heat in 0..1, ``(h, w)`` of the input, of class ``target`` for one image
    (float pixels ``(1, c, h, w)``)."""
    net.eval()
    x = torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.float32))
    with torch.enable_grad():
        x.requires_grad_(True)
        fmap = net.features(x)
        fmap.retain_grad()
        net.classify(fmap)[0, target].backward()
    weights = fmap.grad.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * fmap).sum(dim=1, keepdim=True)).detach()
    cam = torch.nn.functional.interpolate(cam, size=x.shape[-2:], mode="bilinear",
                                          align_corners=False)[0, 0].numpy()
    return cam / cam.max() if cam.max() > 0 else cam


def _overlay(im, heat: np.ndarray):
    from PIL import Image

    base = np.asarray(im.convert("RGB").resize(heat.shape[::-1]), dtype=np.float64)
    alpha = 0.6 * heat[:, :, None]
    red = np.array([255.0, 30.0, 0.0])
    return Image.fromarray((base * (1 - alpha) + red * alpha).astype(np.uint8))


def _heatmaps(member: Any, images: list[Any], pred: np.ndarray, classes: list[str],
              y: np.ndarray) -> list[tuple[Any, str]]:
    from bizforge.families.image.reading import to_array

    order = list(np.flatnonzero(pred != y)[:HEATMAPS // 2])  # mistakes first, then one per class
    for c in range(len(classes)):
        hits = np.flatnonzero((pred == c) & (y == c))
        if len(hits) and len(order) < HEATMAPS:
            order.append(int(hits[0]))
    out = []
    for i in order:
        arr = to_array(images[i], member.size, member.channels)
        heat = grad_cam(member.net, arr.transpose(2, 0, 1)[None], int(pred[i]))
        big = np.kron(heat, np.ones((max(1, THUMB // heat.shape[0]),) * 2))
        out.append((_overlay(images[i], big), f"{classes[y[i]]} → {classes[pred[i]]}"))
    return out


def build_report(*, prep: Any, members: list[Any], weights: list[float], predictor: Any,
                 test_metrics: dict[str, Any], test_proba: np.ndarray, test_images: list[Any],
                 leaderboard: list[dict[str, Any]], metric: str, quant: dict[str, Any],
                 fit_seconds: float, augment: str, size: int, channels: int,
                 notes: list[str], lang: str) -> Trained:
    """The :class:`Trained` of a run: predictor, ``metrics.json`` document, HTML report."""
    classes = prep.classes
    y = prep.y(prep.test)
    pred = test_proba.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    worst = wrong[np.argsort(-test_proba[wrong, pred[wrong]])][:WORST]
    mistakes = [(test_images[i], (f"{prep.test[i].name}: {classes[y[i]]} → {classes[pred[i]]} "
                                  f"({test_proba[i, pred[i]]:.2f})")) for i in worst]
    figs = [confusion_figure(test_metrics["confusion_matrix"]["matrix"], classes, lang=lang)]
    figs += [training_curve_figure(m.outcome.curve, lang=lang).update_layout(
        title=f"{m.name}") for m in members if m.outcome.curve]
    charts = figures_html(figs)
    if mistakes:
        charts += str(section("Worst mistakes (true → predicted, confidence)",
                              thumbnails_html(mistakes), level=3))
    if test_images:
        charts += str(section("Where the model looked (Grad-CAM, red = evidence for the "
                              "predicted class)",
                              thumbnails_html(_heatmaps(members[0], test_images, pred, classes,
                                                        y)), level=3))
    profile = prep.profile
    summary = {"images": profile.images, "classes": profile.classes,
               "train_valid_test": f"{len(prep.train)} / {len(prep.valid)} / {len(prep.test)}",
               "input": f"{size}x{size}x{channels} (CNN)", "augmentation": augment,
               "metric": metric, **profile.sizes}
    record = {"members": [m.name for m in members], "weights": weights,
              "runtime": quant["runtime"], "quantization": quant,
              "curves": {m.name: m.outcome.curve for m in members},
              "stopped_by": {m.name: m.outcome.stopped_by for m in members}}
    doc = metrics_document(task="image-classification", metric=metric, test=test_metrics,
                           leaderboard=leaderboard, fit_seconds=fit_seconds, finetune=record,
                           findings=[f.to_dict() for f in profile.findings],
                           data=summary, notes=notes)
    report = ModelReport(test_metrics, leaderboard, None, charts, None, (), (), summary,
                         lang, "image classifier", notes=notes)
    return Trained(predictor, doc, report, profile, notes)
