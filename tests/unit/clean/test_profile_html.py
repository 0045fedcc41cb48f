"""The HTML profile: one self-contained page, localised, with no personal data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from bizforge.clean import profile
from bizforge.frame import ColumnInfo, Dataset, Role, Schema

PHONES = ["13800138000", "13912345678", "15000000001", "18688886666", "13700001111", "13600002222"]


def sample_ds() -> Dataset:
    frame = pd.DataFrame(
        {
            "phone": pd.Series(PHONES, dtype="str"),
            "monthly": [20.5, 30.0, np.nan, 45.0, 50.0, 80.0],
            "plan": pd.Series(["basic", "pro", "basic", "pro", "max", "basic"], dtype="str"),
            "churn": pd.Series(["Yes", "No", "No", "Yes", "No", "No"], dtype="str"),
        }
    )
    roles = {
        "phone": Role.ID,
        "monthly": Role.NUMERIC,
        "plan": Role.CATEGORICAL,
        "churn": Role.BOOLEAN,
    }
    cols = [ColumnInfo(c, roles[c], str(frame[c].dtype)) for c in frame]
    return Dataset(
        frame,
        Schema(cols),
        {"source": "/data/客户.csv", "format": "csv", "encoding": "gb18030", "delimiter": ","},
    )


def test_page_is_self_contained_without_any_url():
    html = profile(sample_ds(), target="churn").to_html("en")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href)\s*=""", html)
    assert "<script" not in html


def test_page_has_overview_findings_and_a_section_per_column():
    html = profile(sample_ds(), target="churn").to_html("en")
    for text in (
        "Overview",
        "Findings",
        "gb18030",
        "Class balance of &#x27;churn&#x27;",
        "<h3>monthly</h3>",
        "<h3>plan</h3>",
        "<svg",
    ):
        assert text in html


def test_chinese_page_uses_chinese_labels():
    html = profile(sample_ds(), target="churn", lang="zh").to_html()
    assert '<html lang="zh-CN">' in html
    for text in ("概览", "发现的问题", "各列详情", "数据概况：客户.csv", "缺失值", "建议"):
        assert text in html


def test_no_raw_phone_number_in_html_or_json(tmp_path):
    p = profile(sample_ds(), target="churn")
    html = p.save_html(tmp_path / "p.html").read_text(encoding="utf-8")
    js = p.save_json(tmp_path / "p.json").read_text(encoding="utf-8")
    for phone in PHONES:
        assert phone not in html and phone not in js
    assert "mobile number" in html


def test_column_names_are_escaped():
    frame = pd.DataFrame({"<b>x</b>": [1.0, 2.0, 3.0, 4.0]})
    ds = Dataset(frame, Schema([ColumnInfo("<b>x</b>", Role.NUMERIC, "float64")]), {})
    html = profile(ds).to_html()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
