"""ONNX export and static int8 quantisation of the image networks, and their runner.

Convolutions gain little from dynamic quantisation (activations are quantised anew
per batch), so images use onnxruntime's *static* quantisation, calibrated on a few
hundred training images, in operator form (``QLinearConv``: EfficientNet-Lite0 ran
5.6 ms an image against 9.6-11.7 for the QDQ form and 9.3-11.1 for fp32, 2 threads):
uint8 activations, int8 per-channel weights, with the reduced (7-bit) range only on
CPUs without VNNI, which need it to keep int8 products from saturating. The linear
head stays fp32: it is tiny and an error there changes the class directly. So do a
pretrained backbone's first convolutions (``fp32_leading_convs``,
:data:`BACKBONE_FP32_CONVS`): at full resolution their per-tensor activation ranges
quantise worst, and the error carries through every later layer (EfficientNet-Lite0,
pooled features vs fp32 on 320 steel images: SQNR 7.8 dB all int8, 16.2 dB with the
stem and blocks 0-1 in fp32; frozen head on the 1,800 steel images: 4 answers changed
-> 1). The
sessions do not busy-wait between runs (``spinning=False``): a server's cores are
shared. Both graphs are timed and scored on the validation images at the end of training; the int8 graph is served when it is
the faster and costs at most :data:`MAX_INT8_LOSS` of the run's selection metric
(accuracy, or macro-F1 when the classes are imbalanced): ``serving.served_runtime``.

>>> fp32 = export_image_onnx(net, size=28, channels=1)            # doctest: +SKIP
>>> int8 = quantize_static_int8(fp32, calibration_images)        # doctest: +SKIP
>>> ImageRunner(int8).logits(batch)                              # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np

from bizforge.models.text_hf.onnx_export import OPSET, OrtRunner, quiet_root_logger

__all__ = ["BACKBONE_FP32_CONVS", "INPUT", "MAX_INT8_LOSS", "ImageRunner", "export_image_onnx", "has_vnni",
           "quantize_static_int8"]

INPUT = "pixels"
MAX_INT8_LOSS = 0.005  # of the selection metric on validation; more and fp32 is served
CALIBRATION_IMAGES = 256
BACKBONE_FP32_CONVS = 6  # EfficientNet-Lite0: the stem and blocks 0-1 (bench/RESULTS.md, c5)


def export_image_onnx(net, *, size: int, channels: int, opset: int = OPSET) -> bytes:
    """The fp32 ONNX graph of ``net`` (float pixels ``(n, c, size, size)`` -> logits)."""
    import torch

    net = net.to("cpu").eval()
    dummy = torch.zeros(2, channels, size, size)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python-side shape checks
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(net, (dummy,), str(path), dynamo=False, opset_version=opset,
                          input_names=[INPUT], output_names=["logits"],
                          dynamic_axes={INPUT: {0: "batch"}, "logits": {0: "batch"}},
                          do_constant_folding=True)
        return path.read_bytes()


class _Reader:
    """onnxruntime's CalibrationDataReader protocol over a float array."""

    def __init__(self, images: np.ndarray, batch: int = 32):
        self._batches = iter([images[i:i + batch] for i in range(0, len(images), batch)])

    def get_next(self):
        b = next(self._batches, None)
        return None if b is None else {INPUT: b}

    def rewind(self):  # pragma: no cover - not called by MinMax calibration
        pass


def has_vnni(cpuinfo: str | None = None) -> bool:
    """Whether the CPU has VNNI (int8 dot products without 16-bit saturation); False when
    ``/proc/cpuinfo`` cannot be read (the safe answer: reduced range)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
        except OSError:
            return False
    flags = set(cpuinfo.split())
    return bool(flags & {"avx512_vnni", "avx_vnni", "amx_int8"})


def _without_aliases(fp32: bytes) -> bytes:
    """``fp32`` with every ``Identity`` of an initializer replaced by a copy of it. The
    exporter shares equal constants (two batch-norm shifts still at zero) through such
    aliases, and the operator-form quantiser needs each bias as an initializer."""
    import onnx

    model = onnx.load_from_string(fp32)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    kept = []
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            graph.initializer.append(copy)
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    return model.SerializeToString()


def quantize_static_int8(fp32: bytes, calibration: np.ndarray, *,
                         fp32_leading_convs: int = 0) -> bytes:
    """Static int8 quantisation of ``fp32``, calibrated on float pixels ``calibration``
    ``(n, c, h, w)``; the final Gemm (the head) and the first ``fp32_leading_convs``
    convolutions of the graph stay fp32. Operator form; the QDQ form when the operator
    form cannot quantise the graph."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    fp32 = _without_aliases(fp32)
    graph = onnx.load_from_string(fp32).graph
    head = [n.name for n in graph.node if n.op_type in ("Gemm", "MatMul")][-1:]
    head += [n.name for n in graph.node if n.op_type == "Conv"][:max(0, fp32_leading_convs)]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        src.write_bytes(fp32)
        for form in (QuantFormat.QOperator, QuantFormat.QDQ):
            try:
                with quiet_root_logger():
                    quantize_static(str(src), str(dst),
                                    _Reader(calibration[:CALIBRATION_IMAGES].astype(np.float32)),
                                    quant_format=form, per_channel=True,
                                    reduce_range=not has_vnni(), activation_type=QuantType.QUInt8,
                                    weight_type=QuantType.QInt8, nodes_to_exclude=head)
                break
            except Exception:  # the quantiser's errors are plain exceptions
                if form == QuantFormat.QDQ:
                    raise
        return dst.read_bytes()


class ImageRunner(OrtRunner):
    """An onnxruntime CPU session over an image graph (bytes or a file), not busy-waiting."""

    def __init__(self, model, threads: int = 1):
        super().__init__(model, threads, spinning=False)

    def logits(self, pixels: np.ndarray) -> np.ndarray:
        """Logits for float pixels ``(n, c, h, w)`` in 0..255."""
        return self.session.run([self._output], {INPUT: pixels.astype(np.float32, copy=False)})[0]
