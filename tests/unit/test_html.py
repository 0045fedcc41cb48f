"""bizforge.html: escaping, tables, inline charts, the page shell."""

from __future__ import annotations

from bizforge.html import Raw, bar_svg, escape, hist_svg, page, table


def test_escape_quotes_markup_but_not_raw():
    assert escape('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert escape(Raw("<b>ok</b>")) == "<b>ok</b>"
    assert escape(None) == ""


def test_table_escapes_cells_and_aligns_numbers():
    out = table([["<x>", 3]], ["name", "n"], numeric=[1])
    assert "<td>&lt;x&gt;</td>" in out and '<td class="num">3</td>' in out


def test_bar_svg_draws_one_bar_per_label():
    svg = bar_svg(["Yes", "No"], [26.5, 73.5], fmt=lambda v: f"{v:.1f}%")
    assert svg.count("<rect") == 2 and "26.5%" in svg


def test_hist_svg_empty_counts_draws_nothing():
    assert hist_svg([]) == "" and hist_svg([1, 3]).count("<rect") == 2


def test_page_sets_language_and_has_no_external_reference():
    html = page("标题", "<p>x</p>", "zh")
    assert '<html lang="zh-CN">' in html and "<title>标题</title>" in html
    assert "http" not in html
