"""Hierarchies: nested ids forecast their aggregates too, and the forecasts add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.families import DataSource
from bizforge.families.forecast.family import ForecastFamily
from bizforge.families.forecast.hierarchy import (
    METHODS,
    Hierarchy,
    nests,
    projection,
    reconcile,
)


def regional_sales(weeks: int = 70, seed: int = 0) -> pd.DataFrame:
    """Two regions of three stores; stores of a region share a regional swing."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-02", periods=weeks, freq="W-SUN")
    rows = []
    for region, stores in (("East", (1, 2, 3)), ("West", (4, 5, 6))):
        swing = rng.normal(0, 5, weeks).cumsum() * 0.2
        for s in stores:
            base = 50.0 * s * (1 + 0.2 * np.sin(2 * np.pi * np.arange(weeks) / 13))
            sales = base + swing + rng.normal(0, 3, weeks)
            rows += [{"region": region, "store": s, "week": d.strftime("%Y-%m-%d"),
                      "sales": round(float(v), 2)} for d, v in zip(dates, sales, strict=True)]
    return pd.DataFrame(rows)


@pytest.fixture
def family(monkeypatch):
    monkeypatch.setattr("bizforge.families.forecast.engine.ORDER",
                        ["naive", "seasonal_naive", "theta"])
    return ForecastFamily()


def _train(family, frame, **options):
    opts = family.Options(**{"time_column": "week", "horizon": 4, **options})
    return family.train(DataSource(frame), target="sales", task="forecast", options=opts,
                        test=None, time_limit=60)


def test_the_summing_matrix_adds_stores_into_regions_and_the_total():
    h = Hierarchy.from_ids(["E|1", "E|2", "W|3"], levels=2)
    assert h.aggregates == ["E|*", "W|*", "*|*"]
    assert h.S[h.nodes.index("E|*")].tolist() == [1, 1, 0]
    assert h.S[-1].tolist() == [1, 1, 1]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_coherent_forecasts(method):
    h = Hierarchy.from_ids(["E|1", "E|2", "W|3", "W|4"], levels=2)
    rng = np.random.default_rng(0)
    base = rng.normal(10, 2, (len(h.nodes), 3))
    errors = rng.normal(0, 1, (40, len(h.nodes)))
    out = reconcile(base, h, method, errors)
    m = h.n_bottom
    assert np.allclose(out, h.S @ out[:m])


@pytest.mark.parametrize("method", METHODS)
def test_coherent_base_forecasts_are_left_as_they_are(method):
    h = Hierarchy.from_ids(["E|1", "E|2", "W|3"], levels=2)
    bottom = np.array([[1.0, 2], [3, 4], [5, 6]])
    errors = np.random.default_rng(1).normal(0, 1, (30, len(h.nodes)))
    assert np.allclose(reconcile(h.S @ bottom, h, method, errors), h.S @ bottom)


def test_mint_projection_trusts_the_less_noisy_nodes():
    h = Hierarchy.from_ids(["a", "b"], levels=1)  # a, b and their total
    rng = np.random.default_rng(0)
    errors = np.column_stack([rng.normal(0, 10, 200), rng.normal(0, 10, 200),
                              rng.normal(0, 0.1, 200)])
    G = projection(h, "mint_shrink", errors)
    base = np.array([[10.0], [10.0], [30.0]])  # the (precise) total says 30
    assert (h.S @ (G @ base))[-1, 0] == pytest.approx(30.0, abs=0.5)


def test_nesting_is_detected_from_the_columns():
    frame = regional_sales(weeks=5)
    assert nests(frame, ["region", "store"])
    assert not nests(frame.assign(region=np.where(frame.index % 2, "East", "West")),
                     ["region", "store"])


def test_nested_ids_forecast_regions_and_total_that_add_up(family):
    run = _train(family, regional_sales(), id_column=["region", "store"])
    test = run.metrics["test"]
    assert test["reconcile"] in METHODS and "wape_aggregates" in test
    p = run.predictor
    out = p.predict(["East|1", "East|2", "East|3", "East|*", "*|*"])
    f = out.pivot(index="series", columns="period", values="forecast")
    assert np.allclose(f.loc["East|*"], f.loc[["East|1", "East|2", "East|3"]].sum())
    assert (f.loc["*|*"] > f.loc["East|*"]).all()


def test_the_reconciliation_is_saved_with_the_model(family, tmp_path):
    run = _train(family, regional_sales(), id_column=["region", "store"],
                 reconcile="mint_shrink")
    run.predictor.save(tmp_path)
    loaded = ForecastFamily.load(tmp_path)
    a = run.predictor.predict(["*|*", "West|5"])
    b = loaded.predict(["*|*", "West|5"])
    assert np.allclose(a["forecast"], b["forecast"])
    assert loaded.spec["reconcile"]["method"] == "mint_shrink"


def test_one_id_column_reconciles_with_the_total_only_when_asked(family):
    frame = regional_sales().drop(columns="region")
    plain = _train(family, frame, id_column=["store"])
    assert "reconcile" not in plain.metrics["test"]
    asked = _train(family, frame, id_column=["store"], reconcile="bottom_up")
    total = asked.predictor.predict(["*"])
    stores = asked.predictor.predict([str(s) for s in range(1, 7)])
    assert np.allclose(total["forecast"].to_numpy(),
                       stores.groupby("period", sort=False)["forecast"].sum().to_numpy())


def test_reconcile_none_keeps_nested_ids_flat(family):
    run = _train(family, regional_sales(), id_column=["region", "store"], reconcile="none")
    assert "reconcile" not in run.metrics["test"]
    assert "*|*" not in run.predictor.panel.series_ids


def test_the_chosen_method_and_its_backtest_scores_are_reported(family):
    run = _train(family, regional_sales(), id_column=["region", "store"])
    chosen = run.metrics["reconcile"]
    assert set(chosen["backtest_wape"]) == set(METHODS)
    assert chosen["backtest_wape"][chosen["method"]] == min(chosen["backtest_wape"].values())
    assert any("reconciled by" in n for n in run.notes)
