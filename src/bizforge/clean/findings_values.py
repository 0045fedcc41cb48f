"""Findings about how values were written: units, Excel errors, times stored as numbers.

Registered into :data:`bizforge.clean.findings.FINDERS` on import (the profile
imports this module), with their messages in English and Chinese.

- ``unit``: a numeric column written with a unit (``89平米``, ``5 kg``); info
  with one unit, a warning when several units share the column (``kg`` and
  ``g``: the numbers are not comparable as they stand).
- ``excel_errors``: cells holding Excel's error values (``#DIV/0!``, ``#N/A``,
  ...), read as missing; a warning, since a formula failed.
- ``number_time``: a column of numbers read as date-times (Unix seconds or
  milliseconds, Excel serial days, ``yyyymmdd``, ROC dates), with the unit
  that was assumed and the range it gives; info.

>>> sorted(k for k in FINDERS if k in ("unit", "excel_errors", "number_time"))
['excel_errors', 'number_time', 'unit']
"""

from __future__ import annotations

import pandas as pd

from bizforge.clean.findings import FINDERS, Context, Finding, finder
from bizforge.frame import Role
from bizforge.i18n import add_messages
from bizforge.ingest.infer import parse_datetimes
from bizforge.ingest.timecodes import NUMBER_TIME_FORMATS, number_time_format

__all__ = ["FINDERS"]

_UNITS_SHOWN = 5

add_messages(
    "en",
    {
        "kind.unit": "numbers with a unit",
        "kind.excel_errors": "Excel error values",
        "kind.number_time": "times stored as numbers",
        "format.decimal_comma": "decimal commas",
        "format.excel_error": "Excel error values",
        "format.plus": "lower bounds such as 10,000+ (read as the bound)",
        "format.unit": "units",
        "unit.message": (
            "column '{column}' holds numbers with a unit: {units}; they were read as numbers "
            "without it."
        ),
        "unit.several": (
            "column '{column}' holds numbers with different units: {units}; they were read as "
            "written, so values in different units are not comparable."
        ),
        "unit.fix": (
            "nothing to do if that is the unit you expect; to keep it in reports, put it in the "
            "column name, e.g. area (m2)."
        ),
        "unit.fix_several": "convert the values to one unit in the source, then read it again.",
        "excel_errors.message": (
            "column '{column}' has {count} Excel error values ({values}) ({rows}); they were "
            "read as missing values."
        ),
        "excel_errors.fix": (
            "correct the formulas in the workbook (e.g. wrap them in IFERROR) and export again; "
            "until then these cells count as missing."
        ),
        "number_time.message": (
            "column '{column}' holds {unit}, judged from its name and its range "
            "({low} to {high}); it is read as a date-time."
        ),
        "number_time.fix": (
            "if these are plain numbers, rename the column so that its name does not suggest "
            "a time; it is then read as a number."
        ),
        "time_unit.%Y%m%d": "dates written as yyyymmdd digits",
        "time_unit.roc": "ROC (Taiwan) calendar dates (year + 1911)",
        "time_unit.unix_ms": "Unix times in milliseconds",
        "time_unit.unix_s": "Unix times in seconds",
        "time_unit.excel_serial": "Excel serial day numbers (days since 1899-12-30)",
    },
)
add_messages(
    "zh",
    {
        "kind.unit": "带单位的数字",
        "kind.excel_errors": "Excel 错误值",
        "kind.number_time": "以数字存储的时间",
        "format.decimal_comma": "小数逗号",
        "format.excel_error": "Excel 错误值",
        "format.plus": "10,000+ 这类下限（按下限读取）",
        "format.unit": "单位",
        "unit.message": "列 '{column}' 的数字带有单位：{units}；已去掉单位按数字读取。",
        "unit.several": (
            "列 '{column}' 的数字单位不一致：{units}；已按原值读取，不同单位的值不能直接比较。"
        ),
        "unit.fix": "若单位符合预期则无需处理；如需在报告中保留单位，可写进列名，例如 面积(平米)。",
        "unit.fix_several": "请在源数据中把数值换算为同一单位后再读取。",
        "excel_errors.message": (
            "列 '{column}' 有 {count} 个 Excel 错误值（{values}）（{rows}），已作为缺失值处理。"
        ),
        "excel_errors.fix": "请在工作簿中修正公式（例如用 IFERROR 包裹）后重新导出；在此之前这些单元格按缺失值计。",
        "number_time.message": (
            "列 '{column}' 是{unit}，依据列名和取值范围（{low} 至 {high}）判断，已按日期时间读取。"
        ),
        "number_time.fix": "若这些只是普通数字，请修改列名，使其不像时间；之后会按数字读取。",
        "time_unit.%Y%m%d": "写成 yyyymmdd 数字的日期",
        "time_unit.roc": "民国纪年日期（年份 + 1911）",
        "time_unit.unix_ms": "毫秒级 Unix 时间戳",
        "time_unit.unix_s": "秒级 Unix 时间戳",
        "time_unit.excel_serial": "Excel 日期序列号（自 1899-12-30 起的天数）",
    },
)


@finder("unit")
def _units(ctx: Context) -> list[Finding]:
    out = []
    for info in ctx.schema:
        units = (info.numeric_text or {}).get("units") or {}
        if not units:
            continue
        ranked = sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{unit} ({n})" for unit, n in ranked[:_UNITS_SHOWN])
        several = len(units) > 1
        key = "unit.several" if several else "unit.message"
        out.append(
            Finding(
                info.name,
                "unit",
                "warning" if several else "info",
                ctx.t(key, column=info.name, units=shown),
                ctx.t("unit.fix_several" if several else "unit.fix"),
                sum(units.values()),
                [],
            )
        )
    return out


@finder("excel_errors")
def _excel_errors(ctx: Context) -> list[Finding]:
    out = []
    for column, found in (ctx.reader.get("excel_errors") or {}).items():
        if column not in ctx.schema:
            continue
        count = int(found["count"])
        rows = ctx.rows(found.get("rows", []))
        values = ", ".join(f"{v} {n}" for v, n in found.get("values", {}).items())
        message = ctx.t(
            "excel_errors.message",
            column=column,
            count=count,
            values=values,
            rows=ctx.rows_text(rows, count),
        )
        out.append(
            Finding(
                column, "excel_errors", "warning", message, ctx.t("excel_errors.fix"), count, rows
            )
        )
    return out


@finder("number_time")
def _number_time(ctx: Context) -> list[Finding]:
    out = []
    for column in ctx.schema.with_role(Role.DATETIME):
        series = ctx.frame[column]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            continue
        fmt = number_time_format(series)
        if fmt not in NUMBER_TIME_FORMATS:
            continue
        when = parse_datetimes(series.dropna().astype("str"), [fmt]).dropna()
        if when.empty:
            continue
        message = ctx.t(
            "number_time.message",
            column=column,
            unit=ctx.t(f"time_unit.{fmt}"),
            low=_day(when.min()),
            high=_day(when.max()),
        )
        out.append(
            Finding(column, "number_time", "info", message, ctx.t("number_time.fix"), len(when), [])
        )
    return out


def _day(value: pd.Timestamp) -> str:
    return value.isoformat(sep=" ") if (value.hour or value.minute) else value.date().isoformat()
