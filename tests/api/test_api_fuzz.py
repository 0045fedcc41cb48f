"""Schemathesis: requests generated from the server's own OpenAPI document, sent over
real HTTP to a live server with a tabular and a text model published.

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


def _fuzz(operation, base: str, auth: dict) -> str | None:
    """Run the operation's generated cases; the first failure's report, or None."""

    @given(case=operation.as_strategy())
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(base_url=base, headers=auth)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - shown per operation
        return f"{operation.label}: {exc}"
    return None


def test_every_documented_route_answers_as_documented(live_server):
    base, auth = live_server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8  # the generic routes and one predict route per model
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
