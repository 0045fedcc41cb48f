"""Logits for many texts, in length-sorted batches, from PyTorch or onnxruntime; the device.

Batches are formed the same way every time (rows sorted by length, stable), so the
same texts give bit-identical outputs -- int8 activations are quantised per batch,
so a different batching would change the last digits.

>>> logits_ort(runner, tokenized, pad_id=0)     # (n, k) float32   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from bizforge.models.text_hf.data import Tokenized, pad_batch, sorted_batches

__all__ = ["PREDICT_BATCH", "logits_ort", "logits_torch", "pick_device"]

PREDICT_BATCH = 32


def pick_device() -> tuple[str, object]:
    """``(device, autocast dtype or None)`` from settings.device ("auto", "cpu", "cuda").

    On a GPU, bf16 autocast where supported, else fp16 (with a gradient scaler). CPUs
    train in fp32: bf16 there is slower on most machines.
    """
    import torch

    from bizforge.config import get_settings

    wanted = get_settings().device
    if wanted == "cpu" or not torch.cuda.is_available():
        return "cpu", None
    amp = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return "cuda", amp


def logits_torch(net, tok: Tokenized, pad_id: int, *, device: str = "cpu", amp=None,
                 batch_size: int = 64) -> np.ndarray:
    """(n, k) float32 logits of ``net`` in eval mode (no dropout, no gradients)."""
    import torch

    net.eval()
    out = None
    with torch.inference_mode():
        for rows in sorted_batches(tok.lengths, batch_size):
            ids, mask = pad_batch(tok.ids, rows, pad_id)
            ids_t, mask_t = torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)
            if amp is not None:
                with torch.autocast(device_type=device, dtype=amp):
                    z = net(ids_t, mask_t)
            else:
                z = net(ids_t, mask_t)
            z = z.float().cpu().numpy()
            if out is None:
                out = np.empty((len(tok), z.shape[1]), dtype=np.float32)
            out[rows] = z
    return out


def logits_ort(runner, tok: Tokenized, pad_id: int, *,
               batch_size: int = PREDICT_BATCH) -> np.ndarray:
    """(n, k) float32 logits from an :class:`OrtRunner`."""
    out = None
    for rows in sorted_batches(tok.lengths, batch_size):
        z = runner.run(*pad_batch(tok.ids, rows, pad_id))
        if out is None:
            out = np.empty((len(tok), z.shape[1]), dtype=np.float32)
        out[rows] = z
    return out
