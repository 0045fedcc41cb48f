"""WHAT to predict: validate the target, decide the task, its classes and metric.

>>> import pandas as pd
>>> from bizforge.tasks import resolve_task
>>> spec = resolve_task(pd.DataFrame({"y": [0, 1, 0, 1]}), "y")
>>> spec.problem, spec.positive
('binary', 1)
"""

from __future__ import annotations

from bizforge.tasks.spec import DEFAULT_METRIC, METRICS, PROBLEMS, TASKS, TaskSpec, check_metric
from bizforge.tasks.tabular import MAX_AUTO_CLASSES, resolve_task

__all__ = [
    "DEFAULT_METRIC",
    "MAX_AUTO_CLASSES",
    "METRICS",
    "PROBLEMS",
    "TASKS",
    "TaskSpec",
    "check_metric",
    "resolve_task",
]
