"""The recommendation report: one self-contained HTML page in the shared shell.

Sections: a plain-language summary, held-out metrics (recall/NDCG/MAP/hit at
k, coverage, popularity bias), heavy vs light users, the candidates tried,
example users with their history and recommendations ("because you liked X"),
the findings on the data and notes.

>>> r = RecommendReport(metrics={"k": 10, "test": {"recall_10": 0.2}}, name="m")
>>> "<h1>" in r.to_html()
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bizforge import __version__
from bizforge.evaluate.report import save_report
from bizforge.families.recommend import strings as _strings  # noqa: F401
from bizforge.html import Raw, dl, escape, page, section, table
from bizforge.i18n import check_lang, pct, t

__all__ = ["RecommendReport"]

_MEANING = {
    "recall": "share of each user's held-out items found in the top k",
    "ndcg": "like recall, but hits near the top count more (1 = perfect order)",
    "map": "mean precision at each hit, rewarding early hits",
    "hit": "share of users with at least one held-out item in the top k",
    "precision": "share of the k items that the user went on to choose",
    "coverage": "share of the catalogue that appears in some user's list",
    "popularity_bias": "how popular a recommended item is vs an average item (1 = none)",
}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "—" if value is None else str(value)


@dataclass
class RecommendReport:
    """Everything the report shows; ``save(path)`` writes it atomically."""

    metrics: Mapping[str, Any]
    examples: Sequence[Mapping[str, Any]] = ()
    findings: Sequence[Any] = ()
    name: str = "model"
    lang: str = "en"
    notes: Sequence[str] = field(default_factory=list)

    def _summary(self, lang: str) -> str:
        test, k = self.metrics.get("test", {}), self.metrics.get("k", 10)
        lines = []
        if f"recall_{k}" in test:
            pop = self.metrics.get("baseline", {}).get(f"recall_{k}")
            lines.append(t("rec.report.headline", lang, recall=pct(test[f"recall_{k}"]), k=k,
                           pop=pct(pop) if pop is not None else "—"))
        if f"coverage_{k}" in test:
            lines.append(t("rec.report.coverage", lang, coverage=pct(test[f"coverage_{k}"]),
                           bias=f"{test[f'popularity_bias_{k}']:.1f}"))
        return "".join(f"<p>{escape(s)}</p>" for s in lines)

    def _metrics(self) -> Raw:
        test = self.metrics.get("test", {})
        rows = []
        for key, value in test.items():
            base = key.split("_")[0] if not key.startswith("popularity") else "popularity_bias"
            rows.append((key, _fmt(value), _MEANING.get(base, "")))
        return table(rows, ["metric", "value", "meaning"], numeric=[1])

    def _segments(self) -> Raw:
        segs = self.metrics.get("segments", [])
        return table([(s["segment"], s["users"], _fmt(s["recall"]), _fmt(s["ndcg"]))
                      for s in segs], ["users", "count", "recall", "ndcg"], numeric=[1, 2, 3])

    def _board(self) -> Raw:
        return table([(r["name"], _fmt(r["ndcg"]), _fmt(r["recall"]), _fmt(r["fit_seconds"]),
                       "✓" if r.get("chosen") else "") for r in self.metrics.get("leaderboard", [])],
                     ["candidate", "ndcg", "recall", "fit s", "in blend"], numeric=[1, 2, 3])

    def _examples(self, lang: str) -> Raw:
        rows = []
        for ex in self.examples:
            history = ", ".join(ex["history"])
            recs = "<br>".join(
                (f"<b>{escape(r['title'])}</b>" if r["hit"] else escape(r["title"]))
                + (f' <span class="note">({escape(r["reason"])})</span>' if r["reason"] else "")
                for r in ex["recommended"])
            rows.append((ex["user"], history, Raw(recs)))
        return table(rows, ["user", t("rec.report.history", lang),
                            t("rec.report.recommended", lang)])

    def to_html(self) -> str:
        lang = check_lang(self.lang)
        title = t("rec.report.title", lang, name=self.name)
        parts = [f"<h1>{escape(title)}</h1>",
                 section(t("rec.report.summary", lang), self._summary(lang)),
                 section(t("rec.report.metrics", lang), self._metrics())]
        if self.metrics.get("segments"):
            parts.append(section(t("rec.report.segments", lang), self._segments()))
        if self.metrics.get("leaderboard"):
            parts.append(section(t("rec.report.leaderboard", lang), self._board()))
        if self.examples:
            parts.append(section(t("rec.report.examples", lang), self._examples(lang)))
        if self.findings:
            parts.append(section(t("rec.report.findings", lang), table(
                [(f.severity, f.column or "", f.message, f.fix) for f in self.findings],
                ["severity", "column", "finding", "fix"])))
        data = self.metrics.get("data", {})
        if data:
            parts.append(section(t("rec.report.data", lang),
                                 dl([(k, _fmt(v)) for k, v in data.items()])))
        notes = [*self.metrics.get("notes", []), *self.notes]
        if notes:
            parts.append(section(t("rec.report.notes", lang),
                                 "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes)
                                 + "</ul>"))
        parts.append(f'<p class="note">{escape(t("report.generated", lang, version=__version__))}</p>')
        return page(title, "".join(parts), lang)

    def save(self, path: str | Path) -> Path:
        return save_report(self.to_html(), path)
