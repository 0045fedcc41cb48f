"""Callbacks for :func:`bizforge.models.text_hf.loop.train_loop`.

>>> cbs = [TimeBudget(deadline), EarlyStopping(patience=3), BestCheckpoint(),
...        CurveLogger(EventWriter()), Progress(print)]       # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import torch
from torch import nn

from bizforge.models.text_hf.events import EventWriter
from bizforge.models.text_hf.loop import Callback, TrainState

__all__ = ["BestCheckpoint", "CurveLogger", "EarlyStopping", "Progress", "TimeBudget"]

log = logging.getLogger("bizforge.models.text_hf")


class TimeBudget(Callback):
    """Stop after the step that crosses ``deadline`` (a ``time.monotonic()`` value).

    ``reserve()`` gives seconds to keep for work after training (the last evaluation,
    export): training stops that much earlier. It is asked at every step because it
    depends on measured timings.
    """

    def __init__(self, deadline: float | None, reserve: Callable[[], float] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.deadline, self.reserve, self.clock = deadline, reserve, clock

    def on_step_end(self, state: TrainState, net: nn.Module) -> None:
        if self.deadline is None:
            return
        keep = self.reserve() if self.reserve is not None else 0.0
        if self.clock() + keep >= self.deadline:
            state.stop = "budget"

    def on_train_begin(self, state: TrainState, net: nn.Module) -> None:
        self.on_step_end(state, net)  # no time left at all: do not take a step


class EarlyStopping(Callback):
    """Stop when the best evaluation is ``patience_steps`` steps old (0 turns it off).

    Never before ``min_steps`` steps. Counting steps rather than evaluations keeps the
    meaning fixed when evaluations also happen on a clock (under a time budget).
    """

    def __init__(self, patience_steps: int, min_steps: int = 0):
        self.patience_steps, self.min_steps = int(patience_steps), int(min_steps)

    def on_evaluate(self, state: TrainState, net: nn.Module) -> None:
        if (self.patience_steps > 0 and state.best_step is not None
                and state.step - state.best_step >= self.patience_steps
                and state.step >= self.min_steps):
            state.stop = "early_stopping"


class BestCheckpoint(Callback):
    """Keep a copy of the weights at the best evaluation (in memory) and restore it at the end.

    Copies go to CPU memory so a GPU run does not hold two models on the device.
    """

    def __init__(self) -> None:
        self.weights: dict[str, torch.Tensor] | None = None
        self.step: int | None = None

    def on_evaluate(self, state: TrainState, net: nn.Module) -> None:
        if state.improved:
            self.weights = {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}
            self.step = state.step

    def on_train_end(self, state: TrainState, net: nn.Module) -> None:
        if self.weights is not None and self.step != state.step:
            net.load_state_dict(self.weights)
        self.weights = None  # the net now holds them; free the copy


class CurveLogger(Callback):
    """Training curve as TensorBoard scalars and as a JSON-able list of points.

    Every ``every`` steps: mean training loss since the last point and the learning
    rate; at every evaluation: the validation scores. ``points`` is what the HTML
    report draws: ``{"step", "examples", "seconds", "train_loss", "lr", "valid_accuracy",
    "valid_loss"}`` (None where not measured at that step).
    """

    def __init__(self, writer: EventWriter, every: int = 10):
        self.writer, self.every = writer, max(1, int(every))
        self.points: list[dict] = []
        self._sum, self._n = 0.0, 0

    def _point(self, state: TrainState) -> dict:
        if self.points and self.points[-1]["step"] == state.step:
            return self.points[-1]
        point = {"step": state.step, "examples": state.examples_seen,
                 "seconds": round(state.seconds, 3), "train_loss": None, "lr": None,
                 "valid_accuracy": None, "valid_loss": None}
        self.points.append(point)
        return point

    def on_step_end(self, state: TrainState, net: nn.Module) -> None:
        if state.loss is not None:
            self._sum += state.loss
            self._n += 1
        if self._n and state.step % self.every == 0:
            self._flush(state)

    def _flush(self, state: TrainState) -> None:
        mean = self._sum / self._n
        point = self._point(state)
        point["train_loss"], point["lr"] = round(mean, 6), state.lr
        self.writer.add_scalar("train/loss", mean, state.step)
        self.writer.add_scalar("train/learning_rate", state.lr, state.step)
        self._sum, self._n = 0.0, 0

    def on_evaluate(self, state: TrainState, net: nn.Module) -> None:
        point = self._point(state)
        for name, value in (state.valid or {}).items():
            point[f"valid_{name}"] = round(float(value), 6)
            self.writer.add_scalar(f"valid/{name}", float(value), state.step)

    def on_train_end(self, state: TrainState, net: nn.Module) -> None:
        if self._n:
            self._flush(state)


class Progress(Callback):
    """A one-line status at most every ``every`` seconds, to ``emit`` (default: the log)."""

    def __init__(self, emit: Callable[[str], None] | None = None, every: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.emit = emit or log.info
        self.every, self.clock = every, clock
        self._last = float("-inf")

    def _line(self, state: TrainState) -> str:
        parts = [f"step {state.step}", f"epoch {state.epoch}", f"{state.examples_seen:,} texts"]
        if state.loss is not None:
            parts.append(f"loss {state.loss:.3f}")
        if state.valid is not None:
            parts.append(f"valid accuracy {state.valid['accuracy']:.4f}")
        parts.append(f"{state.seconds:.0f} s")
        return "fine-tune: " + ", ".join(parts)

    def on_step_end(self, state: TrainState, net: nn.Module) -> None:
        now = self.clock()
        if now - self._last >= self.every:
            self._last = now
            self.emit(self._line(state))

    def on_train_end(self, state: TrainState, net: nn.Module) -> None:
        best = "" if state.best is None else f", best accuracy {state.best['accuracy']:.4f}"
        self.emit(self._line(state) + f"; stopped by {state.stop}{best}")
