"""The remaining-useful-life report: held-out units, worst first, and predicted vs true life."""

from __future__ import annotations

from typing import Any

import numpy as np

from bizforge.families.forecast.report import _T, ForecastReport, _pct
from bizforge.html import escape, table

__all__ = ["rul_report"]


def rul_report(fit: dict[str, Any], cap: float, notes: list[str], lang: str) -> ForecastReport:
    lang = lang if lang in _T else "en"
    tr, test = _T[lang], fit["test"]
    headline = tr["head_rul"].format(units=test["units"], rmse=test["rmse"], cap=cap,
                                     cov80=_pct(test["coverage_80"]))
    overview = [("RMSE", f"{test['rmse']:.2f}"), ("MAE", f"{test['mae']:.2f}"),
                ("PHM score", f"{test['phm_score']:.1f}"),
                ("RMSE, every cycle", f"{test['rmse_all_cycles']:.2f}"),
                ("coverage 80%", _pct(test["coverage_80"])), ("cap", f"{cap:g}"),
                ("fit seconds", f"{fit['fit_seconds']:.1f}")]
    sections = [
        (tr["units"], table([(r["unit"], f"{r['rmse']:.2f}", r["cycles"])
                             for r in fit["per_unit"][:30]],
                            ["unit", "RMSE", "cycles"], numeric=[1, 2])),
        (tr["notes"], "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"),
    ]
    return ForecastReport(tr["rul_title"], headline, overview, sections, _unit_figures(fit),
                          lang)


def _unit_figures(fit: dict[str, Any]) -> list[Any]:
    import plotly.graph_objects as go

    frame, pred, true = fit["test_frame"], fit["pred_all"], fit["true_all"]
    groups = {str(k): rows for k, rows in frame.groupby(fit["unit"], sort=False).indices.items()}
    figures = []
    for u in [r["unit"] for r in fit["per_unit"][:3]]:
        rows = groups[u]
        fig = go.Figure()
        x = np.arange(len(rows))
        fig.add_scatter(x=x, y=true[rows], name="true (capped)", mode="lines")
        fig.add_scatter(x=x, y=pred[rows], name="predicted", mode="lines")
        fig.update_layout(title=f"unit {u}", height=320, xaxis_title="cycle",
                          yaxis_title="remaining life",
                          margin={"l": 40, "r": 10, "t": 40, "b": 30})
        figures.append(fig)
    return figures
