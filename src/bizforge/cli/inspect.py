"""`bizforge inspect FILE`: the data's family profiles it and lists its problems with fixes.

The family is ``--task``'s, or the one that recognises the data (tables and texts:
the :class:`~bizforge.clean.Profile` printed here; other families: their own findings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bizforge.clean.report_html import summary_text
from bizforge.cli.app import app, check_output_file, console, edge, print_notes, same_file
from bizforge.errors import UsageError
from bizforge.html import fmt_number
from bizforge.i18n import pct, t

__all__ = ["inspect"]

MAX_CLASSES_SHOWN = 12
_COLOURS = {"error": "bold red", "warning": "yellow", "info": "cyan"}


@app.command("inspect")
@edge
def inspect(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="CSV/TSV/TXT, Excel, Parquet or JSON-lines file, or a SQLAlchemy URL "
            "such as sqlite:///shop.db (with --table or --query); a folder or .zip for the "
            "families that read one.",
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option(help="Column to predict: adds its class balance and the leakage checks."),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            help="Language of the summary and reports: zh or en (default: BIZFORGE_LANG or en)."
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML report here (opens offline).")
    ] = None,
    json: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Write the profile as JSON here (rows, columns, findings, target)."
        ),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name or 0-based number.")] = None,
    table: Annotated[str | None, typer.Option(help="Database table to read (SQL URL).")] = None,
    query: Annotated[str | None, typer.Option(help="SQL query to read (SQL URL).")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding, e.g. gbk (default: detected).")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="Field delimiter, e.g. ';' or '\\t' (default: sniffed).")
    ] = None,
    task: Annotated[
        str,
        typer.Option(help="Which task family inspects the data (default auto: the family "
                     "that recognises it; see `bizforge train --help` for the tasks)."),
    ] = "auto",
) -> None:
    """Profile a table: column roles, missing values, target balance and data problems with fixes.

    Personal data is reported by kind and count only, never by value.

    \b
    Examples:
      bizforge inspect customers.csv --target Churn --html report.html --json profile.json
      bizforge inspect 订单.xlsx --sheet 2024 --lang zh
      bizforge inspect sqlite:///shop.db --table orders

    Exit codes: 0 ok, 2 usage error (e.g. --lang fr), 3 data error (unreadable
    file, missing or single-class target).
    """
    from bizforge.clean.profile import Profile
    from bizforge.config import get_settings
    from bizforge.families import DataSource, family_for_task, recognise
    from bizforge.i18n import check_lang

    lang = check_lang(lang or get_settings().lang)
    check_output_file(html, "--html", "profile.html", source=file)
    check_output_file(json, "--json", "profile.json", source=file)
    if html is not None and json is not None and same_file(html, json):
        raise UsageError("--html and --json name the same file.", fix="use two file names.")
    source = DataSource(file, sheet=_sheet(sheet), table=table, query=query,
                        encoding=encoding, delimiter=_unescape(delimiter))
    family = recognise(source, target) if task == "auto" else family_for_task(task)
    prof = family().inspect(source, target=target, options=family.Options(), lang=lang)
    if isinstance(prof, Profile):
        _print_profile(prof, lang)
    else:  # a family's own findings: its text, and its files where it can write them
        console.print(Text(str(getattr(prof, "summary", lambda _lang: prof)(lang))))
    for option, path, method in (("--json", json, "save_json"), ("--html", html, "save_html")):
        if path is not None and not hasattr(prof, method):
            raise UsageError(f"{family.name} data has no {option} report.",
                             fix=f"drop {option}.")
    if json is not None:
        prof.save_json(json)
        console.print(Text(f"JSON: {json}"))
    if html is not None:
        prof.save_html(html, lang)
        console.print(Text(f"HTML: {html}"))


def _sheet(sheet: str | None) -> str | int | None:
    return int(sheet) if sheet is not None and sheet.isdigit() else sheet


def _unescape(delimiter: str | None) -> str | None:
    return "\t" if delimiter in ("\\t", "tab") else delimiter


def _print_profile(prof, lang: str) -> None:
    m = prof.meta
    head = Text(f"{m.get('source') or 'data'}: ", style="bold")
    head.append(t("report.shape", lang, rows=f"{prof.rows:,}", cols=len(prof.columns)))
    for key in ("format", "encoding", "delimiter", "sheet"):
        if m.get(key) not in (None, ""):
            value = repr(m[key]) if key == "delimiter" else m[key]
            head.append(f", {t('label.' + key, lang).lower()} {value}")
    console.print(head, soft_wrap=True)
    print_notes(m.get("warnings") or [])  # from reading the file: encoding, header, ...
    if m.get("sampled"):
        console.print(
            Text(t("report.sampled", lang, n=f"{m['rows_profiled']:,}", total=f"{prof.rows:,}")),
            soft_wrap=True,
        )
    console.print(_columns_table(prof, lang))
    if prof.target is not None:
        _print_target(prof.target, lang)
    _print_findings(prof, lang)


def _columns_table(prof, lang: str) -> Table:
    tab = Table(title=t("report.columns", lang), title_justify="left", show_lines=False)
    for key, justify in (
        ("column", "left"),
        ("role", "left"),
        ("missing", "right"),
        ("unique", "right"),
        ("summary", "left"),
    ):
        tab.add_column(t(f"label.{key}", lang), justify=justify, overflow="fold")
    for c in prof.columns:
        missing = f"{c['missing']:,}" + (f" ({c['missing_pct']:.1f}%)" if c["missing"] else "")
        tab.add_row(
            Text(c["name"]),
            Text(t(f"role.{c['role']}", lang, default=c["role"])),
            Text(missing),
            Text(f"{c['unique']:,}"),
            Text(summary_text(c, lang)),
        )
    return tab


def _print_target(target: dict, lang: str) -> None:
    if target.get("kind") != "classes":
        num = target.get("numeric") or {}
        line = ", ".join(f"{t('stat.' + k, lang)} {fmt_number(v)}" for k, v in num.items())
        text = t("target.numeric", lang, target=target["name"]) + ": " + line
        console.print(Text(text), soft_wrap=True)
        return
    tab = Table(title=t("target.classes", lang, target=target["name"]), title_justify="left")
    for key, justify in (("class", "left"), ("count", "right"), ("share", "right")):
        tab.add_column(t(f"label.{key}", lang), justify=justify, overflow="fold")
    tab.add_column("")
    classes = target["classes"]
    for c in classes[:MAX_CLASSES_SHOWN]:
        bar = "█" * max(1, round(30 * c["share"]))
        tab.add_row(Text(c["value"]), f"{c['count']:,}", pct(c["share"]), bar)
    if len(classes) > MAX_CLASSES_SHOWN:
        tab.add_row(Text(t("report.more_classes", lang, n=len(classes) - MAX_CLASSES_SHOWN)))
    console.print(tab)


def _print_findings(prof, lang: str) -> None:
    console.print(Text(t("report.findings", lang), style="bold"))
    if not prof.findings:
        console.print(Text(t("report.no_findings", lang)))
        return
    for f in prof.findings:
        line = Text("  ")
        line.append(f"[{t('severity.' + f.severity, lang)}]", style=_COLOURS[f.severity])
        line.append(f" {t('kind.' + f.kind, lang)} ({f.kind}): {f.message}")
        console.print(line, soft_wrap=True)
        console.print(Text(f"    {t('label.fix', lang)}: {f.fix}", style="green"), soft_wrap=True)
    drops = prof.drop_suggestions()
    if drops:
        text = ", ".join(f"{c} ({t('reason.' + r, lang)})" for c, r in drops.items())
        console.print(Text(f"{t('report.drop', lang)}: {text}"), soft_wrap=True)
