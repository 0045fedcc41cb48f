"""`bizforge inspect FILE`: profile a table and list its problems with fixes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bizforge.clean.overrides import column_notes, plan_drops
from bizforge.clean.report_html import summary_text
from bizforge.cli.app import (
    HeaderRow,
    SkipRows,
    app,
    check_output_file,
    console,
    edge,
    print_notes,
    same_file,
)
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
            help="CSV/TSV/TXT, Excel, Parquet or JSON-lines file, a SQLAlchemy URL "
            "such as sqlite:///shop.db (with --table or --query), or a folder or .zip "
            "of images in class sub-folders.",
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
            "--json",
            help="Write the profile as JSON here (rows, columns, findings, target, and what "
            "the reader learned: encoding and confidence, delimiter, header row, lines skipped).",
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
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(help="Column to use although the findings would drop it; repeatable "
                     "(as for train: shows the resulting drop list)."),
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option(help="Column to leave out of training; repeatable.")
    ] = None,
    decimal: Annotated[
        str | None,
        typer.Option(
            help="Decimal mark of numbers written as text: '.' (12.50) or ',' (12,50; "
            "1.234,56). Default: judged from the values, with a note when it is a guess."
        ),
    ] = None,
    task: Annotated[
        str, typer.Option(help="Inspect the data as this task's family sees it (e.g. forecast: "
                               "gaps, duplicate periods, short series); default: recognised.")
    ] = "auto",
) -> None:
    """Profile a table: column roles, missing values, target balance and data problems with fixes.

    A folder or .zip is inspected by the task family that recognises it: for images,
    the images per class, unreadable files (named), exact duplicates, sizes and aspect
    ratios, tiny classes. Personal data is reported by kind and count only, never by value.

    \b
    Examples:
      bizforge inspect customers.csv --target Churn --html report.html --json profile.json
      bizforge inspect 订单.xlsx --sheet 2024 --lang zh
      bizforge inspect sqlite:///shop.db --table orders
      bizforge inspect 统计年鉴.csv --header-row 4
      bizforge inspect bank.csv --target Exited --keep NumOfProducts --drop Surname
      bizforge inspect parts/                 (a folder of images, one sub-folder per class)

    Exit codes: 0 ok, 2 usage error (e.g. --lang fr, --keep of a column that is not
    there), 3 data error (unreadable
    file, missing or single-class target).
    """
    from bizforge.clean.profile import profile
    from bizforge.config import get_settings
    from bizforge.i18n import check_lang
    from bizforge.ingest import read

    lang = check_lang(lang or get_settings().lang)
    check_output_file(html, "--html", "profile.html", source=file)
    check_output_file(json, "--json", "profile.json", source=file)
    if html is not None and json is not None and same_file(html, json):
        raise UsageError("--html and --json name the same file.", fix="use two file names.")
    from bizforge.families import DataSource, family_for_task, recognise

    options = {"sheet": _sheet(sheet), "table": table, "query": query, "encoding": encoding,
               "delimiter": _unescape(delimiter), "header_row": header_row,
               "skip_rows": skip_rows, "decimal": decimal}
    source = DataSource(file, **{k: v for k, v in options.items() if v is not None})
    if task != "auto" or source.is_folder or source.is_zip:
        # a named task, or not one table: that family's inspect (images, series, ...)
        family = family_for_task(task) if task != "auto" else recognise(source, target)
        prof = family().inspect(source, target=target, options=family.Options(), lang=lang)
        if not hasattr(prof, "findings"):  # a family's own summary: show it as it is
            console.print(str(prof), markup=False, soft_wrap=True)
            return
        if source.is_folder or source.is_zip:
            lines = prof.summary() if hasattr(prof, "summary") else []
            if lines:
                console.print(Text(lines[0], style="bold"), soft_wrap=True)
            _print_findings(prof, lang, None)
            _save(prof, json, html, lang)
            return
    else:
        ds = read(file, **options)
        prof = profile(ds, target=target, lang=lang)
    plan = plan_drops(prof, keep, drop)
    _print_profile(prof, lang, plan)
    _save(prof, json, html, lang)


def _save(prof, json: Path | None, html: Path | None, lang: str) -> None:
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


def _print_profile(prof, lang: str, plan) -> None:
    m = prof.meta
    head = Text(f"{m.get('source') or 'data'}: ", style="bold")
    head.append(t("report.shape", lang, rows=f"{prof.rows:,}", cols=len(prof.columns)))
    for key in ("format", "encoding", "delimiter", "sheet"):
        if m.get(key) not in (None, ""):
            value = repr(m[key]) if key == "delimiter" else m[key]
            if key == "encoding" and (m.get("encoding_confidence") or 1) < 1:
                value = f"{value} ({m['encoding_confidence']:.2f})"  # how sure the guess is
            head.append(f", {t('label.' + key, lang).lower()} {value}")
    if m.get("decimal") == ",":  # the point is the default: only the comma is worth a word
        head.append(f", {t('label.decimal', lang).lower()} ','")
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
    _print_findings(prof, lang, plan)


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


def _as_finding(f):
    """A family may keep its findings as dicts of the Finding shape (JSON-ready)."""
    if not isinstance(f, dict):
        return f
    return SimpleNamespace(severity=f.get("severity", "info"), kind=f.get("kind", ""),
                           message=f.get("message", ""), fix=f.get("fix", ""))


def _print_findings(prof, lang: str, plan) -> None:
    console.print(Text(t("report.findings", lang), style="bold"))
    if not prof.findings:
        console.print(Text(t("report.no_findings", lang)))
        return
    for f in map(_as_finding, prof.findings):
        line = Text("  ")
        line.append(f"[{t('severity.' + f.severity, lang)}]", style=_COLOURS[f.severity])
        line.append(f" {t('kind.' + f.kind, lang, default=f.kind)} ({f.kind}): {f.message}")
        console.print(line, soft_wrap=True)
        console.print(Text(f"    {t('label.fix', lang)}: {f.fix}", style="green"), soft_wrap=True)
    if plan is None:  # a family's own findings: no columns to keep or drop
        return
    if plan.drop:
        text = ", ".join(f"{c} ({t('reason.' + r, lang, default=r)})" for c, r in plan.drop.items())
        console.print(Text(f"{t('report.drop', lang)}: {text}"), soft_wrap=True)
    for line in column_notes({}, plan.kept, lang):
        console.print(Text(line), soft_wrap=True)
