"""Mean-pooled sentence embeddings of a Hugging Face encoder, run by PyTorch or onnxruntime.

:class:`PooledEncoder` maps ``(input_ids, attention_mask)`` to one L2-normalised row
per text: each chosen hidden state is averaged over the attention mask and
normalised, and the row is their concatenation scaled back to unit length (one
state: the last layer). PyTorch runs it on a GPU; on a CPU the same module is
exported once per process to ONNX (fp32, not quantised) and run by onnxruntime.
Imported only where torch is loaded anyway (the backbone's first use).

Both give the same numbers (float32 rounding apart; tested). Measured with 2
threads (``bench/text.py --embed-runtimes``): e5-fp32 on ChnSentiCorp hotel reviews
75 texts/s against 40 for eager PyTorch, MiniLM on SST-2 sentences 486 against 248.
int8 weights were faster still but cost 0.8 accuracy points for logistic regression
on the e5 embeddings, so they are not used.

>>> net = PooledEncoder(AutoModel.from_pretrained(path), layers=(8, 12))   # doctest: +SKIP
>>> runner = onnx_runner(net, threads=2)                                 # doctest: +SKIP
>>> runner.run(input_ids, attention_mask).shape                         # doctest: +SKIP
(32, 768)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch

from bizforge.models.text_hf.net import masked_mean

__all__ = ["PooledEncoder", "onnx_runner"]

log = logging.getLogger(__name__)


class PooledEncoder(torch.nn.Module):
    """An encoder + masked mean pooling of ``layers`` (hidden-state indices; None: the last)."""

    def __init__(self, encoder, layers: Sequence[int] | None = None):
        super().__init__()
        self.encoder = encoder
        self.layers = [int(i) for i in layers] if layers else None

    def forward(self, input_ids, attention_mask):
        got = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                           output_hidden_states=self.layers is not None)
        states = ([got.hidden_states[i] for i in self.layers] if self.layers
                  else [got.last_hidden_state])
        pooled = [torch.nn.functional.normalize(masked_mean(h, attention_mask), dim=1)
                  for h in states]
        return torch.cat(pooled, dim=1) / len(pooled) ** 0.5


def onnx_runner(net: PooledEncoder, threads: int, spinning: bool = True):
    """An :class:`~bizforge.models.text_hf.onnx_export.OrtRunner` over ``net`` exported to
    ONNX, or None when the export or the session fails (then PyTorch embeds instead)."""
    from bizforge.errors import ModelError
    from bizforge.models.text_hf.onnx_export import OrtRunner, export_onnx

    try:
        graph = export_onnx(net, output="embedding")
        return OrtRunner(graph, threads=threads, spinning=spinning)
    except (ModelError, RuntimeError, ValueError, TypeError) as exc:
        log.info("embedding with PyTorch: the ONNX export failed (%s: %s)",
                 type(exc).__name__, exc)
        return None
