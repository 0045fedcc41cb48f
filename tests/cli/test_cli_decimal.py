"""--decimal on inspect, train and predict; a decimal-comma model scores German files right."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app

runner = CliRunner()


def test_inspect_shows_the_decimal_comma_and_the_note(tmp_path):
    result = runner.invoke(app, ["inspect", str(_prices(tmp_path / "de.csv"))])
    assert result.exit_code == 0, result.output
    assert "decimal mark ','" in result.output
    assert "decimal comma" in result.output


def test_inspect_decimal_option_overrides_the_judgement(tmp_path, monkeypatch):
    import bizforge.ingest

    seen = {}
    real = bizforge.ingest.read

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(bizforge.ingest, "read", spy)
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"1,500",x\n"2,300",y\n', encoding="utf-8")
    result = runner.invoke(app, ["inspect", str(path), "--decimal", ","])
    assert result.exit_code == 0, result.output
    assert seen["decimal"] == ","
    assert "decimal mark ','" in result.output


def test_an_unknown_decimal_mark_exits_2(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n2\n", encoding="utf-8")
    result = runner.invoke(app, ["inspect", str(path), "--decimal", "x"])
    assert result.exit_code == 2
    assert "--decimal" in result.output


def test_train_reads_the_file_with_the_decimal_option(tmp_path, monkeypatch):
    import bizforge.pipeline

    seen = []

    def fake(data, target, **kwargs):
        seen.append(data)
        raise KeyboardInterrupt  # stop before any training

    monkeypatch.setattr(bizforge.pipeline, "train", fake)
    path = tmp_path / "t.csv"
    path.write_text('w,y\n"1,500",a\n"2,300",b\n', encoding="utf-8")
    runner.invoke(app, ["train", str(path), "--target", "y", "--decimal", ","])
    assert seen[0].meta["decimal"] == ","


def _prices(path, rows=80):
    """A German shop table: prices such as 1.234,56 (thousands dot, decimal comma)."""
    lines = ["Preis;Kauf"]
    for i in range(rows):
        euros = 1000 + (i * 97) % 8000
        buys = (euros > 5000) != (i % 5 == 0)  # every fifth row flipped: a signal, not a leak
        lines.append(f"{euros // 1000}.{euros % 1000:03d},{i % 100:02d};{'ja' if buys else 'nein'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from bizforge.pipeline import train

    root = tmp_path_factory.mktemp("decimal")
    run = train(str(_prices(root / "train.csv")), "Kauf", time_limit=3, out=root / "m",
                candidates=[("linear", {})])
    return run.path


def _score(model, new, tmp_path, *options):
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["predict", str(model), str(new), "-o", str(out), *options])
    return result, out


def test_predict_reads_a_file_without_clues_with_the_models_decimal_comma(model, tmp_path):
    new = tmp_path / "neu.xlsx"  # "1.500" alone would be read as 1.5
    pd.DataFrame({"Preis": ["1.500", "8.500"]}).to_excel(new, index=False)
    result, out = _score(model, new, tmp_path)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["prediction"].tolist() == ["nein", "ja"]


def test_decimal_points_against_a_decimal_comma_model_exit_3_naming_the_column(model, tmp_path):
    new = tmp_path / "new.csv"
    new.write_text("Preis\n1500.50\n8500.50\n", encoding="utf-8")
    result, _ = _score(model, new, tmp_path)
    assert result.exit_code == 3
    assert "Preis" in result.output


def test_predict_decimal_option_reads_a_decimal_point_file(model, tmp_path):
    new = tmp_path / "new.csv"
    new.write_text("Preis\n1500.50\n8500.50\n", encoding="utf-8")
    result, out = _score(model, new, tmp_path, "--decimal", ".")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["prediction"].tolist() == ["nein", "ja"]


def test_mask_says_how_the_decimals_were_read(tmp_path):
    path = tmp_path / "de.csv"
    path.write_text("Name;Preis\nA;12,50\nB;1.234,56\n", encoding="utf-8")
    result = runner.invoke(app, ["mask", str(path), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert "decimal comma" in result.output
    result = runner.invoke(app, ["mask", str(path), "-o", str(tmp_path / "out2.csv"),
                                 "--decimal", ","])
    assert "decimal comma" not in result.output  # the mark was given: nothing to say
