"""`bizforge monitor NAME`: what the servers scored, compared with the training data.

Exit codes: 0 (drifted or not: the report says which), 2 usage (bad period,
unwritable --html), 4 unknown model or a version whose files fail their checksum.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.table import Table

from bizforge.cli.app import app, check_output_file, console, edge

__all__ = ["monitor_command", "report_html"]

_STYLE = {"drifted": "bold red", "watch": "yellow", "stable": "green"}


@app.command("monitor")
@edge
def monitor_command(
    ref: str = typer.Argument(..., help="NAME (its production version), NAME:VERSION or NAME@ALIAS."),
    since: str = typer.Option("7d", "--since", help="Period to look back over: 30m, 12h, 7d, 2w."),
    html: Path = typer.Option(None, "--html", help="Also write the report as an HTML page."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Input and prediction drift of a model: PSI and a test per feature, ranked, with advice.

    Uses the summaries every `bizforge serve` sharing this registry stored (counts
    on the training data's buckets; never raw rows).

    Example: bizforge monitor churn --since 7d --html drift.html
    """
    from bizforge.registry import Registry
    from bizforge.registry.monitor import drift_report, parse_since

    parse_since(since)  # a typo fails before the database is opened
    if html is not None:
        check_output_file(html, "--html", "drift.html")
    with Registry() as registry:
        report = drift_report(registry, ref, since=since)
    if html is not None:
        html.write_text(report_html(report), encoding="utf-8")
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    _print(report)


def _print(report: dict[str, Any]) -> None:
    console.print(f"{report['model']}:{report['version']} — {report['rows']:,} rows served "
                  f"from {report['since']} to {report['until']}", markup=False)
    if report["features"]:
        table = Table(box=box.SIMPLE_HEAD)
        for column in ("feature", "PSI", "p-value", "status", "largest change"):
            table.add_column(column, overflow="fold")
        items = report["features"] + ([report["prediction"]] if report["prediction"] else [])
        for item in items:
            change = item["largest_change"]
            table.add_row(item["feature"], f"{item['psi']:.3f}",
                          "-" if item["p_value"] is None else f"{item['p_value']:.3g}",
                          f"[{_STYLE.get(item['status'], '')}]{item['status']}[/]",
                          f"{change['bucket']}: {change['training']:.0%} -> "
                          f"{change['served']:.0%}")
        console.print(table)
    for line in report["advice"]:
        console.print(f"- {line}", markup=False)


def report_html(report: dict[str, Any]) -> str:
    """The drift report as one self-contained HTML page."""
    from bizforge.html import badge, escape, page, section, table

    severity = {"drifted": "error", "watch": "warning", "stable": "info"}
    items = report["features"] + ([report["prediction"]] if report["prediction"] else [])
    rows = [[i["feature"], f"{i['psi']:.3f}",
             "-" if i["p_value"] is None else f"{i['p_value']:.3g}",
             badge(i["status"], severity.get(i["status"], "info")),
             f"{i['largest_change']['bucket']}: {i['largest_change']['training']:.0%} → "
             f"{i['largest_change']['served']:.0%}"] for i in items]
    body = section("Features, most drifted first",
                   table(rows, ["feature", "PSI", "p-value", "status", "largest change"],
                         numeric=(1, 2)))
    advice = "".join(f"<li>{escape(line)}</li>" for line in report["advice"])
    body += section("What to do", f"<ul>{advice}</ul>")
    title = (f"Drift of {report['model']}:{report['version']} — {report['rows']:,} rows, "
             f"{report['since'][:10]} to {report['until'][:10]}")
    return page(title, body)

