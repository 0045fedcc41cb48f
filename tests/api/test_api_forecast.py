"""REST for the forecast family: forecasts per series, remaining useful life per unit."""

from __future__ import annotations

import pytest

from bizforge.families.forecast.samples import units_to_failure, weekly_sales
from bizforge.pipeline import train


@pytest.fixture(scope="module")
def sales_run(tmp_path_factory):
    return train(weekly_sales(), "sales", task="forecast", time_column="week",
                 id_column=["store"], horizon=4, time_limit=20,
                 out=tmp_path_factory.mktemp("fc") / "sales")


@pytest.fixture(scope="module")
def rul_run(tmp_path_factory):
    return train(units_to_failure(), task="rul", time_column="cycle", id_column=["unit"],
                 time_limit=20, out=tmp_path_factory.mktemp("rul") / "engines")


@pytest.fixture
def fc_client(registry, sales_run, rul_run, make_client):
    registry.publish(sales_run, "sales")
    registry.publish(rul_run, "engines")
    return make_client()


def test_forecast_answers_points_and_intervals_per_series(fc_client, headers):
    r = fc_client.post("/v1/models/sales/forecast", headers=headers["predict"],
                       json={"series": ["1", "3"], "horizon": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["series"] for s in body["series"]] == ["1", "3"]
    point = body["series"][0]["points"][0]
    assert point["lo_95"] <= point["lo_80"] <= point["forecast"] <= point["hi_80"]


def test_an_unknown_series_is_a_422_naming_it(fc_client, headers):
    r = fc_client.post("/v1/models/sales/forecast", headers=headers["predict"],
                       json={"series": ["99"]})
    assert r.status_code == 422 and "99" in r.json()["msg"]


def test_a_horizon_past_the_trained_one_is_a_422(fc_client, headers):
    r = fc_client.post("/v1/models/sales/forecast", headers=headers["predict"],
                       json={"series": ["1"], "horizon": 40})
    assert r.status_code == 422 and "--horizon 40" in r.json()["msg"]


def test_a_forecaster_has_no_row_predict_route(fc_client, headers):
    r = fc_client.post("/v1/models/sales/predict", headers=headers["predict"],
                       json={"rows": [{"store": 1}]})
    assert r.status_code == 404 and "forecast" in r.json()["msg"]


def test_remaining_life_of_a_unit_from_its_rows(fc_client, headers):
    rows = units_to_failure().query("unit == 2").head(40).to_dict(orient="records")
    r = fc_client.post("/v1/models/engines/predict", headers=headers["predict"],
                       json={"rows": rows})
    assert r.status_code == 200, r.text
    unit = r.json()["units"][0]
    assert unit["unit"] == "2" and unit["cycle"] == 40 and unit["predicted_rul"] >= 0


def test_the_forecast_request_is_documented(fc_client, headers):
    doc = fc_client.get("/openapi.json", headers=headers["admin"]).json()
    post = doc["paths"]["/v1/models/sales/forecast"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/")[-1]
    assert {"series", "horizon", "future"} <= set(doc["components"]["schemas"][ref]["properties"])
