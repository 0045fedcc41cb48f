"""The cleaning recipe: learned on training rows, replayed identically everywhere.

A :class:`Recipe` turns a raw table into the **model frame** that every model
backend receives. It is fitted on the training rows only, saved as JSON (no
pickle) and replayed exactly in batch prediction and in the server.

>>> recipe = Recipe().fit(train, schema, target="Churn")   # doctest: +SKIP
>>> X = recipe.transform(new_rows)                          # doctest: +SKIP
>>> recipe.save("recipe.json"); Recipe.load("recipe.json")  # doctest: +SKIP

The model frame (``recipe.output_columns`` is its exact column order; the
input column order does not matter and the index of the input is kept):

=============  ============================================================
schema role    model frame
=============  ============================================================
numeric        float64, NaN for missing. Numbers stored as text (``"1,234"``,
               ``"¥12.5"``, ``"12%"`` -> 12.0, full-width digits) are parsed;
               blanks are missing.
categorical    pandas Categorical whose categories are fixed at fit: the kept
               training values (most frequent first) then ``"__other__"``.
               Rare values (fewer than ``rare_min_count`` rows or a share below
               ``rare_min_share``; beyond the ``max_categories`` most frequent)
               and values never seen in training -> ``"__other__"``.
boolean        float64 1.0 / 0.0 (``describe()`` says which value is 1: a
               yes-word such as Yes/True/1/是, else the later in sorted order;
               matched ignoring case); missing and any third value -> NaN.
               A boolean column with more than two training values is
               treated as categorical.
datetime       four float64 columns ``<col>__year``, ``<col>__month``,
               ``<col>__dayofweek`` (Monday = 0) and ``<col>__days`` (days since
               1970-01-01); missing or unreadable dates -> NaN.
text           str; missing -> ``""``; personal data inside is masked
               (``pii="mask"``, the default; ``pii="keep"`` masks nothing
               and drops no column for holding personal data).
=============  ============================================================

Values are compared after stripping surrounding spaces; empty and
whitespace-only cells are missing. Missing values are **never imputed**:
NaN stays NaN and each backend decides. The training statistics a backend may
impute with are in ``recipe.fill`` (median, most frequent category, ...).

Dropped columns, with their reason in ``recipe.dropped``: ``user`` or
``leakage`` (or any reason given in ``drop=``), ``pii`` (the values *are*
personal data), ``id``, ``constant`` and ``empty`` (by schema role, and
judged again on the training rows: a column with one value there is
``constant``). The first reason that applies, in that order. The target is
never a feature.

At transform time:

- extra columns are ignored, and so are the target and dropped columns;
- an absent **required** column (a feature with a value in every training
  row) -> :class:`~bizforge.errors.DataError` naming every absent column;
- an absent **optional** column (a feature with missing values in training)
  -> treated as all missing, unless every input column is absent (then the
  data is not what the model reads: ``DataError``, naming the columns);
- a numeric cell that cannot be read as a number -> ``DataError`` naming the
  column and the 1-based data-row numbers (never the value) when
  ``on_bad_number="error"``; NaN when ``on_bad_number="missing"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizforge.clean.pii import scan_column
from bizforge.clean.recipe_steps import (
    STEPS,
    BooleanStep,
    CategoricalStep,
    DatetimeStep,
    NumericStep,
    Step,
    TextStep,
    value_keys,
)
from bizforge.errors import DataError, ModelError, NotFittedError, UsageError
from bizforge.frame import Dataset, Role, Schema

_SMALL_ROWS = 64  # rows below which transform goes value by value (see Step.transform_values)

__all__ = ["FORMAT", "FORMAT_VERSION", "Recipe"]

FORMAT = "bizforge.recipe"
FORMAT_VERSION = 1

_PII_MODES = ("mask", "keep")
_BAD_NUMBER_MODES = ("error", "missing")
_ROLE_DROPS = {Role.ID: "id", Role.CONSTANT: "constant", Role.EMPTY: "empty"}
_REASON_WORDS = {
    "id": "an identifier, unique per row: no pattern to learn",
    "constant": "the same value in every training row",
    "empty": "no values in the training rows",
    "pii": "personal data",
    "leakage": "gives the target away",
    "user": "dropped on request",
}


class Recipe:
    """Learn the cleaning of a table on training rows; replay it on any rows.

    Parameters are stored only; ``fit`` does the work.

    >>> r = Recipe(rare_min_count=1).fit(frame, schema, target="y")  # doctest: +SKIP
    >>> r.describe()[0]                                               # doctest: +SKIP
    'TotalCharges: numbers stored as text -> number (11 blanks -> missing)'
    """

    def __init__(
        self,
        rare_min_count: int = 10,
        rare_min_share: float = 0.005,
        max_categories: int = 200,
        pii: str = "mask",
        on_bad_number: str = "error",
    ):
        self.rare_min_count = rare_min_count
        self.rare_min_share = rare_min_share
        self.max_categories = max_categories
        self.pii = pii
        self.on_bad_number = on_bad_number

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        frame: pd.DataFrame | Dataset,
        schema: Schema | None = None,
        target: str | None = None,
        drop: Mapping[str, str] | Iterable[str] | None = None,
        keep: Iterable[str] = (),
    ) -> Recipe:
        """Learn every step from the training rows ``frame`` and return ``self``.

        ``drop`` maps columns to the reason they must not be used (``{"Fail":
        "leakage"}``, e.g. ``Profile.drop_suggestions()``); a plain list means
        reason ``"user"``. ``keep`` names columns the user wants used although
        their role (identifier) or values (personal data) would drop them; a
        column with one value or none in the training rows is still dropped.
        """
        self._check_params()
        if isinstance(frame, Dataset):
            schema = schema if schema is not None else frame.schema
            frame = frame.frame
        if schema is None:
            raise UsageError(
                "Recipe.fit needs the schema of the table.",
                fix="pass the Dataset, or infer_schema(frame) as the second argument.",
            )
        if not isinstance(frame, pd.DataFrame) or len(frame) == 0:
            raise DataError(
                "Recipe.fit needs training rows; it was given none.",
                fix="pass the training part of the table (a non-empty DataFrame).",
            )
        _check_unique_columns(frame)
        drop = _drop_reasons(drop, frame)
        unknown = [c for c in frame.columns if c not in schema]
        if unknown:
            raise DataError(
                f"Column(s) {_names(unknown)} are not in the schema.",
                column=str(unknown[0]),
                fix="infer the schema from this same table (infer_schema(frame)).",
            )
        if target is not None and target not in frame.columns:
            raise DataError(
                f"The target column '{target}' is not in the training rows.",
                column=target,
                fix="check the spelling of the target or pick one of the table's columns.",
            )
        steps: list[Step] = []
        dropped: dict[str, str] = {}
        for name in frame.columns:
            if name == target:
                continue
            role = schema[name].role
            if name in keep:
                # An identifier kept on request is used by value: a number, or a category.
                if role is Role.ID:
                    numeric = pd.api.types.is_numeric_dtype(frame[name].dtype)
                    role = Role.NUMERIC if numeric else Role.CATEGORICAL
                reason = drop.get(name)
            else:
                reason = (drop.get(name) or self._pii_reason(frame[name])
                          or _ROLE_DROPS.get(role))
            step = reason or self._fit_step(frame[name], role)
            if isinstance(step, str):
                dropped[name] = step
            else:
                steps.append(step)
        _check_unique_outputs(steps)
        # Assigned last, so a failed fit never leaves a half-fitted recipe behind.
        self.target_, self.steps_, self.dropped_ = target, steps, dropped
        return self

    def _check_params(self) -> None:
        if self.pii not in _PII_MODES:
            raise UsageError(f"pii={self.pii!r} is not one of {_PII_MODES}.", fix="use 'mask'.")
        if self.on_bad_number not in _BAD_NUMBER_MODES:
            raise UsageError(
                f"on_bad_number={self.on_bad_number!r} is not one of {_BAD_NUMBER_MODES}.",
                fix="use 'error' or 'missing'.",
            )

    def _pii_reason(self, series: pd.Series) -> str | None:
        if self.pii == "keep":
            return None
        found = scan_column(series)
        return "pii" if found is not None and found.whole else None

    def _fit_step(self, series: pd.Series, role: Role) -> Step | str:
        """The fitted step, or the drop reason judged on these training rows."""
        if pd.api.types.is_numeric_dtype(series.dtype):
            distinct = series.nunique(dropna=True)
        else:
            distinct = value_keys(series).nunique(dropna=True)
        if distinct == 0:
            return "empty"
        if distinct == 1:
            return "constant"
        if role is Role.NUMERIC:
            return NumericStep.fit_step(series, on_bad_number=self.on_bad_number)
        if role is Role.BOOLEAN:
            step = BooleanStep.fit_step(series)
            if step is not None:
                return step
        if role is Role.DATETIME:
            return DatetimeStep.fit_step(series)
        if role is Role.TEXT:
            return TextStep.fit_step(series, mask_pii=self.pii == "mask")
        # categorical, and a "boolean" column whose training rows hold more than two values
        return CategoricalStep.fit_step(
            series,
            min_count=self.rare_min_count,
            min_share=self.rare_min_share,
            max_categories=self.max_categories,
        )

    # ------------------------------------------------------------ transform
    def transform(self, frame: pd.DataFrame | Dataset) -> pd.DataFrame:
        """The model frame for ``frame`` (see the module docstring for every rule).

        >>> X = recipe.transform(pd.DataFrame({"tenure": [3], "Contract": ["new plan"]}))  # doctest: +SKIP
        >>> X["Contract"].iloc[0]                                                          # doctest: +SKIP
        '__other__'
        """
        self._check_fitted()
        if isinstance(frame, Dataset):
            frame = frame.frame
        if not isinstance(frame, pd.DataFrame):
            raise UsageError(
                f"Recipe.transform needs a pandas DataFrame, not {type(frame).__name__}.",
                fix="wrap the rows in pandas.DataFrame(...).",
            )
        _check_unique_columns(frame)
        inputs = [step.column for step in self.steps_]
        if inputs and not any(c in frame.columns for c in inputs):
            # All missing, every row would get the same answer: the wrong file, or renamed columns.
            raise DataError(
                f"The data has none of the model's input columns ({_names(inputs)}); its "
                f"columns are {_names([str(c) for c in frame.columns][:10])}.",
                column=inputs[0],
                fix="pass the file with the columns the model was trained on, or rename the "
                "columns to these names.",
            )
        absent = [c for c in self.required_columns if c not in frame.columns]
        if absent:
            raise DataError(
                f"The data has no column(s) {_names(absent)}, which the model needs "
                "(they had a value in every training row).",
                column=absent[0],
                fix="add the column(s) with these exact names; other columns may be in any order.",
            )
        out: dict[str, Any] = {}
        small = len(frame) <= _SMALL_ROWS
        if small:  # a server request: plain Python per value, one DataFrame at the end
            # One conversion of the whole frame: pandas charges ~60 µs per column access.
            block = frame.to_numpy(dtype=object)
            where = {name: j for j, name in enumerate(frame.columns)}
        for step in self.steps_:
            if small:
                j = where.get(step.column)
                values = block[:, j].tolist() if j is not None else [None] * len(frame)
                out.update(step.transform_values(values, frame.index,
                                                 on_bad_number=self.on_bad_number))
                continue
            if step.column in frame.columns:
                series = frame[step.column]
            else:  # optional column: all missing
                series = pd.Series(np.nan, index=frame.index, dtype="float64", name=step.column)
            out.update(step.transform(series, on_bad_number=self.on_bad_number))
        # Steps yield their outputs in output_columns order already.
        return pd.DataFrame(out, index=frame.index)

    def fit_transform(self, frame, schema=None, target=None, drop=None) -> pd.DataFrame:
        """``fit`` then ``transform`` on the same training rows."""
        return self.fit(frame, schema, target=target, drop=drop).transform(frame)

    # ------------------------------------------------------------ what it is
    @property
    def output_columns(self) -> list[str]:
        """Column names of the model frame, in their fixed order."""
        self._check_fitted()
        return [name for step in self.steps_ for name in step.outputs]

    @property
    def features(self) -> list[dict[str, str]]:
        """``[{"name", "kind", "source"}]`` for each model-frame column.

        ``kind`` is ``numeric`` (numbers, 0/1 booleans, date parts),
        ``categorical`` or ``text``; ``source`` is the input column.
        """
        self._check_fitted()
        return [
            {"name": name, "kind": step.feature_kind, "source": step.column}
            for step in self.steps_
            for name in step.outputs
        ]

    @property
    def dropped(self) -> dict[str, str]:
        """``{column: reason}`` for every input column that is not used."""
        self._check_fitted()
        return dict(self.dropped_)

    @property
    def input_columns(self) -> list[str]:
        """The input columns the model frame is built from (required and optional)."""
        self._check_fitted()
        return [step.column for step in self.steps_]

    @property
    def required_columns(self) -> list[str]:
        """Input columns that must be present: they had a value in every training row."""
        self._check_fitted()
        return [step.column for step in self.steps_ if step.missing == 0]

    @property
    def optional_columns(self) -> list[str]:
        """Input columns that may be absent (treated as all missing)."""
        self._check_fitted()
        return [step.column for step in self.steps_ if step.missing > 0]

    @property
    def target(self) -> str | None:
        self._check_fitted()
        return self.target_

    @property
    def fill(self) -> dict[str, Any]:
        """Training statistics per model-frame column, for backends that impute.

        Median for numbers and date parts, the most frequent kept category,
        the more common of 0/1, ``""`` for text. ``transform`` never uses them.
        """
        self._check_fitted()
        values: dict[str, Any] = {}
        for step in self.steps_:
            values.update(step.fill())
        return values

    def describe(self) -> list[str]:
        """One plain sentence per column, for reports.

        >>> recipe.describe()  # doctest: +SKIP
        ['customerID: dropped (id: an identifier, unique per row: no pattern to learn)',
         'TotalCharges: numbers stored as text -> number (11 blanks -> missing)', ...]
        """
        self._check_fitted()
        lines = [step.describe() for step in self.steps_]
        for name, reason in self.dropped_.items():
            words = _REASON_WORDS.get(reason)
            lines.append(f"{name}: dropped ({reason}" + (f": {words})" if words else ")"))
        return lines

    def _check_fitted(self) -> None:
        if not hasattr(self, "steps_"):
            raise NotFittedError(
                "This Recipe is not fitted yet.",
                fix="call recipe.fit(train_frame, schema) first, or Recipe.load(path).",
            )

    def __repr__(self) -> str:
        if not hasattr(self, "steps_"):
            return "Recipe(not fitted)"
        return f"Recipe({len(self.steps_)} columns used, {len(self.dropped_)} dropped)"

    # ------------------------------------------------------------- JSON
    def get_params(self) -> dict[str, Any]:
        return {
            "rare_min_count": self.rare_min_count,
            "rare_min_share": self.rare_min_share,
            "max_categories": self.max_categories,
            "pii": self.pii,
            "on_bad_number": self.on_bad_number,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: format, version, parameters and fitted steps."""
        self._check_fitted()
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "params": self.get_params(),
            "target": self.target_,
            "steps": [step.to_dict() for step in self.steps_],
            "dropped": dict(self.dropped_),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipe:
        """Rebuild a fitted recipe from :meth:`to_dict` output."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ModelError(
                "This is not a bizforge recipe.",
                fix="load the recipe.json file saved by Recipe.save().",
            )
        version = data.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ModelError(
                f"Recipe format version {version} is newer than this bizforge reads "
                f"(up to {FORMAT_VERSION}).",
                fix="upgrade bizforge to the version that saved the model.",
            )
        recipe = cls(**data["params"])
        recipe.target_ = data.get("target")
        recipe.steps_ = [STEPS[d["kind"]].from_dict(d) for d in data["steps"]]
        recipe.dropped_ = dict(data.get("dropped", {}))
        return recipe

    def save(self, path: str | Path) -> Path:
        """Write the recipe as JSON (UTF-8, strict: no NaN) and return the path."""
        path = Path(path)
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Recipe:
        """Read a recipe written by :meth:`save`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"No recipe file at {path}.", fix="check the path.") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(
                f"The recipe file {path} is not valid JSON ({exc.__class__.__name__}).",
                fix="restore the file from the model artifact.",
            ) from None
        return cls.from_dict(data)


def _names(columns: Iterable[Any]) -> str:
    return ", ".join(f"'{c}'" for c in columns)


def _check_unique_columns(frame: pd.DataFrame) -> None:
    dup = frame.columns[frame.columns.duplicated()].unique().tolist()
    if dup:
        raise DataError(
            f"Column name(s) {_names(dup)} appear more than once.",
            column=str(dup[0]),
            fix="rename the duplicated columns so every column name is unique.",
        )


def _drop_reasons(drop, frame: pd.DataFrame) -> dict[str, str]:
    if drop is None:
        return {}
    if isinstance(drop, str):
        drop = [drop]
    reasons = dict(drop) if isinstance(drop, Mapping) else {c: "user" for c in drop}
    unknown = [c for c in reasons if c not in frame.columns]
    if unknown:
        raise DataError(
            f"Column(s) {_names(unknown)} to drop are not in the training rows.",
            column=str(unknown[0]),
            fix="check the spelling against the table's column names.",
        )
    return {c: str(r or "user") for c, r in reasons.items()}


def _check_unique_outputs(steps: list[Step]) -> None:
    names = [name for step in steps for name in step.outputs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DataError(
            f"Model-frame column name(s) {_names(dup)} would be produced twice "
            "(a date column's derived parts clash with an existing column).",
            column=dup[0],
            fix="rename the clashing column.",
        )
