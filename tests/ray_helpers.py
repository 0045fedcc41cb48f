"""A backend that takes the seconds it is told, for the Ray tests (workers import it too).

Not registered: the search gets the class itself as a candidate's backend, and the
Ray workers import this module because the test cluster's PYTHONPATH holds ``tests/``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from bizforge.models.base import Model, Tags


class SleepyModel(Model):
    """Class frequencies of the training rows, after ``sleep`` seconds per fit."""

    name = "sleepy"
    tags = Tags(explains=False)
    defaults: ClassVar[dict[str, Any]] = {"sleep": 0.0, "shift": 0.0, "pid_dir": None}

    def _fit(self, X: np.ndarray, y: np.ndarray, valid: tuple | None) -> None:
        if self.params_["pid_dir"]:  # where a test finds the worker processes to kill
            (Path(self.params_["pid_dir"]) / str(os.getpid())).touch()
        time.sleep(float(self.params_["sleep"]))
        counts = np.bincount(y.astype(int), minlength=self.n_classes_) + 1.0
        self.prior_ = (counts / counts.sum()).tolist()
        self.feature_importances_ = np.ones(X.shape[1]) / X.shape[1]

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.asarray(self.prior_) + float(self.params_["shift"]) * np.tanh(X[:, :1])
        p = np.clip(p, 1e-6, None)
        return p / p.sum(axis=1, keepdims=True)

    def _state(self) -> dict[str, Any]:
        return {"prior": self.prior_}

    def _restore(self, state: dict[str, Any], directory) -> None:
        self.prior_ = state["prior"]
