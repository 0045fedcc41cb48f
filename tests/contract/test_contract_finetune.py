"""The "finetune" backend passes the contract suite, with a tiny random BERT.

``check_model`` builds numeric/categorical frames only, which a text backend refuses
(it needs a text column). As for the other text backends, the same CHECKS run here on
``make_frame`` plus a "review" column whose words carry the label, so every check
(missing column, text in a numeric column, NaN, unseen category, save/load ...) applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.models.text_hf import FinetuneModel
from bizforge.models.text_hf.tiny import FILLER, WORDS, make_tiny_backbone
from bizforge.testing import check_model
from bizforge.testing.check import CHECKS, _Case, make_frame

# Small and quick: the checks fit about six models per problem.
PARAMS = {"epochs": 3, "n_threads": 1, "quant_check_rows": 20, "probe_rows": 200}


def make_text_frame(problem: str, n: int = 120, seed: int = 0):
    """``make_frame`` plus a str column "review" of tiny-vocabulary words that carry the label."""
    X, y = make_frame(problem, n, seed)
    rng = np.random.default_rng(seed + 1)
    texts = [" ".join([*rng.choice(FILLER, 3), *rng.choice(WORDS[int(c)], 2)]) for c in y]
    X.insert(1, "review", pd.array(texts, dtype="str"))
    return X, y


class _TextCase(_Case):
    def __init__(self, factory, problem: str):
        super().__init__(factory, problem)
        self.X, self.y = make_text_frame(problem)


@pytest.fixture(scope="module")
def backbone(tmp_path_factory):
    return str(make_tiny_backbone(tmp_path_factory.mktemp("tiny_bert")))


def _factory(problem: str, backbone: str):
    return lambda: FinetuneModel(problem, backbone=backbone, **PARAMS)


@pytest.mark.parametrize("problem", ["binary", "multiclass"])
def test_finetune_passes_the_contract_checks_on_text(problem, backbone):
    case = _TextCase(_factory(problem, backbone), problem)
    for name, check in CHECKS.items():
        try:
            check(case)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc


def test_regression_is_refused_by_the_contract(backbone):
    check_model(_factory("regression", backbone), "regression")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="check_model builds numeric/categorical frames without a text column")
def test_check_model_as_shipped_has_no_text_frame(backbone):
    check_model(_factory("binary", backbone), "binary")
