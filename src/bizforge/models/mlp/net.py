"""The torch side of the MLP backend: the network and its training loop.

Kept apart from ``model.py`` so that importing bizforge.models does not import
torch; this module is imported when an MLP is fitted or loaded.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

__all__ = ["TabularNet", "TrainResult", "embedding_dim", "to_tensors", "train_net"]


def embedding_dim(n_categories: int, cap: int) -> int:
    """A small embedding that grows slowly with the number of categories."""
    return int(max(2, min(cap, round(1.6 * (n_categories + 1) ** 0.56))))


class TabularNet(nn.Module):
    """Numeric inputs + one embedding per categorical column -> hidden layers -> outputs.

    Category index 0 is "missing"; category code ``c`` is index ``c + 1``.
    """

    def __init__(self, n_numeric: int, cat_sizes: list[int], emb_dims: list[int],
                 hidden: list[int], dropout: float, n_out: int):
        super().__init__()
        self.embeddings = nn.ModuleList(
            nn.Embedding(size + 1, dim) for size, dim in zip(cat_sizes, emb_dims)
        )
        layers: list[nn.Module] = []
        width = n_numeric + sum(emb_dims)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, n_out))
        self.mlp = nn.Sequential(*layers)

    def forward(self, num: torch.Tensor, cat: torch.Tensor) -> torch.Tensor:
        parts = [num] + [emb(cat[:, i]) for i, emb in enumerate(self.embeddings)]
        return self.mlp(torch.cat(parts, dim=1) if len(parts) > 1 else num)


@dataclass
class TrainResult:
    best_epoch: int = 0
    best_loss: float | None = None
    epochs_run: int = 0
    timed_out: bool = False
    history: list[float] = field(default_factory=list)


def _loss(net, loss_fn, num, cat, target, weight, batch: int = 4096) -> float:
    net.eval()
    total, wsum = 0.0, 0.0
    with torch.inference_mode():
        for s in range(0, len(num), batch):
            out = net(num[s:s + batch], cat[s:s + batch])
            losses = loss_fn(out, target[s:s + batch])
            w = weight[s:s + batch]
            total += float((losses * w).sum())
            wsum += float(w.sum())
    return total / max(wsum, 1e-12)


def train_net(net: TabularNet, loss_fn, train: tuple, valid: tuple | None, *, lr: float,
              weight_decay: float, batch_size: int, epochs: int, patience: int,
              deadline: float | None, seed: int) -> TrainResult:
    """Mini-batch AdamW; keeps the weights of the epoch with the lowest validation loss.

    ``train``/``valid`` are (num, cat, target, weight) tensors; ``loss_fn`` returns
    per-row losses. Stops after ``patience`` epochs without improvement or at ``deadline``
    (time.monotonic); without ``valid`` it runs ``epochs`` epochs and keeps the last.
    """
    num, cat, target, weight = train
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    result = TrainResult()
    best_state = None
    n = len(num)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(n, generator=gen)
        for s in range(0, n, batch_size):
            idx = order[s:s + batch_size]
            if len(idx) < 2 and n > 1:  # a batch of one row breaks nothing but adds noise
                continue
            opt.zero_grad(set_to_none=True)
            w = weight[idx]
            loss = (loss_fn(net(num[idx], cat[idx]), target[idx]) * w).sum() / w.sum()
            loss.backward()
            opt.step()
            if deadline is not None and time.monotonic() >= deadline:
                result.timed_out = True
                break
        result.epochs_run = epoch + 1
        if valid is not None:
            v = _loss(net, loss_fn, *valid)
            result.history.append(v)
            if result.best_loss is None or v < result.best_loss - 1e-7:
                result.best_loss, result.best_epoch = v, epoch + 1
                best_state = copy.deepcopy(net.state_dict())
            elif epoch + 1 - result.best_epoch >= patience:
                break
        else:
            result.best_epoch = epoch + 1
        if result.timed_out:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return result


def to_tensors(num: np.ndarray, cat: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Numeric block as float32, category codes (NaN = missing) as embedding indices."""
    idx = np.where(np.isnan(cat), 0, cat + 1).astype(np.int64)
    return torch.from_numpy(num.astype(np.float32)), torch.from_numpy(idx)
