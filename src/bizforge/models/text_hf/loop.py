"""The fine-tuning loop: one function that reads top to bottom; everything else is a callback.

Early stopping, the best checkpoint, the time budget, TensorBoard logging and progress
live in :mod:`bizforge.models.text_hf.callbacks`; they read and write ``TrainState``
(``state.stop = "budget"`` ends training after the current step).

>>> state = train_loop(net, batches, optimizer=opt, schedule=schedule, evaluate=evaluate,
...                    epochs=3, should_evaluate=lambda s: s.step % 100 == 0,
...                    callbacks=[EarlyStopping(3), BestCheckpoint()])   # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field

import torch
from torch import nn

__all__ = ["Batch", "Callback", "TrainState", "is_better", "train_loop", "warmup_linear_decay"]


@dataclass
class Batch:
    """One padded training batch (CPU tensors; the loop moves them to the device)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    weights: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass
class TrainState:
    """What the loop knows; callbacks read it and may set ``stop`` to a reason."""

    started: float = field(default_factory=time.monotonic)
    step: int = 0
    epoch: int = 0                      # epochs started
    examples_seen: int = 0
    loss: float | None = None           # loss of the last step
    lr: float = 0.0                     # learning rate of the first parameter group
    valid: dict[str, float] | None = None          # last evaluation, e.g. {"accuracy", "loss"}
    best: dict[str, float] | None = None           # best evaluation so far
    best_step: int | None = None
    evals: int = 0
    evals_since_best: int = 0
    improved: bool = False              # did the last evaluation beat the best?
    last_eval_step: int = 0
    last_eval_time: float = field(default_factory=time.monotonic)
    stop: str | None = None             # "budget", "early_stopping", ... ; None = keep going

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


class Callback:
    """Hooks called by :func:`train_loop`; override the ones you need."""

    def on_train_begin(self, state: TrainState, net: nn.Module) -> None:
        pass

    def on_step_end(self, state: TrainState, net: nn.Module) -> None:
        pass

    def on_evaluate(self, state: TrainState, net: nn.Module) -> None:
        pass

    def on_train_end(self, state: TrainState, net: nn.Module) -> None:
        pass


def is_better(new: dict[str, float], old: dict[str, float] | None) -> bool:
    """Higher accuracy wins; equal accuracy (common on small sets) -> lower loss wins."""
    if old is None:
        return True
    if new["accuracy"] != old["accuracy"]:
        return new["accuracy"] > old["accuracy"]
    return new["loss"] < old["loss"] - 1e-9


def warmup_linear_decay(total_steps: int, warmup: float, *, start: float | None = None,
                        deadline: float | Callable[[], float] | None = None,
                        ) -> Callable[[TrainState], float]:
    """Learning-rate factor: linear warm-up over ``warmup`` of training, then linear decay to 0.

    Progress is the larger of steps done / ``total_steps`` and time used / time until
    ``deadline``, so under a time budget the rate still reaches zero when time runs out
    instead of being cut off at its peak. ``deadline`` may be a function, asked at every
    step, when it depends on timings measured during training.
    """
    t0 = time.monotonic() if start is None else start

    def factor(state: TrainState) -> float:
        progress = state.step / max(1, total_steps)
        if deadline is not None:
            end = deadline() if callable(deadline) else deadline
            progress = max(progress, (time.monotonic() - t0) / max(1e-9, end - t0))
        progress = min(1.0, progress)
        if progress < warmup:
            return max(progress / warmup, 0.01)
        return max(0.0, (1.0 - progress) / max(1e-9, 1.0 - warmup))

    return factor


def train_loop(
    net: nn.Module,
    batches: Callable[[int], Iterable[Batch]],
    *,
    optimizer: torch.optim.Optimizer,
    schedule: Callable[[TrainState], float],
    evaluate: Callable[[nn.Module], dict[str, float]] | None,
    epochs: int,
    should_evaluate: Callable[[TrainState], bool],
    callbacks: list[Callback] = (),
    clip_norm: float | None = 1.0,
    device: str = "cpu",
    amp_dtype: torch.dtype | None = None,
) -> TrainState:
    """Train ``net`` (returns logits) with weighted cross-entropy; return the final state.

    ``batches(epoch)`` yields the epoch's batches; ``evaluate(net)`` returns at least
    ``{"accuracy", "loss"}`` on validation data (None: no validation, nothing is
    compared). The net is evaluated once before the first step so that a fine-tune
    that only makes things worse still returns its (better) starting point.
    """
    state = TrainState()
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    # fp16 gradients underflow without loss scaling; bf16 has fp32's range and needs none.
    scaler = torch.amp.GradScaler("cuda") if amp_dtype == torch.float16 else None
    ce = nn.CrossEntropyLoss(reduction="none")

    def run_evaluation() -> None:
        state.valid = evaluate(net)
        state.evals += 1
        state.last_eval_step, state.last_eval_time = state.step, time.monotonic()
        state.improved = is_better(state.valid, state.best)
        if state.improved:
            state.best, state.best_step, state.evals_since_best = dict(state.valid), state.step, 0
        else:
            state.evals_since_best += 1
        for cb in callbacks:
            cb.on_evaluate(state, net)

    for cb in callbacks:
        cb.on_train_begin(state, net)
    if evaluate is not None:
        run_evaluation()
    for epoch in range(epochs):
        if state.stop:
            break
        state.epoch = epoch + 1
        for batch in batches(epoch):
            net.train()
            factor = schedule(state)
            for group, base in zip(optimizer.param_groups, base_lrs):
                group["lr"] = base * factor
            state.lr = optimizer.param_groups[0]["lr"]
            ids = batch.input_ids.to(device, non_blocking=True)
            mask = batch.attention_mask.to(device, non_blocking=True)
            labels = batch.labels.to(device, non_blocking=True)
            weights = batch.weights.to(device, non_blocking=True)
            autocast = (torch.autocast(device_type=device, dtype=amp_dtype)
                        if amp_dtype is not None else nullcontext())
            with autocast:
                logits = net(ids, mask)
            loss = (ce(logits.float(), labels) * weights).sum() / weights.sum()
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
            else:
                loss.backward()
            if clip_norm:
                nn.utils.clip_grad_norm_(net.parameters(), clip_norm)
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            state.step += 1
            state.examples_seen += len(batch)
            state.loss = float(loss.detach())
            for cb in callbacks:
                cb.on_step_end(state, net)
            if evaluate is not None and not state.stop and should_evaluate(state):
                run_evaluation()
            if state.stop:
                break
        if evaluate is not None and state.last_eval_step != state.step:
            run_evaluation()  # end of epoch, or stopped between evaluations
    if state.stop is None:
        state.stop = "epochs"
    for cb in callbacks:
        cb.on_train_end(state, net)
    return state
