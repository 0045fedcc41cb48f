"""The fine-tuning loop and its callbacks, on a toy network (no transformers)."""

from __future__ import annotations

import torch
from torch import nn

from bizforge.models.text_hf.callbacks import (
    BestCheckpoint,
    CurveLogger,
    EarlyStopping,
    Progress,
    TimeBudget,
)
from bizforge.models.text_hf.events import EventWriter, read_events
from bizforge.models.text_hf.loop import (
    Batch,
    Callback,
    TrainState,
    is_better,
    train_loop,
    warmup_linear_decay,
)


class Toy(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb = nn.Embedding(10, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, ids, mask):
        m = mask.unsqueeze(-1).float()
        return self.head((self.emb(ids) * m).sum(1) / m.sum(1))


def _batches(n_batches=4):
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n_batches):
        ids = torch.randint(0, 10, (8, 5), generator=g)
        out.append(Batch(ids, torch.ones_like(ids), (ids[:, 0] > 4).long(), torch.ones(8)))
    return lambda epoch: iter(out)


def _scripted(accuracies):
    """An evaluate() that returns the given accuracies in turn (then repeats the last)."""
    calls = []

    def evaluate(net):
        acc = accuracies[min(len(calls), len(accuracies) - 1)]
        calls.append(acc)
        return {"accuracy": acc, "loss": 1.0 - acc}

    return evaluate, calls


def _run(net, evaluate, callbacks, epochs=3, every=1, clip_norm=1.0):
    opt = torch.optim.AdamW(net.parameters(), lr=0.05)
    return train_loop(net, _batches(), optimizer=opt, schedule=lambda s: 1.0, evaluate=evaluate,
                      epochs=epochs, should_evaluate=lambda s: s.step % every == 0,
                      callbacks=callbacks, clip_norm=clip_norm)


def test_loop_counts_steps_epochs_and_examples_without_validation():
    state = _run(Toy(), None, [], epochs=2)
    assert (state.step, state.epoch, state.examples_seen, state.stop) == (8, 2, 64, "epochs")
    assert state.best is None and state.evals == 0


def test_evaluates_before_training_and_at_the_requested_steps():
    evaluate, calls = _scripted([0.5])
    state = _run(Toy(), evaluate, [], epochs=1, every=2)
    assert len(calls) == 1 + 2 and state.last_eval_step == 4


def test_early_stopping_when_the_best_evaluation_is_patience_steps_old():
    evaluate, calls = _scripted([0.5, 0.7, 0.6, 0.65, 0.6, 0.9])
    state = _run(Toy(), evaluate, [EarlyStopping(patience_steps=3)], epochs=5)
    assert state.stop == "early_stopping" and state.step == 4
    assert state.best == {"accuracy": 0.7, "loss": 1.0 - 0.7} and state.best_step == 1
    assert len(calls) == 5


def test_best_checkpoint_restores_the_weights_of_the_best_evaluation():
    snapshots = {}

    class Snap(BestCheckpoint):
        def on_evaluate(self, state, net):
            super().on_evaluate(state, net)
            snapshots[state.step] = {k: v.clone() for k, v in net.state_dict().items()}

    evaluate, _ = _scripted([0.1, 0.2, 0.9, 0.3, 0.3, 0.3])
    net = Toy()
    state = _run(net, evaluate, [Snap()], epochs=1)
    assert state.best_step == 2 and state.step == 4
    for name, value in net.state_dict().items():
        assert torch.equal(value, snapshots[2][name]), name


def test_equal_accuracy_is_broken_by_lower_loss():
    assert is_better({"accuracy": 0.8, "loss": 0.3}, {"accuracy": 0.8, "loss": 0.4})
    assert not is_better({"accuracy": 0.8, "loss": 0.5}, {"accuracy": 0.8, "loss": 0.4})
    assert is_better({"accuracy": 0.1, "loss": 9.0}, None)


def test_time_budget_stops_after_the_step_that_crosses_the_deadline():
    now = [0.0]

    class Tick(Callback):  # each step takes one second
        def on_step_end(self, state, net):
            now[0] += 1.0

    state = _run(Toy(), None, [Tick(), TimeBudget(deadline=3.0, clock=lambda: now[0])],
                 epochs=10)
    assert state.stop == "budget" and state.step == 3


def test_time_budget_keeps_the_reserve_free():
    state = TrainState()
    TimeBudget(deadline=10.0, reserve=lambda: 4.0, clock=lambda: 6.5).on_step_end(state, None)
    assert state.stop == "budget"


def test_no_step_is_taken_when_no_time_is_left():
    state = _run(Toy(), None, [TimeBudget(deadline=0.0, clock=lambda: 1.0)], epochs=3)
    assert state.step == 0 and state.stop == "budget"


def test_schedule_warms_up_then_decays_to_zero_by_steps():
    factor = warmup_linear_decay(100, 0.1)
    values = [factor(TrainState(step=s)) for s in (0, 5, 10, 55, 100)]
    assert values[0] == 0.01 and values[1] == 0.5 and values[2] == 1.0
    assert abs(values[3] - 0.5) < 1e-9 and values[4] == 0.0


def test_schedule_follows_time_when_the_budget_is_shorter_than_the_steps():
    factor = warmup_linear_decay(10_000, 0.0, start=0.0, deadline=1e-9)
    assert factor(TrainState(step=1)) == 0.0  # the deadline has passed: no step is worth more


def test_curve_logger_writes_tensorboard_scalars_and_json_points():
    writer = EventWriter()
    logger = CurveLogger(writer, every=2)
    evaluate, _ = _scripted([0.5, 0.75])
    _run(Toy(), evaluate, [logger], epochs=1, every=4)
    tags = {(e.tag, e.step) for e in read_events(writer.getvalue())}
    assert {("valid/accuracy", 0), ("train/loss", 2), ("train/loss", 4),
            ("valid/accuracy", 4), ("train/learning_rate", 4)} <= tags
    last = logger.points[-1]
    assert last["step"] == 4 and last["valid_accuracy"] == 0.75 and last["train_loss"] > 0
    assert last["lr"] == 0.05


def test_gradient_clipping_limits_the_update():
    net = Toy()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    train_loop(net, _batches(1), optimizer=opt, schedule=lambda s: 1.0, evaluate=None,
               epochs=1, should_evaluate=lambda s: False, clip_norm=1e-3)
    moved = sum(float((v - before[k]).pow(2).sum()) for k, v in net.state_dict().items())
    assert moved ** 0.5 <= 1e-3 + 1e-6


def test_progress_reports_the_stop_reason():
    lines = []
    evaluate, _ = _scripted([0.5])
    _run(Toy(), evaluate, [Progress(lines.append, every=0.0), EarlyStopping(1)], epochs=3)
    assert lines[0].startswith("fine-tune: step 1")
    assert "stopped by early_stopping" in lines[-1] and "best accuracy 0.5000" in lines[-1]


def test_early_stopping_waits_for_min_steps():
    evaluate, _ = _scripted([0.9, 0.5])
    state = _run(Toy(), evaluate, [EarlyStopping(patience_steps=1, min_steps=3)], epochs=5)
    assert state.stop == "early_stopping" and state.step == 3
