"""From trained networks to the served predictor: ONNX fp32 and int8 of every ensemble
member, each runtime timed and scored on the validation images, the faster kept when
it costs no accuracy (the record goes to ``metrics.json`` as ``finetune.quantization``).

>>> predictor, quant = export_members(members, [1.0], prep, options, seed=0)  # doctest: +SKIP
>>> quant["runtime"], quant["images_per_second"]                            # doctest: +SKIP
('onnx_int8', {'torch': 910.2, 'onnx_fp32': 1450.3, 'onnx_int8': 2301.0})
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from bizforge import __version__
from bizforge.families.image.fit import predict_logits
from bizforge.families.image.onnx import (
    BACKBONE_FP32_CONVS,
    MAX_INT8_LOSS,
    ImageRunner,
    export_image_onnx,
    quantize_static_int8,
)
from bizforge.families.image.predictor import (
    FORMAT_VERSION,
    MAX_REQUEST_IMAGES,
    ImagePredictor,
    softmax,
)
from bizforge.families.image.reading import MAX_BYTES, MAX_PIXELS, load_arrays

__all__ = ["TIMING_BATCH", "export_members", "served_runtime"]

TIMING_BATCH = 64
MAX_TIMED_IMAGES = 512  # enough for a steady images/s figure
MIN_FLIP_GAIN = 0.005  # of the selection metric on validation: what four passes must buy
MAX_FLIP_CHECK = 1000  # validation images the test-time flips are judged on (5 passes each)
UNCHECKED_ROWS = 128  # images timed when they cannot judge int8 (they trained the model)


class FlipAverage(torch.nn.Module):
    """``net`` on an image and its three flips (left-right, upside down, both), the class
    probabilities averaged; returns their log (the predictor's softmax gives the average
    back). For surfaces and textures, which have no up or down, trained on flips."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net
        self.config = dict(net.config, test_time_flips=4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the four views in one batch: one pass of the network (each of its convolutions
        # once in the exported graph, as the int8 quantiser expects), four times the rows
        views = torch.cat([x, x.flip(-1), x.flip(-2), x.flip(-1).flip(-2)])
        proba = torch.softmax(self.net(views), dim=1).reshape(4, x.shape[0], -1).mean(0)
        return torch.log(proba + 1e-12)


def _with_test_time_flips(members: list[Any], weights: list[float], prep: Any,
                          yv: np.ndarray, score: Callable, threads: int
                          ) -> tuple[list[Any], dict[str, Any]]:
    """The members' networks, wrapped in :class:`FlipAverage` when their fp32 ONNX graphs
    score at least :data:`MIN_FLIP_GAIN` better so on the validation images (the first
    :data:`MAX_FLIP_CHECK`), else as they are; and the record of both scores. Four passes
    an image cost four times the serving time: a tie keeps one."""
    n = min(len(yv), MAX_FLIP_CHECK)
    plain = flipped = 0.0
    for member, w in zip(members, weights, strict=True):
        valid, _ = load_arrays(prep.valid[:n], member.size, member.channels)
        px = np.ascontiguousarray(valid.transpose(0, 3, 1, 2), dtype=np.float32)
        for net, key in ((member.net, "plain"), (FlipAverage(member.net), "flips")):
            runner = ImageRunner(export_image_onnx(net, size=member.size,
                                                   channels=member.channels), threads=threads)
            logits = np.concatenate([runner.logits(px[i:i + TIMING_BATCH])
                                     for i in range(0, n, TIMING_BATCH)])
            proba = w * softmax(logits.astype(np.float64))
            if key == "plain":
                plain = plain + proba
            else:
                flipped = flipped + proba
    scores = {"plain": score(yv[:n], np.log(plain + 1e-12)),
              "flips": score(yv[:n], np.log(flipped + 1e-12))}
    use = scores["flips"] >= scores["plain"] + MIN_FLIP_GAIN
    nets = [FlipAverage(m.net) if use else m.net for m in members]
    return nets, {"validation": scores, "images": n, "used": bool(use)}


def _timed(fn, batches: list[np.ndarray]) -> tuple[np.ndarray, float]:
    fn(batches[0][:2])  # warm-up: the first call allocates
    t0 = time.perf_counter()
    out = np.concatenate([fn(b) for b in batches])
    return out, time.perf_counter() - t0


def served_runtime(score_change: float, per_second: dict[str, float]) -> str:
    """``onnx_int8`` when it loses at most :data:`MAX_INT8_LOSS` of the selection metric
    *and* ran at least as fast as fp32 on the validation images, else ``onnx_fp32``.
    int8 is not always the faster: onnxruntime's quantised depthwise convolutions (the
    bulk of EfficientNet-Lite) measured 78 images/s against fp32's 108 on the tiles."""
    if score_change < -MAX_INT8_LOSS:
        return "onnx_fp32"
    return "onnx_int8" if per_second["onnx_int8"] >= per_second["onnx_fp32"] else "onnx_fp32"


def export_members(members: list[Any], weights: list[float], prep: Any, options: Any, *,
                   seed: int, metric: str = "accuracy",
                   score: Callable[[np.ndarray, np.ndarray], float] | None = None,
                   int8_unchecked: str | None = None,
                   flips: bool = False) -> tuple[ImagePredictor, dict[str, Any]]:
    """The predictor to save and the quantisation record. int8 is served when it is the
    faster and loses at most :data:`MAX_INT8_LOSS` of ``score`` (the run's selection metric,
    ``metric``: macro-F1 on imbalanced classes, where accuracy would not see a rare class
    lost); see :func:`served_runtime`. ``int8_unchecked``: why ``prep.valid`` cannot judge
    int8 (then fp32 is served). ``flips`` (the members were trained on flipped images): the
    served graphs average each image's four flips when that scores better on validation
    (:func:`_with_test_time_flips`)."""
    rng = np.random.default_rng(seed)
    threads = torch.get_num_threads()
    if int8_unchecked:  # they judge nothing: a few time the runtimes (eager ran 5 images/s
        #  on a view-averaged Lite0, 1,077 training images: 215 s of a 900 s budget)
        import dataclasses

        step = max(1, len(prep.valid) // UNCHECKED_ROWS)  # spread over the classes
        prep = dataclasses.replace(prep, valid=prep.valid[::step][:UNCHECKED_ROWS])
    yv = prep.y(prep.valid)
    timed = min(len(prep.valid), MAX_TIMED_IMAGES)
    probs = {k: np.zeros((len(prep.valid), len(prep.classes))) for k in
             ("torch", "onnx_fp32", "onnx_int8")}
    seconds = dict.fromkeys(probs, 0.0)
    graphs: dict[str, list[bytes]] = {"onnx_fp32": [], "onnx_int8": []}
    nets, test_time = [m.net for m in members], {"used": False}
    if flips and len(yv):
        nets, test_time = _with_test_time_flips(members, weights, prep, yv,
                                                score or _accuracy, threads)
    for member, net, w in zip(members, nets, weights, strict=True):
        size, channels = member.size, member.channels
        # 64 images calibrate a 224-pixel backbone well enough and cost a tenth of 256.
        # The quantiser keeps every intermediate output of every calibration row until it
        # is done: a graph that runs several views of each image (test-time flips, averaged
        # views) gets as many times fewer images (a Lite0 with flips on 64 images: killed
        # for memory on a 23 GB machine)
        views = int(net.config.get("test_time_flips", 1)) * int(net.config.get("views", 1))
        calib_items = [prep.train[i] for i in rng.permutation(len(prep.train))[
            :max(8, (256 if size <= 64 else 64) // max(views, 1))]]
        calib, _ = load_arrays(calib_items, size, channels)
        fp32 = export_image_onnx(net, size=size, channels=channels)
        leading = BACKBONE_FP32_CONVS if net.config.get("arch") == "backbone" else 0
        int8 = quantize_static_int8(fp32, calib.transpose(0, 3, 1, 2).astype(np.float32),
                                    fp32_leading_convs=leading)
        graphs["onnx_fp32"].append(fp32)
        graphs["onnx_int8"].append(int8)
        valid, _ = load_arrays(prep.valid, size, channels)
        px = np.ascontiguousarray(valid.transpose(0, 3, 1, 2), dtype=np.float32)
        batches = [px[i:i + TIMING_BATCH] for i in range(0, len(px), TIMING_BATCH)]
        runners = {"torch": lambda b, n=net: predict_logits(n, torch.from_numpy(b)),
                   "onnx_fp32": ImageRunner(fp32, threads=threads).logits,
                   "onnx_int8": ImageRunner(int8, threads=threads).logits}
        first = max(1, -(-timed // TIMING_BATCH))  # speed from the first `timed` images
        for key, fn in runners.items():
            head, sec = _timed(fn, batches[:first])
            rest = [fn(b) for b in batches[first:]]
            probs[key] += w * softmax(np.concatenate([head, *rest]).astype(np.float64))
            seconds[key] += sec
    accuracy = {k: float((p.argmax(1) == yv).mean()) if len(yv) else None
                for k, p in probs.items()}
    per_second = {k: round(min(timed, len(prep.valid)) / max(s, 1e-9), 1)
                  for k, s in seconds.items()}
    if score is None or not len(yv):
        metric, chosen = "accuracy", accuracy
    else:
        chosen = {k: score(yv, np.log(p + 1e-12)) for k, p in probs.items()}
    change = (chosen["onnx_int8"] or 0.0) - (chosen["onnx_fp32"] or 0.0)
    runtime = "onnx_fp32" if int8_unchecked else served_runtime(change, per_second)
    quant = {"rows": len(prep.valid), "timed_rows": timed, "batch_size": TIMING_BATCH,
             "threads": threads, "accuracy": accuracy, "metric": metric, "score": chosen,
             "images_per_second": per_second,
             "int8_accuracy_change": (accuracy["onnx_int8"] or 0.0) - (accuracy["onnx_fp32"] or 0.0),
             "int8_score_change": change,
             "int8_speedup": per_second["onnx_int8"] / max(per_second["onnx_fp32"], 1e-9),
             "runtime": runtime, "test_time_flips": test_time,
             **({"int8_unchecked": int8_unchecked} if int8_unchecked else {})}
    info = {
        "family": "image", "format_version": FORMAT_VERSION, "task": "image-classification",
        "classes": list(prep.classes), "runtime": runtime,
        "image_column": getattr(options, "image_column", None),
        "members": [{"file": f"member{i}.onnx", "name": m.name, "weight": w, "size": m.size,
                     "channels": m.channels, "config": net.config}
                    for i, (m, net, w) in enumerate(zip(members, nets, weights, strict=True))],
        "input": {"formats": ["JPEG", "PNG", "BMP", "TIFF"], "max_pixels": MAX_PIXELS,
                  "max_bytes": MAX_BYTES, "max_images_per_request": MAX_REQUEST_IMAGES},
        "versions": {"bizforge": __version__, "torch": torch.__version__.split("+")[0],
                     "onnxruntime": _ort_version()},
    }
    return ImagePredictor(info, graphs[runtime]), quant


def _accuracy(y: np.ndarray, logits: np.ndarray) -> float:
    return float((logits.argmax(1) == y).mean())


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__
