"""ONNX export, int8 dynamic quantisation and the onnxruntime predictor for CPU serving.

Served on a CPU, the int8 model is the default: onnxruntime's dynamic quantisation
stores the Linear weights as int8 and quantises activations per batch, which about
doubles throughput over eager PyTorch for a small accuracy cost (measured at fit on
validation rows and saved in model.json).

>>> fp32 = export_onnx(net)                        # doctest: +SKIP
>>> runner = OrtRunner(quantize_int8(fp32), threads=2)  # doctest: +SKIP
>>> runner.run(input_ids, attention_mask)          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bizforge.errors import ModelError

__all__ = ["OPSET", "OrtRunner", "export_onnx", "quantize_int8", "quiet_root_logger"]

OPSET = 17
INPUTS = ("input_ids", "attention_mask")


def export_onnx(net, opset: int = OPSET, output: str = "logits") -> bytes:
    """The fp32 ONNX graph of ``net`` (``output`` from input_ids, attention_mask) as bytes.

    Uses the TorchScript-based exporter (``dynamo=False``): it needs no onnxscript and
    handles Hugging Face encoders with dynamic batch and sequence axes. ``net`` is
    exported on the CPU in eval mode; it is left in eval mode.
    """
    import torch

    net = net.to("cpu").eval()
    vocab = int(net.encoder.config.vocab_size)
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (2, 8), generator=gen)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # a padded row, so the traced graph is the general one
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python ifs
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(
            net, (ids, mask), str(path), dynamo=False, opset_version=opset,
            input_names=list(INPUTS), output_names=[output],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                          "attention_mask": {0: "batch", 1: "sequence"},
                          output: {0: "batch"}},
            do_constant_folding=True,
        )
        return path.read_bytes()


def quantize_int8(fp32: bytes, per_channel: bool = True,
                  keep_fp32: tuple[str, ...] = ("/head/",)) -> bytes:
    """Dynamic int8 quantisation (QInt8 weights) of an fp32 ONNX model, as bytes.

    ``per_channel`` gives every output channel of a weight matrix its own scale, and
    weights use 7 bits (``reduce_range``) so int8 products cannot saturate the 16-bit
    accumulators of CPUs without VNNI. Measured against the fp32 model (MiniLM):
    banking77 test (3,080 texts) per-tensor -1.2 accuracy points, per-channel -0.1,
    per-channel + reduced range -0.03 (98.7% identical predictions); SST-2 dev (872)
    per-channel -1.1, per-channel + reduced range +0.1 (97.8% identical), same speed.
    Nodes whose names start with ``keep_fp32`` stay in fp32: by default the
    classification head, which is tiny (nothing to gain) and turns any error straight
    into a different class.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load_from_string(fp32).graph
    # The quantiser first splits Gemm into "<name>_MatMul" + "<name>_Add": name both.
    exclude = [name for n in graph.node if n.name.startswith(tuple(keep_fp32))
               for name in (n.name, f"{n.name}_MatMul")]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        src.write_bytes(fp32)
        with quiet_root_logger():
            quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8,
                             per_channel=per_channel, reduce_range=True,
                             nodes_to_exclude=exclude)
        return dst.read_bytes()


@contextmanager
def quiet_root_logger(level: int = logging.ERROR) -> Iterator[None]:
    """onnxruntime's quantiser logs a "consider pre-processing" hint on the root logger:
    raise the root level to ``level`` while it runs."""
    root = logging.getLogger()
    saved = root.level
    root.setLevel(level)
    try:
        yield
    finally:
        root.setLevel(saved)


class OrtRunner:
    """An onnxruntime CPU session over a model (bytes or a file) with ``threads`` threads."""

    def __init__(self, model: bytes | str | Path, threads: int = 1, spinning: bool = True):
        import onnxruntime as ort
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

        # onnxruntime's errors derive from Exception only; these are the load failures.
        load_errors = (ort_errors.Fail, ort_errors.InvalidProtobuf, ort_errors.NoSuchFile,
                       ort_errors.InvalidArgument, ort_errors.InvalidGraph,
                       ort_errors.RuntimeException, OSError)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if not spinning:
            # Idle threads sleep instead of spinning: with other work on the same cores
            # (a server, its clients) spinning took twice the CPU of a small batch.
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        source = model if isinstance(model, bytes) else str(model)
        try:
            self.session = ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])
        except load_errors as exc:
            where = "the exported model" if isinstance(model, bytes) else f"'{model}'"
            raise ModelError(f"onnxruntime cannot load {where}: {type(exc).__name__}.",
                             fix="save the model again (the file may be damaged).") from None
        self._inputs = {i.name for i in self.session.get_inputs()}
        self._output = self.session.get_outputs()[0].name

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """The model's (first) output for one padded batch: logits, or embeddings."""
        feed = {"input_ids": input_ids.astype(np.int64, copy=False),
                "attention_mask": attention_mask.astype(np.int64, copy=False)}
        feed = {k: v for k, v in feed.items() if k in self._inputs}
        return self.session.run([self._output], feed)[0]
