"""Request and response models, including one request model per served model version.

:func:`row_model` turns a loaded predictor's stored input schema into a pydantic
model: one field per input column, typed by what the cleaning recipe does with
it (number, category, yes/no flag, date, free text), required when the column
had a value in every training row. The server validates each request with it
(so ``"42"`` for a number is read as 42.0 and ``"abc"`` is a 422 naming the
field) and the OpenAPI document shows it, so every published model documents
its own fields and types.

>>> Row = row_model("churn", 1, predictor)                 # doctest: +SKIP
>>> Row.model_validate({"tenure": "42", "Contract": "月付"}).tenure   # doctest: +SKIP
42.0
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

__all__ = [
    "ErrorBody",
    "PredictRequest",
    "PredictResponse",
    "Prediction",
    "PromoteRequest",
    "as_number",
    "component_name",
    "request_model",
    "row_model",
]

Scalar = str | int | float | bool | None
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class ErrorBody(BaseModel):
    """Every error answer: the error class, where it is (``["body", "rows", 0, "tenure"]``)
    and a message that says what to do. Never echoes a submitted value."""

    type: str
    loc: list[str | int] = []
    msg: str


class PredictRequest(BaseModel):
    """Rows as the business has them: ``{"rows": [{"tenure": 3, "Contract": "月付"}]}``."""

    rows: list[dict[str, Scalar]] = Field(min_length=1)


class Prediction(BaseModel):
    """One row's answer: the label and class probabilities, or the value for regression."""

    label: str | None = None
    probabilities: dict[str, float] | None = None
    value: float | None = None
    reasons: list[dict[str, Any]] | None = None


class PredictResponse(BaseModel):
    model: str
    version: int
    threshold: float | None = None
    predictions: list[Prediction]


class PromoteRequest(BaseModel):
    version: int = Field(ge=1)
    alias: str = "production"


# -- per-model request models ------------------------------------------------------------
# Validation stays inside pydantic-core (no Python validator per field: at one row per
# request that would cost as much as the HTTP layer). Numbers written as text are read by
# :func:`as_number` afterwards, only for the values that are text.
_ANY_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}
_NUMBER = float | str | None
_TEXT = Annotated[str | int | float | bool | None, WithJsonSchema(_ANY_TEXT)]
_FLAG = bool | str | int | float | None
_FIELDS = {
    "numeric": (_NUMBER, ("number; text such as \"42\", \"1,234\" or \"¥12.5\" is read "
                          "as a number, \"\" as missing")),
    "categorical": (_TEXT, ("category (numbers are read as text); values not seen in "
                            "training count as 'other'")),
    "boolean": (_FLAG, "yes/no flag, written as in the training data or true/false"),
    "datetime": (_TEXT, "date or date-time, written as in the training data"),
    "text": (_TEXT, "free text (personal data inside is masked)"),
}


def as_number(value: Any, decimal: str = ".") -> float | None:
    """A number from JSON: numbers, text numbers ("42", "1,234", "¥12.5", "12%"), blanks.

    ``decimal`` is the mark the model was trained with: with ``","``, ``"1.500"``
    is 1500 and ``"12,50"`` is 12.5, as in training.

    >>> as_number("42"), as_number(" "), as_number(7), as_number("1.500", ",")
    (42.0, None, 7.0, 1500.0)
    """
    if value is None or isinstance(value, (int, float)):
        return None if value is None else float(value)
    text = str(value).strip()
    if not text:
        return None
    if decimal == "." and _PLAIN_NUMBER.fullmatch(text):
        return float(text)
    # Rare path (formatted numbers): the same parser the recipe uses at training time.
    import pandas as pd

    from bizforge.ingest.numbers import parse_numbers

    parsed = parse_numbers(pd.Series([text], dtype=object), decimal=decimal)
    if parsed.bad:
        raise ValueError("is not a number")
    number = parsed.values.iloc[0]
    return None if math.isnan(number) else float(number)


def component_name(name: str, version: int, suffix: str) -> str:
    """An OpenAPI component name for any model name (Chinese names included).

    >>> component_name("churn", 2, "Row")
    'churn_v2_Row'
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    if safe != name:  # keep distinct names distinct after the replacement
        safe += "_" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{safe}_v{version}_{suffix}"


def row_model(name: str, version: int, predictor: Any) -> type[BaseModel]:
    """A pydantic model of one input row of ``predictor`` (see the module docstring)."""
    schema = {c.get("name"): c for c in (predictor.info or {}).get("input_schema", [])}
    required = set(predictor.recipe.required_columns)
    fields: dict[str, Any] = {}
    for i, step in enumerate(predictor.recipe.steps_):
        annotation, what = _FIELDS.get(step.kind, (_TEXT, step.kind))
        role = (schema.get(step.column) or {}).get("role", step.kind)
        description = f"{what} (column role: {role})"
        if step.column in required:
            fields[f"f{i}"] = (annotation, Field(alias=step.column, description=description))
        else:
            description += "; may be left out or null"
            fields[f"f{i}"] = (annotation, Field(None, alias=step.column,
                                                 description=description))
    config = ConfigDict(extra="ignore", populate_by_name=False,
                        title=f"{name} v{version}: one input row")
    model = create_model(component_name(name, version, "Row"), __config__=config, **fields)
    model.__doc__ = (f"One input row of model '{name}' version {version}. Other fields "
                     "(ids, the target) are ignored.")
    return model


def request_model(name: str, version: int, row: type[BaseModel],
                  max_rows: int) -> type[BaseModel]:
    """``{"rows": [Row, ...]}`` with 1 to ``max_rows`` rows, for ``row_model``'s Row."""
    config = ConfigDict(title=f"{name} v{version}: prediction request")
    return create_model(
        component_name(name, version, "Request"),
        __config__=config,
        rows=(list[row], Field(min_length=1, max_length=max_rows,
                               description=f"1 to {max_rows} rows")),
    )
