"""REST for the recommend family: recommend and similar, and the bad requests each refuses
(a 4xx naming the field) or answers with a documented fallback (reported in the response)."""

from __future__ import annotations

import pytest

from bizforge.pipeline import train
from unit.families.recommend_data import two_groups


@pytest.fixture(scope="module")
def rec_run(tmp_path_factory):
    return train(two_groups(), task="recommend", user_column="user_id", item_column="item_id",
                 rating_column="rating", time_column="ts", time_limit=20,
                 out=tmp_path_factory.mktemp("rec") / "shop")


@pytest.fixture
def rec_client(registry, rec_run, make_client):
    registry.publish(rec_run, "shop")
    return make_client()


def _post(client, headers, action, body):
    return client.post(f"/v1/models/shop/{action}", headers=headers["predict"], json=body)


def test_a_known_user_gets_k_items_from_their_history(rec_client, headers):
    r = _post(rec_client, headers, "recommend", {"user": "u3", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["path"] == "history" and len(body["items"]) == 3
    assert r.headers["X-Bizforge-Version"] == "1"


def test_an_unknown_user_without_items_gets_popular_items_and_says_so(rec_client, headers):
    r = _post(rec_client, headers, "recommend", {"user": "nobody", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["path"] == "popular" and len(body["items"]) == 3
    assert any("not seen at training time" in n for n in body["notes"])
    assert all(item["via"] == "popular" for item in body["items"])


def test_no_user_and_no_items_is_the_popular_fallback(rec_client, headers):
    r = _post(rec_client, headers, "recommend", {})
    assert r.status_code == 200 and r.json()["path"] == "popular"


def test_k_larger_than_the_catalogue_returns_what_there_is_with_a_note(rec_client, headers):
    r = _post(rec_client, headers, "recommend", {"user": "u3", "k": 1000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 < len(body["items"]) < 20
    assert any("only" in n and "k=1000" in n for n in body["notes"])


def test_k_over_the_limit_is_a_422_naming_k(rec_client, headers):
    r = _post(rec_client, headers, "recommend", {"user": "u3", "k": 5000})
    assert r.status_code == 422 and "k" in r.json()["loc"]


@pytest.mark.parametrize("body, field", [({"user": 1.5}, "user"), ({"user": True}, "user"),
                                         ({"user": ["u1"]}, "user"), ({"items": [{"a": 1}]},
                                                                      "items"),
                                         ({"user": "u1", "colour": "red"}, "colour")])
def test_an_id_of_the_wrong_type_is_a_422_naming_the_field(rec_client, headers, body, field):
    r = _post(rec_client, headers, "recommend", body)
    assert r.status_code == 422, r.text
    assert field in r.json()["loc"]


def test_items_unknown_to_the_model_are_ignored_with_a_note(rec_client, headers):
    r = _post(rec_client, headers, "recommend", {"items": ["i1", "zzz"], "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["path"] == "fold-in" and any("zzz" in n for n in body["notes"])


def test_similar_items_of_a_known_item(rec_client, headers):
    r = _post(rec_client, headers, "similar", {"item": "i2", "k": 3})
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "collaborative" and len(r.json()["items"]) == 3


def test_similar_for_an_unknown_item_is_a_4xx_naming_the_item(rec_client, headers):
    r = _post(rec_client, headers, "similar", {"item": "i999"})
    assert r.status_code in (404, 422), r.text
    assert "i999" in r.json()["msg"] and "item" in r.json()["loc"]


def test_similar_with_an_item_of_the_wrong_type_is_a_422(rec_client, headers):
    r = _post(rec_client, headers, "similar", {"item": 2.5})
    assert r.status_code == 422 and "item" in r.json()["loc"]


def test_categories_without_item_attributes_are_a_4xx_with_the_fix(rec_client, headers):
    r = _post(rec_client, headers, "recommend", {"user": "u3", "categories": ["A"]})
    assert 400 <= r.status_code < 500, r.text
    assert "categories" in r.json()["msg"]


def test_a_recommender_has_no_row_predict_route_but_its_actions(rec_client, headers):
    r = rec_client.post("/v1/models/shop/predict", headers=headers["predict"],
                        json={"rows": [{"user_id": "u1"}]})
    assert r.status_code == 404 and "recommend" in r.json()["msg"]


def test_a_known_user_is_answered_from_memory_without_the_models_thread(rec_client, headers,
                                                                          monkeypatch):
    _post(rec_client, headers, "recommend", {"user": "u3", "k": 3})  # loaded
    model = rec_client.app.state.cache.loaded("shop", 1)
    handled = []
    real_run = model.run

    async def counted(fn, *args):
        handled.append(fn)
        return await real_run(fn, *args)

    monkeypatch.setattr(model, "run", counted)
    r = _post(rec_client, headers, "recommend", {"user": "u3", "k": 3})
    assert r.status_code == 200 and r.json()["path"] == "history"
    assert handled == []
    r = _post(rec_client, headers, "recommend", {"items": ["i1"], "k": 3})  # needs scoring
    assert r.status_code == 200 and r.json()["path"] == "fold-in"
    assert len(handled) == 1


def test_actions_skip_the_router_but_are_logged_and_counted_under_their_route(rec_client,
                                                                             headers):
    from bizforge.serve.api.routers import actions

    for _ in range(2):
        assert _post(rec_client, headers, "recommend", {"user": "u3", "k": 3}).status_code == 200
    lane = rec_client.app.middleware_stack
    while not isinstance(lane, actions.ActionLane):
        lane = lane.app
    assert lane.lanes["/v1/models/shop/recommend"].endpoint is actions.run_action
    text = rec_client.get("/metrics", headers=headers["predict"]).text
    assert ('route="/v1/models/{name}/recommend",status="200"' in text
            or 'route="/v1/models/{name}/recommend"' in text)


def test_fixed_routes_beside_actions_keep_their_meaning(rec_client, headers):
    from bizforge.serve.api.routers import actions

    _post(rec_client, headers, "predict", {"rows": [{"user_id": "u1"}]})
    lane = rec_client.app.middleware_stack
    while not isinstance(lane, actions.ActionLane):
        lane = lane.app
    assert lane.lanes["/v1/models/shop/predict"] is None  # the predict route answers it
