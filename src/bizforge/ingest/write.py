"""Write a table by file suffix, atomically, never over the file it was read from."""

from __future__ import annotations

import os
import tempfile
from functools import partial
from pathlib import Path

import pandas as pd

from bizforge.errors import DataError
from bizforge.frame import Dataset

__all__ = ["TEXT_SUFFIXES", "WRITERS", "check_destination", "write_table"]


def _csv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8", delimiter: str = ",") -> None:
    frame.to_csv(path, index=False, sep=delimiter, encoding=encoding)


def _tsv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8", delimiter: str = "\t") -> None:
    frame.to_csv(path, index=False, sep="\t", encoding=encoding)  # a .tsv is tab-separated


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def _jsonl(frame: pd.DataFrame, path: Path) -> None:
    frame.to_json(path, orient="records", lines=True, force_ascii=False, date_format="iso")


def _xlsx(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for col in out.columns:  # Excel has no time zones
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    out.to_excel(path, index=False, engine="openpyxl")


WRITERS = {".csv": _csv, ".tsv": _tsv, ".parquet": _parquet, ".jsonl": _jsonl, ".xlsx": _xlsx}
TEXT_SUFFIXES = (".csv", ".tsv")  # the formats where encoding and delimiter are choices


def check_destination(path: str | Path, suffixes=WRITERS) -> Path:
    """``path`` if a table can be written there (a file name with one of ``suffixes``),
    else a DataError: commands call it before their work, not after.

    >>> check_destination("scored.txt")  # doctest: +SKIP
    DataError: cannot write scored.txt: unknown suffix '.txt'. Fix: use one of .csv, ...
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"cannot write {path}: it is a folder.", path=str(path),
                        fix="give a file name, e.g. scored.csv.")
    if path.suffix.lower() not in suffixes:
        raise DataError(
            f"cannot write {path}: unknown suffix {path.suffix or '(none)'!r}.",
            path=str(path),
            fix=f"use one of {', '.join(suffixes)}.",
        )
    return path


def write_table(
    frame: pd.DataFrame | Dataset,
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Path:
    """Write ``frame`` to ``path`` in the format its suffix names; returns the path.

    CSV/TSV are UTF-8 and comma/tab-separated unless ``encoding`` /
    ``delimiter`` say otherwise (``"utf-8-sig"`` adds the BOM that Excel needs
    to read Chinese text; a .tsv is always tab-separated); other formats ignore
    both. The file is written next to its destination and moved into place, so
    a crash never leaves half a file. Writing over the file a Dataset was read
    from is refused.

    >>> write_table(ds.frame, "clean.parquet")  # doctest: +SKIP
    PosixPath('clean.parquet')
    >>> write_table(ds.frame, "clean.csv", encoding="gb18030", delimiter=";")  # doctest: +SKIP
    PosixPath('clean.csv')
    """
    path = Path(path)
    source = None
    if isinstance(frame, Dataset):
        source = frame.meta.get("source")
        frame = frame.frame
    suffix = check_destination(path).suffix.lower()
    writer = WRITERS[suffix]
    if suffix in TEXT_SUFFIXES:
        options = {"encoding": encoding or "utf-8"}
        if delimiter:
            options["delimiter"] = delimiter
        writer = partial(writer, **options)
    if source and Path(source).exists() and path.exists() and path.samefile(source):
        raise DataError(
            f"refusing to write over {path}: it is the input the data was read from.",
            path=str(path),
            fix="write to a new file name, e.g. add _clean before the suffix.",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        writer(frame, Path(tmp))
        os.replace(tmp, path)
    except UnicodeEncodeError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DataError(
            f"cannot write {path} as {encoding}: character U+{ord(exc.object[exc.start]):04X} "
            "has no place in that encoding.",
            path=str(path),
            fix="write UTF-8 instead (utf-8-sig opens correctly in Excel).",
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
