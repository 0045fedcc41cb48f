"""Small helpers for self-contained HTML reports (profile now, model report later).

Everything is inline: one ``<style>`` block, inline SVG charts, no script and
no external URL, so a report opens offline and can be mailed as one file.
Cell text is escaped unless it is wrapped in :class:`Raw` (already-built HTML).

>>> "<td>a &amp; b</td>" in table([["a & b"]], ["x"])
True
"""

from __future__ import annotations

import html as _html
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "Raw",
    "badge",
    "bar_svg",
    "dl",
    "escape",
    "fmt_number",
    "hist_svg",
    "page",
    "section",
    "table",
]

_CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
 margin:2rem auto;max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;
 border-bottom:2px solid #e5e7eb;padding-bottom:.2rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem;width:100%}
th,td{border:1px solid #e5e7eb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:.6rem;padding:0 .5rem;font-size:.8rem;color:#fff}
.sev-info{background:#2563eb}.sev-warning{background:#d97706}.sev-error{background:#dc2626}
.note{color:#555;font-size:.9rem}.fix{color:#065f46}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
svg text{font-size:11px;fill:#374151}
"""


class Raw(str):
    """A string that is already HTML and must not be escaped again."""


def escape(value: object) -> str:
    """Escape any value for HTML text or attributes (``Raw`` passes through)."""
    if isinstance(value, Raw):
        return value
    return _html.escape("" if value is None else str(value), quote=True)


def page(title: str, body_html: str, lang: str = "en") -> str:
    """A complete self-contained HTML document.

    >>> page("t", "<p>x</p>").startswith("<!DOCTYPE html>")
    True
    """
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{body_html}</body></html>\n"
    )


def section(title: str, body_html: str, level: int = 2) -> Raw:
    """A heading followed by its content."""
    return Raw(f"<h{level}>{escape(title)}</h{level}>{body_html}")


def table(
    rows: Iterable[Sequence[object]],
    headers: Sequence[str],
    *,
    numeric: Iterable[int] = (),
) -> Raw:
    """An HTML table; columns whose index is in ``numeric`` are right-aligned."""
    numeric = set(numeric)
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{escape(v)}</td>' if i in numeric else f"<td>{escape(v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return Raw(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def dl(items: Iterable[tuple[str, object]]) -> Raw:
    """A definition list of label/value pairs (the overview box)."""
    inner = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return Raw(f"<dl>{inner}</dl>")


def badge(text: str, severity: str) -> Raw:
    """A coloured pill for info / warning / error."""
    return Raw(f'<span class="badge sev-{escape(severity)}">{escape(text)}</span>')


def bar_svg(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: int = 360,
    bar_height: int = 16,
    label_width: int = 120,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    color: str = "#2563eb",
) -> Raw:
    """Horizontal bars, one per label, scaled to the largest value.

    >>> "<rect" in bar_svg(["Yes", "No"], [26.5, 73.5])
    True
    """
    top = max((float(v) for v in values), default=0.0) or 1.0
    span = width - label_width - 60
    gap = 4
    height = len(labels) * (bar_height + gap)
    parts = []
    for i, (label, value) in enumerate(zip(labels, values)):
        y = i * (bar_height + gap)
        w = max(1.0, span * float(value) / top)
        short = str(label) if len(str(label)) <= 18 else str(label)[:17] + "…"
        parts.append(
            f'<text x="{label_width - 4}" y="{y + bar_height - 4}" text-anchor="end">'
            f"{escape(short)}</text>"
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" '
            f'fill="{escape(color)}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
            f'<text x="{label_width + w + 4:.1f}" y="{y + bar_height - 4}">{escape(fmt(value))}</text>'
        )
    return Raw(f'<svg width="{width}" height="{height}" role="img">{"".join(parts)}</svg>')


def hist_svg(
    counts: Sequence[int], *, width: int = 160, height: int = 36, color: str = "#6b7280"
) -> Raw:
    """A tiny column histogram (no axes) for a table cell."""
    if not counts:
        return Raw("")
    top = max(counts) or 1
    w = width / len(counts)
    bars = "".join(
        f'<rect x="{i * w:.1f}" y="{height - height * c / top:.1f}" width="{max(w - 1, 1):.1f}" '
        f'height="{height * c / top:.1f}" fill="{escape(color)}"/>'
        for i, c in enumerate(counts)
    )
    return Raw(f'<svg width="{width}" height="{height}" role="img">{bars}</svg>')


def fmt_number(value: object) -> str:
    """A number for people: ``1,643,691`` for large values, 4 significant digits otherwise.

    >>> fmt_number(1643690.9), fmt_number(0.123456), fmt_number(7043)
    ('1,643,691', '0.1235', '7,043')
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"
