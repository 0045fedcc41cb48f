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

_METRICS = ("recall", "ndcg", "map", "hit", "precision", "coverage", "popularity_bias")


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

    def _metrics(self, lang: str) -> Raw:
        test = self.metrics.get("test", {})
        rows = []
        for key, value in test.items():
            base = next((m for m in _METRICS if key.startswith(m)), None)
            rows.append((key, _fmt(value), t(f"rec.meaning.{base}", lang) if base else ""))
        return table(rows, [t("rec.col.metric", lang), t("rec.col.value", lang),
                            t("rec.col.meaning", lang)], numeric=[1])

    def _segments(self, lang: str) -> Raw:
        segs = self.metrics.get("segments", [])
        return table([(t(f"rec.segment.{s['kind']}", lang, cut=f"{s['cut']:g}")
                       if "kind" in s else s["segment"], s["users"], _fmt(s["recall"]),
                       _fmt(s["ndcg"])) for s in segs],
                     [t("rec.col.users", lang), t("rec.col.count", lang), "recall", "ndcg"],
                     numeric=[1, 2, 3])

    def _board(self, lang: str) -> Raw:
        return table([(r["name"], _fmt(r["ndcg"]), _fmt(r["recall"]), _fmt(r["fit_seconds"]),
                       "✓" if r.get("chosen") else "") for r in self.metrics.get("leaderboard", [])],
                     [t("rec.col.candidate", lang), "ndcg", "recall", t("rec.col.fit_s", lang),
                      t("rec.col.in_blend", lang)], numeric=[1, 2, 3])

    @staticmethod
    def _reason(rec: Mapping[str, Any], lang: str) -> str | None:
        """The reason in the report's language (the saved English one when it cannot be)."""
        if rec.get("via") == "popular":
            return t("rec.report.popular", lang)
        if rec.get("because") is not None:
            key = "rec.report.similar_to" if rec.get("via") == "attributes" else "rec.report.because"
            return t(key, lang, item=rec["because"])
        return rec.get("reason")

    def _examples(self, lang: str) -> Raw:
        rows = []
        for ex in self.examples:
            history = ", ".join(ex["history"])
            parts = []
            for r in ex["recommended"]:
                reason = self._reason(r, lang)
                parts.append((f"<b>{escape(r['title'])}</b>" if r["hit"] else escape(r["title"]))
                             + (f' <span class="note">({escape(reason)})</span>' if reason else ""))
            rows.append((ex["user"], history, Raw("<br>".join(parts))))
        return table(rows, [t("rec.col.user", lang), t("rec.report.history", lang),
                            t("rec.report.recommended", lang)])

    def to_html(self) -> str:
        lang = check_lang(self.lang)
        title = t("rec.report.title", lang, name=self.name)
        parts = [f"<h1>{escape(title)}</h1>",
                 section(t("rec.report.summary", lang), self._summary(lang)),
                 section(t("rec.report.metrics", lang), self._metrics(lang))]
        if self.metrics.get("segments"):
            parts.append(section(t("rec.report.segments", lang), self._segments(lang)))
        if self.metrics.get("leaderboard"):
            parts.append(section(t("rec.report.leaderboard", lang), self._board(lang)))
        if self.examples:
            parts.append(section(t("rec.report.examples", lang), self._examples(lang)))
        if self.findings:
            parts.append(section(t("rec.report.findings", lang), table(
                [(t(f"rec.severity.{f.severity}", lang, default=f.severity), f.column or "",
                  f.message, f.fix) for f in self.findings],
                [t("rec.col.severity", lang), t("rec.col.column", lang),
                 t("rec.col.finding", lang), t("rec.col.fix", lang)])))
        data = self.metrics.get("data", {})
        if data:
            parts.append(section(t("rec.report.data", lang),
                                 dl([(t(f"rec.data.{k}", lang, default=k), _fmt(v))
                                     for k, v in data.items()])))
        notes = [*self.metrics.get("notes", []), *self.notes]
        if notes:
            parts.append(section(t("rec.report.notes", lang),
                                 "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes)
                                 + "</ul>"))
        parts.append(f'<p class="note">{escape(t("report.generated", lang, version=__version__))}</p>')
        return page(title, "".join(parts), lang)

    def save(self, path: str | Path) -> Path:
        return save_report(self.to_html(), path)
