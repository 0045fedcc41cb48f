"""`bizforge demo --no-serve` runs the whole flow on built-in data."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.registry import Registry


@pytest.mark.timeout(900)  # three trainings (table, texts, images) on a shared CPU
def test_demo_runs_end_to_end_without_the_server(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--rows", "300", "--time-limit", "8", "--no-serve",
              "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    for name in ("customers.csv", "inspect.html", "inspect.json", "customers_masked.csv",
                 "scored.csv", "curl.sh"):
        assert (out / name).exists(), name
    assert (out / "churn-model" / "report.html").exists()
    assert Registry().get("churn@production").version == 1
    assert (out / "reviews.csv").exists() and (out / "review-model" / "report.html").exists()
    assert Registry().get("reviews").version == 1
    assert "6. reviews" in result.output and "物流很快" in result.output
    assert "7. images" in result.output and (out / "parts-model" / "report.html").exists()
    curl = (out / "curl.sh").read_text(encoding="utf-8")
    assert "Authorization: Bearer bf_" in curl and "/v1/models/churn/predict" in curl
    assert Registry().get("parts").version == 1  # the image model is served like the others
    assert "/v1/models/parts/predict" in curl and "files=@" in curl
    lines = [line for line in result.output.splitlines() if not line.startswith("warning:")]
    last = lines[-1]
    assert last.startswith("Web console: http://127.0.0.1:8000/")  # the console URL ends it
    admin_key = (out / "console-key.txt").read_text(encoding="utf-8").strip()
    assert admin_key in last and Registry().keys.verify(admin_key).role == "admin"
    masked = (out / "customers_masked.csv").read_text(encoding="utf-8")
    raw = (out / "customers.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[1]
    assert raw not in masked  # the mobile number of the first customer is masked


def test_an_out_that_is_a_file_is_a_usage_error(tmp_path):
    out = tmp_path / "demo.txt"
    out.write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--no-serve"])
    assert result.exit_code == 2 and "is a file" in result.output
    assert out.read_text(encoding="utf-8") == "mine"
