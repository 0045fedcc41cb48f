"""POST /v1/models/{name}/predict:batch: CSV/Parquet uploads, streamed and size-limited."""

from __future__ import annotations

import importlib.util
import io

import pandas as pd
import pytest

from bizforge.samples import CHURN_TARGET, churn_table

BATCH = "/v1/models/churn/predict:batch"


@pytest.fixture
def table():
    return churn_table(30, seed=5).drop(columns=[CHURN_TARGET])


# Multipart forms need python-multipart (FastAPI's form parser); raw-body uploads do not.
needs_multipart = pytest.mark.skipif(
    importlib.util.find_spec("python_multipart") is None,
    reason="python-multipart is not installed: the server answers 415 for forms")
TYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet"}


def _scored(response) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(response.text), dtype=str, keep_default_na=False)


def _upload(client, headers, data: bytes, suffix: str = ".csv"):
    """The file as the raw request body (no form)."""
    return client.post(BATCH, content=data, headers={**headers, "Content-Type": TYPES[suffix]})


@needs_multipart
def test_csv_upload_as_multipart_returns_scored_csv(client, headers, table, churn_run):
    data = table.to_csv(index=False).encode("utf-8")
    r = client.post(BATCH, files={"file": ("rows.csv", data, "text/csv")},
                    headers=headers["predict"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-bizforge-rows"] == "30"
    scored = _scored(r)
    assert len(scored) == 30
    assert list(scored["客户编号"]) == list(table["客户编号"])  # order and ids kept
    expected = churn_run.predictor.predict(pd.read_csv(io.BytesIO(data), dtype=str,
                                                       keep_default_na=False))
    assert list(scored["prediction"]) == list(expected)


def test_csv_upload_is_scored_in_chunks(make_client, headers, table):
    client = make_client(batch_chunk_rows=7)
    r = client.post(BATCH, content=table.to_csv(index=False).encode(),
                    headers={**headers["predict"], "Content-Type": "text/csv"})
    assert r.status_code == 200
    scored = _scored(r)
    assert len(scored) == 30 and list(scored.columns).count("prediction") == 1


def test_gbk_csv_upload_is_read(client, headers, table):
    r = _upload(client, headers["predict"], table.to_csv(index=False).encode("gb18030"))
    assert r.status_code == 200 and len(_scored(r)) == 30


def test_parquet_upload(client, headers, table, tmp_path):
    path = tmp_path / "rows.parquet"
    table.to_parquet(path)
    r = _upload(client, headers["predict"], path.read_bytes(), ".parquet")
    assert r.status_code == 200 and len(_scored(r)) == 30


@needs_multipart
def test_parquet_upload_as_multipart(client, headers, table, tmp_path):
    path = tmp_path / "rows.parquet"
    table.to_parquet(path)
    r = client.post(BATCH, files={"file": ("rows.parquet", path.read_bytes())},
                    headers=headers["predict"])
    assert r.status_code == 200 and len(_scored(r)) == 30


def test_upload_over_the_limit_is_413(make_client, headers, table):
    client = make_client(max_upload_bytes=500)
    r = _upload(client, headers["predict"], table.to_csv(index=False).encode())
    assert r.status_code == 413
    assert r.json()["type"] == "PayloadTooLarge"


@needs_multipart
def test_multipart_upload_over_the_limit_is_413(make_client, headers, table):
    client = make_client(max_upload_bytes=500)
    r = client.post(BATCH, files={"file": ("rows.csv", table.to_csv(index=False).encode())},
                    headers=headers["predict"])
    assert r.status_code == 413


def test_streamed_upload_without_length_is_cut_at_the_limit(make_client, headers, table):
    client = make_client(max_upload_bytes=500)
    data = table.to_csv(index=False).encode()

    def chunks():
        for i in range(0, len(data), 100):
            yield data[i:i + 100]

    r = client.post(BATCH, content=chunks(), headers={**headers["predict"],
                                                      "Content-Type": "text/csv"})
    assert r.status_code == 413


@needs_multipart
def test_form_without_file_field_is_415(client, headers):
    r = client.post(BATCH, files={"other": ("x.csv", b"a,b\n1,2\n")}, headers=headers["predict"])
    assert r.status_code == 415
    assert "'file'" in r.json()["msg"]


def test_empty_upload_is_415(client, headers):
    r = client.post(BATCH, content=b"", headers={**headers["predict"], "Content-Type": "text/csv"})
    assert r.status_code == 415


def test_file_missing_a_required_column_is_422_naming_it(client, headers, table):
    data = table.drop(columns=["合约类型"]).to_csv(index=False).encode()
    r = _upload(client, headers["predict"], data)
    assert r.status_code == 422
    assert "合约类型" in r.json()["msg"]


def test_bad_number_in_a_later_chunk_names_the_file_row(make_client, headers, table):
    client = make_client(batch_chunk_rows=10)
    bad = table.astype(str)
    bad.loc[24, "在网月数"] = "abc"
    r = _upload(client, headers["predict"], bad.to_csv(index=False).encode())
    assert r.status_code == 422
    assert r.json()["rows"] == [25] and "abc" not in r.text


def test_form_upload_without_python_multipart_is_415_with_a_fix(client, headers, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "python_multipart", None)
    monkeypatch.setitem(sys.modules, "python_multipart.multipart", None)
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
            b"a,b\n1,2\n\r\n--XyZ--\r\n")
    r = client.post(BATCH, content=body, headers={
        **headers["predict"], "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert r.status_code == 415
    assert "Content-Type: text/csv" in r.json()["msg"]
