"""The forecast and RUL reports: one self-contained HTML page each (plotly inline).

Opens with plain sentences (how far off the forecasts were, how often the 80%
interval held the truth), then the backtest windows, what each model
contributed, the series hardest to forecast and actual-vs-forecast charts of
the largest and the worst series with their intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bizforge.html import Raw, dl, escape, page, section, table

__all__ = ["ForecastReport"]

_T = {
    "en": {"title": "Forecast report", "rul_title": "Remaining useful life report",
           "summary": "Summary", "windows": "Backtest windows (rolling origin)",
           "members": "Models tried and their weight in the ensemble",
           "series": "Series, hardest first", "plots": "Actual and forecast",
           "findings": "Findings on the data", "notes": "Notes",
           "head_fc": "Over the {n} held-out values ({source}), forecasts were off by {wape} "
                      "of actual volume (WAPE); the 80% interval held the actual value "
                      "{cov80} of the time.",
           "head_rul": "On {units} held-out units, predicted remaining life was off by "
                       "{rmse:.1f} cycles (RMSE, life capped at {cap:g} cycles); the 80% "
                       "interval held the true value {cov80} of the time.",
           "units": "Held-out units, worst first"},
    "zh": {"title": "预测报告", "rul_title": "剩余寿命报告", "summary": "摘要",
           "windows": "回测窗口（滚动起点）", "members": "尝试的模型及其在集成中的权重",
           "series": "各序列（最难预测的在前）", "plots": "实际值与预测值",
           "findings": "数据发现", "notes": "说明",
           "head_fc": "在 {n} 个留出值上（{source}），预测误差占实际量的 {wape}（WAPE）；"
                      "80% 区间覆盖实际值的比例为 {cov80}。",
           "head_rul": "在 {units} 台留出设备上，剩余寿命预测的均方根误差为 {rmse:.1f} 个周期"
                       "（寿命上限 {cap:g} 个周期）；80% 区间覆盖真实值的比例为 {cov80}。",
           "units": "留出设备（最差的在前）"},
}


def _pct(x: Any) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{100 * float(x):.1f}%"


def _f(x: Any, digits: int = 4) -> str:
    return "—" if x is None or not np.isfinite(float(x)) else f"{float(x):.{digits}f}"


@dataclass
class ForecastReport:
    """``sections`` are (title, html) pairs; ``figures`` plotly figures; see module doc."""

    title: str
    headline: str
    overview: list[tuple[str, Any]]
    sections: list[tuple[str, str]]
    figures: list[Any]
    lang: str = "en"

    def html(self) -> str:
        from bizforge.evaluate.plots import figures_html

        body = [f"<h1>{escape(self.title)}</h1>", f"<p>{escape(self.headline)}</p>",
                dl(self.overview)]
        body += [section(t, Raw(h)) for t, h in self.sections]
        if self.figures:
            body.append(section(_T[self.lang]["plots"], Raw(figures_html(self.figures))))
        return page(self.title, "".join(body), lang=self.lang)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path


def forecast_report(fit: dict[str, Any], notes: list[str], findings: list[dict],
                    lang: str) -> ForecastReport:
    tr = _T[lang]
    test, sel = fit["test"], fit["selection"]
    headline = tr["head_fc"].format(n=f"{test['n']:,}", source=fit["test_source"],
                                    wape=_pct(test["wape"]), cov80=_pct(test["coverage_80"]))
    overview = [("WAPE", _pct(test["wape"])), ("MASE", _f(test["mase"], 3)),
                ("sMAPE", f"{test['smape']:.2f}"), ("coverage 80%", _pct(test["coverage_80"])),
                ("coverage 95%", _pct(test["coverage_95"])), ("series", test["series"]),
                ("horizon", fit["horizon"]), ("frequency", fit["panel"].freq),
                ("fit seconds", f"{fit['fit_seconds']:.1f}")]
    sections = [
        (tr["windows"], table([(w["origin"], _pct(w["wape"])) for w in sel.windows],
                              ["origin", "WAPE"], numeric=[1])),
        (tr["members"], table([(r["name"], _pct(r["score"]), f"{r.get('weight', 0):.2f}",
                                f"{r['fit_seconds']:.1f}") for r in sel.leaderboard],
                              ["model", "backtest WAPE", "weight", "seconds"],
                              numeric=[1, 2, 3])),
        (tr["series"], table([(r["series"], _pct(r["wape"]), f"{r['smape']:.2f}",
                               f"{r['volume']:,.0f}") for r in fit["per_series"][:30]],
                             ["series", "WAPE", "sMAPE", "volume"], numeric=[1, 2, 3])),
    ]
    if findings:
        sections.append((tr["findings"], table([(f["kind"], f["message"]) for f in findings],
                                               ["finding", "detail"])))
    if notes or sel.skipped:
        items = [*notes, *(f"{s['name']}: {s['reason']}" for s in sel.skipped)]
        sections.append((tr["notes"], "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in items)
                         + "</ul>"))
    return ForecastReport(tr["title"], headline, overview, sections, _series_figures(fit),
                          lang)


def _series_figures(fit: dict[str, Any]) -> list[Any]:
    import plotly.graph_objects as go

    panel, actual, point = fit["train_panel"], fit["actual"], fit["point"]
    levels, sel = fit["levels"], fit["selection"]
    volume = np.nansum(np.abs(actual), axis=1)
    picks = []
    if volume.size:
        picks.append(int(np.argmax(volume)))
    worst = [r["series"] for r in fit["per_series"][:2]]
    picks += [panel.series_ids.index(s) for s in worst if s in panel.series_ids]
    figures = []
    future = panel.future_index(fit["horizon"])
    for i in dict.fromkeys(picks):
        hist = panel.values[i]
        tail = slice(max(0, len(hist) - 4 * fit["horizon"]), len(hist))
        fig = go.Figure()
        fig.add_scatter(x=list(panel.index[tail]), y=hist[tail], name="history",
                        mode="lines")
        for level, alpha in ((95, 0.15), (80, 0.3)):
            lo, hi = sel.intervals.around(point[i:i + 1], levels[i:i + 1], level)
            fig.add_scatter(x=list(future) + list(future[::-1]),
                            y=list(hi[0]) + list(lo[0][::-1]), fill="toself",
                            fillcolor=f"rgba(37,99,235,{alpha})", line={"width": 0},
                            name=f"{level}% interval")
        fig.add_scatter(x=list(future), y=point[i], name="forecast", mode="lines+markers")
        fig.add_scatter(x=list(future), y=actual[i], name="actual", mode="markers")
        fig.update_layout(title=f"series {panel.series_ids[i]}", height=360,
                          margin={"l": 40, "r": 10, "t": 40, "b": 30})
        figures.append(fig)
    return figures
