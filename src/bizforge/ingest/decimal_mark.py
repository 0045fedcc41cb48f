"""Which mark separates the decimals: ``12,50`` (German, French, ...) or ``12.50``.

European exports write ``1.234,56`` where others write ``1,234.56``. Most values
say which convention they follow: ``12,50`` (two digits after the comma),
``0,5`` (a leading ``0,`` group is never thousands), ``1.234,56`` and
``1.234.567`` can only be decimal-comma numbers, and their mirror images only
decimal-point ones. ``1,500`` or ``2.300`` could be either, so they take the
mark of the rest of their column and, failing that, of the rest of the file; a
semicolon-separated file with no other clue is taken as decimal-comma (the
comma is why such files use semicolons). :func:`infer_decimal` makes that
decision once per file, on text columns only (typed numbers have no mark), and
says how it was made, so the reader can tell the user and the recipe can read
new rows the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["MARKS", "DecimalGuess", "column_evidence", "decimal_note", "infer_decimal"]

MARKS = (".", ",")
_SAMPLE = 500
# A value with one number in it, decorations allowed around (currency, unit, sign).
_SHAPE = r"[^0-9]{0,8}[0-9][0-9.,]*[^0-9]{0,12}"
# Values that can only be read one way, for the comma and for the point.
_COMMA_ONLY = (
    r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+",  # 1.234,56
    r"[0-9]+,(?:[0-9]{1,2}|[0-9]{4,})",  # 12,50  12,5  3,14159
    r"0,[0-9]+",  # 0,500: a leading 0 group is never thousands
    r"[0-9]{4,},[0-9]+",  # 1234,567: thousands groups have at most 3 digits in front
    r"[0-9]{1,3}(?:\.[0-9]{3}){2,}",  # 1.234.567
)
_DOT_ONLY = (
    r"[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+",  # 1,234.56
    r"[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,})",  # 12.50  12.5  3.14159
    r"0\.[0-9]+",  # 0.500
    r"[0-9]{4,}\.[0-9]+",  # 1234.567
    r"[0-9]{1,3}(?:,[0-9]{3}){2,}",  # 1,234,567
)
_AMBIGUOUS = r"[1-9][0-9]{0,2}[.,][0-9]{3}"  # 1,500 or 1.500
_CLUE_SHARE = 0.9  # of the values with a mark, how many must be clues for the column to vote
_COMMA = "|".join(f"(?:{p})" for p in _COMMA_ONLY)
_DOT = "|".join(f"(?:{p})" for p in _DOT_ONLY)


@dataclass
class DecimalGuess:
    """The file's decimal mark and how it was decided.

    ``columns`` maps every text column with marked numbers to the mark it is
    read with. ``voted`` are the columns whose own values decided their mark,
    ``from_file`` those with only ambiguous values such as ``1,500``, which
    took the file's mark. ``how`` is ``"given"``, ``"values"``,
    ``"semicolon"``, ``"comma-separated"`` (only values like ``2.300`` in a
    comma-separated file) or ``"default"``.
    """

    mark: str = "."
    how: str = "default"
    columns: dict[str, str] = field(default_factory=dict)
    voted: dict[str, str] = field(default_factory=dict)
    from_file: list[str] = field(default_factory=list)


def column_evidence(values: pd.Series) -> tuple[int, int, int]:
    """``(comma clues, dot clues, ambiguous)`` among the text values of one column.

    Returns zeros unless the column is numbers (with decorations) and at least
    90% of its values with a mark are clues, so that IP addresses, versions
    and dates never vote.

    >>> column_evidence(pd.Series(["12,50", "-300,00", "1.234,56", "7"]))
    (3, 0, 0)
    >>> column_evidence(pd.Series(["1,500", "2,300"]))
    (0, 0, 2)
    """
    present = values.dropna()
    if len(present) > _SAMPLE:  # sample first: this runs on every text column of a file
        present = present.iloc[np.linspace(0, len(present) - 1, _SAMPLE).astype(int)]
    text = present.astype("str").str.strip()
    text = text[text.str.len() > 0]
    if text.empty or text.str.fullmatch(_SHAPE).mean() < 0.8:
        return 0, 0, 0
    # The number inside: decorations at both ends dropped (RE2-friendly, unlike extract).
    token = text.str.replace(r"^[^0-9]+|[^0-9]+$", "", regex=True)
    marked = token[token.str.contains(r"[.,]")]
    if marked.empty:
        return 0, 0, 0
    comma = marked.str.fullmatch(_COMMA).fillna(False)
    dot = marked.str.fullmatch(_DOT).fillna(False)
    unsure = marked.str.fullmatch(_AMBIGUOUS).fillna(False) & ~comma & ~dot
    if (comma | dot | unsure).mean() < _CLUE_SHARE:
        return 0, 0, 0
    return int(comma.sum()), int(dot.sum()), int(unsure.sum())


def _has_comma(values: pd.Series) -> bool:
    sample = values.dropna()
    if len(sample) > _SAMPLE:
        sample = sample.iloc[np.linspace(0, len(sample) - 1, _SAMPLE).astype(int)]
    return bool(sample.astype("str").str.contains(",", regex=False).any())


def infer_decimal(
    frame: pd.DataFrame, *, delimiter: str | None = None, given: str | None = None
) -> DecimalGuess:
    """Decide the decimal mark of every text column of ``frame``, and of the file.

    A column with clues for one mark only takes it (with both, the mark of at
    least 90% of its clues, else the point). Columns without clues take the
    file's mark: the one the voting columns agree on, else the comma when
    ``delimiter`` is ``";"`` and some value is ambiguous, else the point.
    ``given`` (``"."`` or ``","``) overrides everything.

    >>> df = pd.DataFrame({"kg": ["1,500", "2,300"], "eur": ["12,50", "-300,00"]})
    >>> g = infer_decimal(df, delimiter=";")
    >>> g.mark, g.columns, g.from_file
    (',', {'kg': ',', 'eur': ','}, ['kg'])
    """
    guess = DecimalGuess()
    unsure: list[str] = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            continue
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue
        comma, dot, ambiguous = column_evidence(column)
        if comma or dot:
            mark = "," if comma > dot else "."
            if min(comma, dot) > (1 - _CLUE_SHARE) * (comma + dot):
                mark = "."  # a real mix: keep the point and let the bad values show
            guess.voted[str(name)] = mark
        elif ambiguous:
            unsure.append(str(name))
    if given is not None:
        guess.mark, guess.how = given, "given"
        seen = {*guess.voted, *unsure}
        guess.columns = {str(n): given for n in frame.columns if str(n) in seen}
        guess.voted = {}
        return guess
    votes = set(guess.voted.values())
    if len(votes) == 1:
        guess.mark, guess.how = votes.pop(), "values"
    elif len(votes) == 2:
        marks = list(guess.voted.values())
        guess.mark, guess.how = max(MARKS, key=marks.count), "values"
    elif unsure and delimiter == ";":
        guess.mark, guess.how = ",", "semicolon"
    elif delimiter == "," and not any(_has_comma(frame[name]) for name in unsure):
        # Unquoted 23.110 in a comma-separated file: the file's own convention is the point.
        guess.how = "comma-separated"
    guess.columns = {
        str(name): guess.voted.get(str(name), guess.mark)
        for name in frame.columns
        if str(name) in guess.voted or str(name) in unsure
    }
    guess.from_file = unsure
    return guess


def _listed(names: list[str], show: int = 5) -> str:
    more = f" and {len(names) - show} more" if len(names) > show else ""
    return ", ".join(f"'{n}'" for n in names[:show]) + more


def decimal_note(guess: DecimalGuess, where: str = "the data") -> dict | None:
    """The reader's note on the decimal mark (None when there is nothing to say: the
    point, settled by the values, or a mark the caller gave)."""
    if guess.how == "given":
        return None
    other = [n for n, mark in guess.voted.items() if mark != guess.mark]
    unsure = guess.from_file
    if guess.mark == ",":
        if guess.how == "values":
            judged = [n for n, mark in guess.voted.items() if mark == ","]
            text = (
                f"{where}: numbers are written with a decimal comma (12,50 = 12.5, "
                f"1.234,56 = 1234.56), as column(s) {_listed(judged)} show"
            )
        else:
            text = (
                f"{where}: no value settles the decimal mark, and the file is separated "
                "by semicolons, so the comma was taken as the decimal mark"
            )
        if unsure:
            text += (
                f"; values such as 1,500 in column(s) {_listed(unsure)} were read the "
                "same way (1,500 = 1.5)"
            )
        fix = "if the comma separates thousands in this file, pass --decimal . (decimal='.')."
    elif guess.how == "default" and unsure:
        text = (
            f"{where}: no value settles the decimal mark, so the point was assumed: "
            f"values such as 1,500 or 2.300 in column(s) {_listed(unsure)} were read as "
            "1500 and 2.3"
        )
        fix = "if the comma is the decimal mark, pass --decimal , (decimal=',')."
    elif other:
        text = f"{where}: numbers are written with a decimal point"
        fix = "check those columns; pass --decimal to read the whole file one way."
    else:
        return None
    if other:
        text += f"; column(s) {_listed(other)} use the other mark and were read with it"
    return {"kind": "decimal_mark", "message": f"{text}. Fix: {fix}"}
