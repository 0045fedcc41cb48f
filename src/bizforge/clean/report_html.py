"""The profile as one self-contained HTML page (inline CSS and SVG, no script, no URL).

>>> html = profile(ds, target="Churn").to_html("zh")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from bizforge import __version__
from bizforge.html import (
    Raw,
    badge,
    bar_svg,
    dl,
    escape,
    fmt_number,
    hist_svg,
    page,
    section,
    table,
)
from bizforge.i18n import pct, t

if TYPE_CHECKING:
    from bizforge.clean.profile import Profile

__all__ = ["render", "summary_text"]

_STATS = ("min", "p25", "median", "p75", "max", "mean")


def render(p: Profile, lang: str) -> str:
    """The full page for profile ``p`` in ``lang`` ("zh" or "en")."""
    name = PurePath(str(p.meta.get("source"))).name if p.meta.get("source") else "data"
    parts = [
        f"<h1>{escape(t('report.title', lang, name=name))}</h1>",
        section(t("report.overview", lang), _overview(p, lang)),
    ]
    if p.target is not None:
        parts.append(section(t("report.target", lang), _target(p.target, lang)))
    parts.append(section(t("report.findings", lang), _findings(p, lang)))
    drops = p.drop_suggestions()
    if drops:
        rows = [(c, t(f"reason.{r}", lang)) for c, r in drops.items()]
        parts.append(
            section(
                t("report.drop", lang),
                table(rows, [t("label.column", lang), t("label.reason", lang)]),
            )
        )
    parts.append(
        section(
            t("report.columns", lang),
            _columns_table(p, lang) + "".join(_column_detail(c, lang) for c in p.columns),
        )
    )
    parts.append(f'<p class="note">{escape(t("report.generated", lang, version=__version__))}</p>')
    return page(t("report.title", lang, name=name), "".join(parts), lang)


def _overview(p: Profile, lang: str) -> str:
    m = p.meta
    items = [(t("label.rows", lang), f"{p.rows:,}"), (t("label.columns", lang), len(p.columns))]
    for key in ("source", "format", "encoding", "delimiter", "sheet"):
        if m.get(key) not in (None, ""):
            items.append((t(f"label.{key}", lang), repr(m[key]) if key == "delimiter" else m[key]))
    if p.target is not None:
        items.append((t("report.target", lang), p.target["name"]))
    out = dl(items)
    if m.get("sampled"):
        note = t("report.sampled", lang, n=f"{m.get('rows_profiled', 0):,}", total=f"{p.rows:,}")
        out += f'<p class="note">{escape(note)}</p>'
    for warning in m.get("warnings") or []:  # from reading the file: encoding, header, ...
        out += f'<p class="note">{escape(str(warning.get("message", "")))}</p>'
    return out


def _target(target: dict[str, Any], lang: str) -> str:
    if target.get("kind") == "classes":
        classes = target["classes"]
        title = f"<h3>{escape(t('target.classes', lang, target=target['name']))}</h3>"
        rows = [(c["value"], f"{c['count']:,}", pct(c["share"])) for c in classes]
        chart = bar_svg(
            [c["value"] for c in classes],
            [100 * c["share"] for c in classes],
            fmt=lambda v: f"{v:.1f}%",
        )
        headers = [t("label.class", lang), t("label.count", lang), t("label.share", lang)]
        return title + chart + table(rows, headers, numeric=(1, 2))
    title = f"<h3>{escape(t('target.numeric', lang, target=target['name']))}</h3>"
    hist = (target.get("histogram") or {}).get("counts", [])
    return title + hist_svg(hist, width=360, height=80) + _stats_table(target.get("numeric"), lang)


def _findings(p: Profile, lang: str) -> str:
    if not p.findings:
        return f"<p>{escape(t('report.no_findings', lang))}</p>"
    rows = []
    for f in p.findings:
        text = Raw(
            f'{escape(f.message)}<br><span class="fix">{escape(t("label.fix", lang))}: '
            f"{escape(f.fix)}</span>"
        )
        rows.append(
            (
                badge(t(f"severity.{f.severity}", lang), f.severity),
                t(f"kind.{f.kind}", lang),
                f.column or "—",
                text,
            )
        )
    headers = [
        t("label.severity", lang),
        t("label.kind", lang),
        t("label.column", lang),
        t("label.message", lang),
    ]
    return table(rows, headers)


def summary_text(col: dict[str, Any], lang: str) -> str:
    if col.get("pii"):
        return ", ".join(
            f"{t('pii.' + k, lang, default=k)} ({n})" for k, n in col["pii"]["kinds"].items()
        )
    if col.get("top"):
        return ", ".join(f"{v['value']} ({pct(v['share'])})" for v in col["top"][:3])
    num = col.get("numeric")
    if num:
        keys = [k for k in ("min", "median", "max") if k in num]
        return ", ".join(f"{t('stat.' + k, lang)} {fmt_number(num[k])}" for k in keys)
    return ""


def _columns_table(p: Profile, lang: str) -> str:
    rows = []
    for c in p.columns:
        chart = hist_svg((c.get("histogram") or {}).get("counts", []), width=120, height=24)
        rows.append(
            (
                c["name"],
                t(f"role.{c['role']}", lang, default=c["role"]),
                c["dtype"],
                f"{c['missing']:,} ({c['missing_pct']:.1f}%)",
                f"{c['unique']:,}",
                summary_text(c, lang),
                chart,
            )
        )
    headers = [
        t(f"label.{k}", lang)
        for k in ("column", "role", "dtype", "missing", "unique", "summary", "distribution")
    ]
    return table(rows, headers, numeric=(3, 4))


def _column_detail(c: dict[str, Any], lang: str) -> str:
    items = [
        (t("label.role", lang), t(f"role.{c['role']}", lang, default=c["role"])),
        (t("label.dtype", lang), c["dtype"]),
        (t("label.missing", lang), f"{c['missing']:,} ({c['missing_pct']:.1f}%)"),
        (t("label.unique", lang), f"{c['unique']:,}"),
    ]
    if c.get("language"):
        items.append((t("label.language", lang), c["language"]))
    if c.get("pii"):
        items.append((t("label.pii", lang), summary_text(c, lang)))
    body = dl(items)
    if c.get("top"):
        body += bar_svg(
            [v["value"] for v in c["top"]],
            [v["count"] for v in c["top"]],
            fmt=lambda v: f"{v:,.0f}",
        )
    elif c.get("numeric"):
        hist = (c.get("histogram") or {}).get("counts", [])
        body += hist_svg(hist, width=360, height=60) + _stats_table(c["numeric"], lang)
    return section(c["name"], body, level=3)


def _stats_table(num: dict[str, Any] | None, lang: str) -> str:
    if not num:
        return ""
    keys = [k for k in _STATS if k in num]
    return table(
        [[fmt_number(num[k]) for k in keys]],
        [t(f"stat.{k}", lang) for k in keys],
        numeric=range(len(keys)),
    )
