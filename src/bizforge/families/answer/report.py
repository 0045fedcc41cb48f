"""The answering report: one self-contained HTML page in the shared shell (English/Chinese).

Sections: a summary (hit@1/5 and the hand-over point), held-out figures, each
retriever alone against the equal-weight and tuned fusions (validation), the
fusion weights, examples of hits and misses, findings on the knowledge base
and notes.

>>> r = AnswerReport(metrics={"test": {"hit_1": 0.9, "hit_5": 1.0, "queries": 10}}, name="m")
>>> "<h1>" in r.to_html()
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizforge import __version__
from bizforge.evaluate.report import save_report
from bizforge.families.answer import strings as _strings  # noqa: F401
from bizforge.html import Raw, dl, escape, page, section, table
from bizforge.i18n import check_lang, pct, t

__all__ = ["AnswerReport"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "—" if value is None else str(value)


@dataclass
class AnswerReport:
    """Everything the report shows; ``save(path)`` writes it atomically."""

    metrics: Mapping[str, Any]
    examples: Sequence[Mapping[str, Any]] = ()
    name: str = "model"
    lang: str = "en"

    def _summary(self, lang: str) -> str:
        test = self.metrics.get("test") or {}
        if test.get("hit_1") is None:
            return f"<p>{escape(t('ans.report.no_test', lang))}</p>"
        lines = [t("ans.report.headline", lang, queries=test.get("queries", "?"),
                   hit1=pct(test["hit_1"]), hit5=pct(test["hit_5"]))]
        ho = test.get("handover")
        if ho and ho.get("answered") is not None:
            lines.append(t("ans.report.handover", lang, threshold=f"{ho['threshold']:.2f}",
                           answered=pct(ho["answered"]),
                           precision=pct(ho["answered_precision"] or 0.0),
                           removed=pct(ho["handover_removed"])))
        return "".join(f"<p>{escape(s)}</p>" for s in lines)

    def _metrics(self) -> Raw:
        test = dict(self.metrics.get("test") or {})
        ho = test.pop("handover", None) or {}
        rows = [(k, _fmt(v)) for k, v in test.items()]
        rows += [(f"handover.{k}", _fmt(v)) for k, v in ho.items()]
        return table(rows, ["metric", "value"], numeric=[1])

    def _board(self) -> Raw:
        return table([(r["name"], _fmt(r.get("hit_1")), _fmt(r.get("hit_5")),
                       _fmt(r.get("mrr_10"))) for r in self.metrics.get("leaderboard", [])],
                     ["retriever", "hit@1", "hit@5", "MRR@10"], numeric=[1, 2, 3])

    def _examples(self, lang: str) -> Raw:
        rows = [("✓" if ex["hit"] else "✗", ex["question"],
                 f"{ex['answered']}: {ex['answered_text']}", ex["right"])
                for ex in self.examples]
        return table(rows, ["", t("ans.report.question", lang), t("ans.report.answered", lang),
                            t("ans.report.right", lang)])

    def to_html(self) -> str:
        lang = check_lang(self.lang)
        title = t("ans.report.title", lang, name=self.name)
        parts = [f"<h1>{escape(title)}</h1>",
                 section(t("ans.report.summary", lang), self._summary(lang))]
        if (self.metrics.get("test") or {}).get("hit_1") is not None:
            parts.append(section(t("ans.report.metrics", lang), self._metrics()))
        if self.metrics.get("leaderboard"):
            parts.append(section(t("ans.report.retrievers", lang), self._board()))
        if self.metrics.get("weights"):
            parts.append(section(t("ans.report.weights", lang), dl(
                [(c, f"{w:.3f}") for c, w in self.metrics["weights"].items()])))
        if self.examples:
            parts.append(section(t("ans.report.examples", lang), self._examples(lang)))
        findings = self.metrics.get("findings") or []
        if findings:
            parts.append(section(t("ans.report.findings", lang), table(
                [(f.get("severity", ""), f.get("column") or "", f.get("message", ""),
                  f.get("fix", "")) for f in findings],
                ["severity", "column", "finding", "fix"])))
        notes = self.metrics.get("notes") or []
        if notes:
            parts.append(section(t("ans.report.notes", lang),
                                 "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes)
                                 + "</ul>"))
        parts.append(f'<p class="note">{escape(t("report.generated", lang, version=__version__))}'
                     "</p>")
        return page(title, "".join(parts), lang)

    def save(self, path: str | Path) -> Path:
        return save_report(self.to_html(), path)
