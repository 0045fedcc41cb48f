"""Total rows (issue #25, defect 9): found by label and sum, never by one of them alone."""

from __future__ import annotations

import pandas as pd

from bizforge import profile, read
from bizforge.clean.totals import find_total_rows, total_label


def _regions(label: str = "合计") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "地区": ["华东", "华北", "华南", "西南", label],
            "销售额": [120.5, 80.25, 99.0, 10.0, 309.75],
            "利润率": [0.1, 0.2, 0.3, 0.2, 0.2],  # an average, not a sum
        }
    )


def test_grand_total_row_is_found_with_its_columns():
    found = find_total_rows(_regions(), ["销售额", "利润率"])
    assert [(t.position, t.label, t.columns, t.subtotal) for t in found] == [
        (4, "合计", ["销售额"], False)
    ]


def test_total_words_of_each_language_are_labels():
    cells = [
        "总计",
        "合計",
        "小计",
        "Total",
        "Grand Total:",
        "Summe",
        "Gesamt",
        "华东小计",
        "Summe Bayern",
    ]
    assert all(total_label(c) for c in cells)


def test_words_that_only_contain_a_total_word_are_not_labels():
    assert [total_label(c) for c in ["Summer", "totally fine", "Totalausfall", "合"]] == [None] * 4


def test_grand_total_at_the_top_is_found():
    frame = _regions().iloc[[4, 0, 1, 2, 3]].reset_index(drop=True)
    assert [t.position for t in find_total_rows(frame, ["销售额"])] == [0]


def test_subtotals_close_their_blocks_and_the_grand_total_sums_the_details():
    frame = pd.DataFrame(
        {
            "区": ["上海", "杭州", "华东小计", "北京", "天津", "石家庄", "华北小计", "总计"],
            "金额": [1, 2, 3, 4, 5, 6, 15, 18],
        }
    )
    found = find_total_rows(frame, ["金额"])
    assert [(t.position, t.first, t.last) for t in found] == [
        (2, 0, 1),
        (6, 3, 5),
        (7, None, None),
    ]


def test_labelled_row_whose_numbers_are_not_a_sum_is_not_a_total():
    frame = _regions("Total Wipeout")  # a product of that name
    frame.loc[4, "销售额"] = 55.0
    assert find_total_rows(frame, ["销售额"]) == []


def test_row_equal_to_the_sum_without_a_label_is_not_a_total():
    assert find_total_rows(_regions("其他"), ["销售额"]) == []


def test_numbers_stored_as_text_are_summed():
    frame = _regions().astype({"销售额": str})
    assert [t.position for t in find_total_rows(frame, ["销售额"])] == [4]


def test_profile_reports_total_rows_with_rows_and_fix(tmp_path):
    path = tmp_path / "销售.csv"
    _regions().to_csv(path, index=False)
    [finding] = [f for f in profile(read(path), lang="zh").findings if f.kind == "total_rows"]
    assert (finding.count, finding.rows, finding.severity) == (1, [5], "warning")
    assert "销售额" in finding.message and "合计" in finding.message
    assert "bizforge train" in finding.fix


def test_profile_message_in_english_names_the_german_label(tmp_path):
    path = tmp_path / "wahl.csv"
    path.write_text("Land;Stimmen\nBayern;100\nHessen;50\nSumme;150\n", encoding="utf-8")
    [finding] = [f for f in profile(read(path), lang="en").findings if f.kind == "total_rows"]
    assert "Summe" in finding.message and "Stimmen" in finding.message
