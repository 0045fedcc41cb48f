"""``check_model``: the contract suite every model backend must pass (like sklearn's check_estimator).

Each check fits on a tiny deterministic frame built here (numeric, Categorical and
missing values, an awkward column name) and asserts one behaviour. A failing check
raises AssertionError starting with the check's name.

>>> from bizforge.models import get_model
>>> from bizforge.testing import check_model
>>> check_model(lambda: get_model("linear")("binary"), "binary")
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from bizforge.errors import DataError, NotFittedError, UsageError
from bizforge.models.base import Model

__all__ = ["CHECKS", "PICKLE_SUFFIXES", "check_model", "make_frame"]

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth")
ODD_NAME = 'price: "net" [EUR], x'
CHECKS: dict[str, Callable] = {}


def _check(fn: Callable) -> Callable:
    CHECKS[fn.__name__] = fn
    return fn


def make_frame(problem: str, n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A small learnable frame: numeric, Categorical (with ``__other__``), NaN, odd name."""
    rng = np.random.default_rng(seed)
    num = rng.normal(0.0, 1.0, n)
    plan = rng.choice(["basic", "plus", "pro", "__other__"], n)
    region = rng.choice(["north", "south"], n).astype(object)
    region[rng.random(n) < 0.15] = None
    gaps = rng.normal(10.0, 2.0, n)
    gaps[rng.random(n) < 0.2] = np.nan
    X = pd.DataFrame({
        "num": num,
        "plan": pd.Categorical(plan, categories=["basic", "plus", "pro", "__other__"]),
        "region": pd.Categorical(region, categories=["north", "south"]),
        "gaps": gaps,
        ODD_NAME: rng.uniform(0.0, 5.0, n),
    })
    score = 1.5 * num + np.select([plan == "pro", plan == "basic"], [1.5, -1.0], 0.0)
    if problem == "regression":
        y = score + rng.normal(0.0, 0.3, n)
    elif problem == "binary":
        y = (score + rng.normal(0.0, 0.5, n) > 0).astype(np.int64)
    else:
        y = np.digitize(score + rng.normal(0.0, 0.5, n), [-0.8, 0.8]).astype(np.int64)
    return X, y


class _Case:
    """One backend x problem under test, with the fitted model shared between checks."""

    def __init__(self, factory: Callable[[], Model], problem: str):
        self.factory, self.problem = factory, problem
        self.tags = factory().tags
        X, self.y = make_frame(problem)
        if not self.tags.handles_categorical:
            X = X.assign(**{c: X[c].cat.codes.astype(float) for c in ("plan", "region")})
        if not self.tags.handles_missing:
            X = X.fillna({"gaps": 10.0}).assign(
                region=X["region"].cat.add_categories("none").fillna("none")
                if self.tags.handles_categorical else X["region"].replace(-1.0, 2.0))
        self.X = X
        self._model: Model | None = None

    @property
    def classification(self) -> bool:
        return self.problem != "regression"

    def fit(self, seed: int = 0, **kw) -> Model:
        return self.factory().fit(self.X, self.y, seed=seed, **kw)

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = self.fit()
        return self._model

    def output(self, model: Model, X: pd.DataFrame | None = None) -> np.ndarray:
        X = self.X if X is None else X
        if self.classification and model.tags.supports_proba:
            return model.predict_proba(X)
        return model.predict(X).astype(np.float64)


def _raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError(f"expected {exc_type.__name__}, nothing was raised")


@_check
def check_not_fitted(case: _Case) -> None:
    model = case.factory()
    _raises(NotFittedError, model.predict, case.X)
    if case.classification and case.tags.supports_proba:
        _raises(NotFittedError, model.predict_proba, case.X)
    with tempfile.TemporaryDirectory() as tmp:
        _raises(NotFittedError, model.save, Path(tmp))


@_check
def check_fit_returns_self(case: _Case) -> None:
    model = case.factory()
    assert model.fit(case.X, case.y, seed=0) is model, "fit() must return self"
    assert model.feature_names_ == list(case.X.columns), "feature_names_ must list the columns"
    imp = np.asarray(model.feature_importances_)
    assert imp.shape == (case.X.shape[1],), f"feature_importances_ has shape {imp.shape}"
    assert np.isfinite(imp).all(), "feature_importances_ must be finite"


@_check
def check_predict_output(case: _Case) -> None:
    pred = case.model.predict(case.X)
    assert pred.shape == (len(case.X),), f"predict gave shape {pred.shape}"
    if case.classification:
        assert pred.dtype.kind == "i", f"predict must give class indices, got {pred.dtype}"
        k = case.model.n_classes_
        assert pred.min() >= 0 and pred.max() < k, "class index out of range"
        baseline = np.bincount(case.y).max() / len(case.y)
        acc = float((pred == case.y).mean())
        assert acc > baseline, f"training accuracy {acc:.2f} <= majority class {baseline:.2f}"
    else:
        assert np.isfinite(pred).all(), "regression predictions must be finite"
        r2 = 1 - np.mean((pred - case.y) ** 2) / np.var(case.y)
        assert r2 > 0.3, f"training R^2 {r2:.2f} is too low for a learnable target"


@_check
def check_predict_proba(case: _Case) -> None:
    if not case.classification:
        _raises(UsageError, case.model.predict_proba, case.X)
        return
    if not case.tags.supports_proba:
        return
    proba = case.model.predict_proba(case.X)
    k = case.model.n_classes_
    assert proba.shape == (len(case.X), k), f"predict_proba gave {proba.shape}, want (n, {k})"
    assert proba.dtype == np.float64, f"predict_proba must be float64, got {proba.dtype}"
    assert ((proba >= 0) & (proba <= 1)).all(), "probabilities outside [0, 1]"
    assert np.allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-9), "rows must sum to 1"
    assert np.array_equal(proba.argmax(axis=1), case.model.predict(case.X)), \
        "predict must be the argmax of predict_proba"


@_check
def check_same_seed_same_predictions(case: _Case) -> None:
    again = case.fit(seed=0)
    assert np.array_equal(case.output(case.model), case.output(again)), \
        "two fits with seed=0 gave different predictions"


@_check
def check_column_order(case: _Case) -> None:
    shuffled = case.X[list(reversed(case.X.columns))]
    assert np.array_equal(case.output(case.model), case.output(case.model, shuffled)), \
        "predictions changed when the columns were reordered"


@_check
def check_missing_column(case: _Case) -> None:
    err = _raises(DataError, case.model.predict, case.X.drop(columns=["num"]))
    assert err.column == "num" and "num" in str(err), f"error must name 'num': {err}"


@_check
def check_missing_values(case: _Case) -> None:
    X = case.X.copy()
    X.loc[X.index[:3], "num"] = np.nan
    X.loc[X.index[:3], "plan"] = np.nan
    if case.tags.handles_missing:
        out = case.output(case.model, X)
        assert np.isfinite(out).all(), "missing values gave non-finite predictions"
    else:
        err = _raises(DataError, case.model.predict, X)
        assert err.column in ("num", "plan") and err.column in str(err), \
            f"error must name the column with missing values: {err}"


@_check
def check_empty_input(case: _Case) -> None:
    err = _raises(DataError, case.model.predict, case.X.iloc[:0])
    assert "row" in str(err), f"the message must say there are no rows: {err}"
    _raises(DataError, case.factory().fit, case.X.iloc[:0], case.y[:0])


@_check
def check_text_in_numeric_column(case: _Case) -> None:
    X = case.X.astype({"num": object})
    X.loc[X.index[1], "num"] = "not a number"
    err = _raises(DataError, case.model.predict, X)
    assert err.column == "num" and "num" in str(err), f"error must name 'num': {err}"


@_check
def check_unseen_category(case: _Case) -> None:
    if not case.tags.handles_categorical:
        return
    X = case.X.copy()
    X["plan"] = pd.Categorical(["brand-new"] * len(X))
    out = case.output(case.model, X)
    assert np.isfinite(out).all(), "an unseen category gave non-finite predictions"


@_check
def check_valid_and_budget(case: _Case) -> None:
    half = len(case.X) // 2
    model = case.factory().fit(case.X.iloc[:half], case.y[:half],
                               valid=(case.X.iloc[half:], case.y[half:]), budget=30, seed=0)
    assert np.isfinite(case.output(model)).all(), "fit with valid= and budget= is unusable"
    tiny = case.fit(budget=0.01)
    assert np.isfinite(case.output(tiny)).all(), "a model out of budget must still predict"


@_check
def check_save_load_identical(case: _Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        case.model.save(Path(tmp))
        for loader in (type(case.model).load, Model.load):
            loaded = loader(Path(tmp))
            assert type(loaded) is type(case.model), f"{loader} gave {type(loaded).__name__}"
            assert np.array_equal(case.model.predict(case.X), loaded.predict(case.X)), \
                "predict differs after save -> load"
            assert np.allclose(case.output(case.model), case.output(loaded), rtol=0,
                               atol=1e-12), "predictions differ after save -> load"


@_check
def check_no_pickle(case: _Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        case.model.save(Path(tmp))
        files = [p for p in Path(tmp).rglob("*") if p.is_file()]
        assert files, "save() wrote nothing"
        for path in files:
            assert path.suffix.lower() not in PICKLE_SUFFIXES, f"'{path.name}' looks pickled"
            data = path.read_bytes()
            assert not (data[:1] == b"\x80" and data[1:2] in b"\x02\x03\x04\x05"), \
                f"'{path.name}' starts with pickle magic bytes"
            # torch.save writes a zip holding a pickle named data.pkl.
            assert not (data[:2] == b"PK" and b"data.pkl" in data), \
                f"'{path.name}' is a zip holding a pickle"


@_check
def check_contributions(case: _Case) -> None:
    model = case.model
    if not model.tags.explains:
        _raises(UsageError, model.contributions, case.X)
        return
    contrib = model.contributions(case.X)
    n, p = len(case.X), case.X.shape[1]
    if case.problem == "multiclass":
        k = model.n_classes_
        assert contrib.shape == (n, k, p + 1), f"contributions shape {contrib.shape}"
        z = contrib.sum(axis=2)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        assert np.allclose(z / z.sum(axis=1, keepdims=True), model.predict_proba(case.X),
                           atol=1e-6), "softmax of summed contributions != predict_proba"
        return
    assert contrib.shape == (n, p + 1), f"contributions shape {contrib.shape}"
    total = contrib.sum(axis=1)
    if case.problem == "binary":
        p1 = np.clip(model.predict_proba(case.X)[:, 1], 1e-12, 1 - 1e-12)
        expected = np.log(p1 / (1 - p1))
    else:
        expected = model.predict(case.X)
    assert np.allclose(total, expected, atol=1e-6), "contributions must sum to the raw score"


def check_model(model_factory: Callable[[], Model] | type[Model], problem: str) -> None:
    """Run every contract check on fresh models from ``model_factory`` for ``problem``.

    ``model_factory`` is a no-argument callable returning an unfitted model, or a
    Model subclass (then built as ``cls(problem)``). A problem outside the backend's
    tags must be refused with UsageError. Raises AssertionError("<check>: why").
    """
    if isinstance(model_factory, type) and issubclass(model_factory, Model):
        cls = model_factory
        model_factory = lambda: cls(problem)
    tags = model_factory().tags
    if problem not in tags.problems:
        X, y = make_frame(problem)
        try:
            _raises(UsageError, model_factory().fit, X, y)
        except AssertionError as exc:
            raise AssertionError(f"check_unsupported_problem: {exc}") from None
        return
    case = _Case(model_factory, problem)
    for name, check in CHECKS.items():
        try:
            check(case)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc
        except Exception as exc:
            raise AssertionError(f"{name}: raised {type(exc).__name__}: {exc}") from exc
