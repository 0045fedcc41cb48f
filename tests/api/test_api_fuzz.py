"""Schemathesis: requests generated from the server's own OpenAPI document, sent over
real HTTP to a live server with a model of every task family published (tabular, text,
image, forecast, remaining life, recommend, answer), so each family's actions are fuzzed
along with the generic routes (models, promote, delete, feedback, drift, health, metrics).

Every answer must be documented (status, content type, body schema), no request
may get a 500, and every route that declares a key refuses a request without one.
Bounded: ``FUZZ_EXAMPLES`` examples per operation in the default run;
``BIZFORGE_FUZZ_EXAMPLES=200`` runs the long version (figures in bench/RESULTS.md).
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings

from bizforge.pipeline import train
from bizforge.registry import Registry, create_key
from bizforge.samples import CHURN_TARGET, REVIEW_TARGET, churn_table, review_table
from bizforge.serve.api import ServerOptions, create_app

FUZZ_EXAMPLES = int(os.environ.get("BIZFORGE_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """``bizforge serve``'s app on uvicorn in a thread, on a free loopback port."""
    import uvicorn

    root = tmp_path_factory.mktemp("fuzz")
    registry = Registry(home=root / "registry")
    registry.publish(train(churn_table(120, seed=4), CHURN_TARGET, time_limit=1.0,
                           out=root / "churn", seed=0), "churn")
    registry.publish(train(review_table(80, seed=4), REVIEW_TARGET, time_limit=2.0,
                           out=root / "reviews", candidates=[("tfidf_linear", {})]), "reviews")
    for name, run in _other_families(root):
        registry.publish(run, name)
    key = create_key("predict", label="fuzz", registry=registry)[1]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(registry=registry, options=ServerOptions(preload=True))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
    server.should_exit = True
    thread.join(timeout=30)
    registry.close()


def _other_families(root):
    """(name, trained folder) for each family beyond tables and texts, small and quick."""
    from bizforge.families.answer.samples import faq
    from bizforge.families.forecast.samples import units_to_failure, weekly_sales
    from bizforge.families.image.samples import make_surface_images
    from unit.families.recommend_data import two_groups

    kb, queries = faq("en")
    queries.to_csv(root / "q.csv", index=False)
    images = make_surface_images(root / "images", per_class=6)
    yield "sales", train(weekly_sales(), "sales", task="forecast", time_column="week",
                         id_column=["store"], horizon=4, time_limit=5, out=root / "sales")
    yield "engines", train(units_to_failure(), task="rul", time_column="cycle",
                           id_column=["unit"], time_limit=5, out=root / "engines")
    yield "shop", train(two_groups(), task="recommend", user_column="user_id",
                        item_column="item_id", rating_column="rating", time_column="ts",
                        time_limit=5, out=root / "shop")
    yield "faq", train(kb, task="answer", queries=str(root / "q.csv"), encoder="none",
                       time_limit=5, out=root / "faq")
    yield "parts", train(images, task="image-classification", time_limit=5,
                         out=root / "parts", image_models="cnn")


# Actions whose acceptance depends on what the model holds (its series, catalogue items,
# history columns, decodable image bytes), which their documents do not (yet) express: a
# schema-valid request may be a documented 422 naming the field, so Schemathesis's
# "schema-valid request accepted" check is off for them. Every other check still runs.
_CONTENT_DEPENDENT = {"/v1/models/engines/predict", "/v1/models/parts/predict",
                      "/v1/models/sales/forecast", "/v1/models/shop/recommend",
                      "/v1/models/shop/similar"}


def _fuzz(operation, base: str, auth: dict) -> str | None:
    """Run the operation's generated cases; the first failure's report, or None."""
    from schemathesis.checks import positive_data_acceptance

    excluded = [positive_data_acceptance] if operation.path in _CONTENT_DEPENDENT else []

    @given(case=operation.as_strategy())
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(base_url=base, headers=auth, excluded_checks=excluded)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - shown per operation
        return f"{operation.label}: {exc}"
    return None


def test_every_documented_route_answers_as_documented(live_server):
    base, auth = live_server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {op.path for op in operations}
    for action in ["churn/predict", "reviews/predict", "parts/predict", "sales/forecast",
                   "engines/predict", "shop/recommend", "shop/similar", "faq/answer",
                   "{name}/feedback", "{name}/drift", "{name}/promote"]:
        assert f"/v1/models/{action}" in paths, f"{action} is not in the OpenAPI document"
    failures = [f for f in (_fuzz(op, base, auth) for op in operations) if f]
    assert not failures, "\n\n".join(failures)


def _valid_files() -> dict[str, tuple[str, bytes]]:
    """A well-formed CSV, Parquet and Excel file of the churn columns: {kind: (name, bytes)}."""
    import io

    frame = churn_table(20, seed=9).drop(columns=[CHURN_TARGET])
    parquet, excel = io.BytesIO(), io.BytesIO()
    frame.to_parquet(parquet)
    frame.to_excel(excel, index=False)
    return {"csv": ("rows.csv", frame.to_csv(index=False).encode("utf-8")),
            "parquet": ("rows.parquet", parquet.getvalue()),
            "excel": ("rows.xlsx", excel.getvalue())}


@pytest.mark.parametrize("kind", ["csv", "parquet", "excel"])
def test_malformed_uploads_get_a_client_error_never_a_500(live_server, kind):
    import httpx
    from hypothesis import strategies as st

    base, auth = live_server
    filename, good = _valid_files()[kind]

    @given(cut=st.integers(0, len(good)), flips=st.lists(
        st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), max_size=8))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def upload(cut, flips):
        data = bytearray(good[:cut] if cut < len(good) else good)
        for at, value in flips:
            if at < len(data):
                data[at] = value
        r = httpx.post(f"{base}/v1/models/churn/predict:batch", headers=auth, timeout=60,
                       files={"file": (filename, bytes(data))})
        assert r.status_code < 500, r.text
        if r.status_code >= 400:
            assert set(r.json()) >= {"type", "loc", "msg"}

    upload()


_PUBLIC = {("get", "/healthz")}  # liveness for load balancers: documented without a key
_PATH_VALUES = {"name": "churn", "version": "1", "action": "predict"}


def test_every_documented_operation_but_healthz_refuses_a_request_without_a_key(live_server):
    """Read from the document itself, so a route added later is checked too."""
    import httpx

    base, auth = live_server
    doc = httpx.get(f"{base}/openapi.json", headers=auth, timeout=60).json()
    checked = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if (method, path) in _PUBLIC:
                assert "security" not in operation
                continue
            assert operation.get("security"), f"{method} {path} declares no key"
            url = base + path.format(**_PATH_VALUES)
            for headers in ({}, {"Authorization": "Bearer wrong-key"}):
                r = httpx.request(method.upper(), url, headers=headers, json={}, timeout=60)
                assert r.status_code == 401, f"{method} {path} {headers}: {r.status_code}"
            checked.append(f"{method} {path}")
    assert len(checked) >= 15, checked
