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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

__all__ = [
    "Deleted",
    "DriftReport",
    "ErrorBody",
    "Health",
    "ModelCard",
    "ModelList",
    "ModelSummary",
    "PredictRequest",
    "PredictResponse",
    "Prediction",
    "PromoteRequest",
    "VersionInfo",
    "as_number",
    "component_name",
    "error_responses",
    "name_param",
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


# What each error status means on this API (the OpenAPI ``responses`` of every route).
_ERRORS = {
    401: "no API key, or one that is unknown or revoked",
    403: "the key's role may not use this route",
    404: "no such model, version or alias",
    413: "too many rows or too large a body",
    415: "an upload that is not CSV or Parquet",
    422: "a parameter or field is missing, malformed or of the wrong type",
    503: "the model cannot be loaded, or the registry database is unreachable "
         "(retry after the Retry-After header's seconds)",
}


def name_param(*, refs: bool = True) -> Any:
    """The ``{name}`` path parameter, documented with the registry's naming rule.

    The pattern is for the document only (client generators, fuzzers): the route
    checks the name itself with ``parse_ref`` and answers a 422 naming the rule.
    """
    from fastapi import Path

    from bizforge.registry.refs import name_pattern

    what = "NAME, NAME:VERSION or NAME@ALIAS" if refs else "a model name"
    return Path(description=what, json_schema_extra={"pattern": name_pattern(refs=refs)})


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``codes``, each an :class:`ErrorBody`.

    >>> sorted(error_responses(401, 404))
    [401, 404]
    """
    return {code: {"model": ErrorBody, "description": _ERRORS[code]} for code in codes}


class Health(BaseModel):
    """``ok`` while the registry database answers, ``degraded`` (with a 503) when not."""

    status: Literal["ok", "degraded"]
    bizforge: str
    loaded: int = Field(description="model versions loaded in memory")
    registry: str | None = Field(None, description="the database error, when degraded")


class ModelSummary(BaseModel):
    """One published name: its newest and default version, aliases, headline metric."""

    name: str
    latest: int
    default: int = Field(description="the version a bare name means (alias production, "
                                     "else the latest)")
    versions: int
    aliases: dict[str, int]
    task: str | None = None
    metric: str | None = None
    score: float | None = None
    created: str
    broken: list[int] = Field(description="versions whose files are missing")


class ModelList(BaseModel):
    models: list[ModelSummary]


class ModelCard(BaseModel):
    """A version's card: identity here; task, metrics, data profile summary, config,
    data fingerprint and library versions as the training run wrote them."""

    model_config = ConfigDict(extra="allow")

    name: str
    version: int
    published: str
    aliases: list[str]
    broken: str | None = None


class VersionInfo(BaseModel):
    """A version after a promotion."""

    name: str
    version: int
    aliases: list[str]
    created: str
    task: str | None = None
    metrics: dict[str, Any]
    broken: str | None = None


class Deleted(BaseModel):
    deleted: str = Field(description="the reference removed, e.g. churn:3")


class DriftChange(BaseModel):
    bucket: str
    training: float = Field(description="share of training rows in this bucket")
    served: float = Field(description="share of served rows in this bucket")


class DriftFeature(BaseModel):
    """One input feature (or ``(predictions)``) compared with training."""

    feature: str
    kind: str
    psi: float = Field(description="population stability index: < 0.1 stable, 0.1-0.2 "
                                   "watch, >= 0.2 drifted")
    p_value: float | None = Field(description="chi-square test of the served counts")
    status: Literal["stable", "watch", "drifted", "too few rows"]
    largest_change: DriftChange


class DriftReport(BaseModel):
    """What a version served in a period against its training data, most drifted first."""

    model: str
    version: int
    since: str
    until: str
    rows: int
    enough_rows: bool
    features: list[DriftFeature]
    prediction: DriftFeature | None
    drifted: list[str]
    advice: list[str]


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
# A number, or text that is one ("42", "-1,234.5", "1.5e3", "12%"; blank = missing). The
# server also reads currency signs and 万/亿 (as training did); the document promises
# the plain forms, so what it calls valid is always accepted.
_NUMBER_TEXT = (r"^ *(?:(?:[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|[-+]?\.[0-9]+)"
                r"(?:[eE][-+]?[0-9]{1,2})?%?)? *$")
_NUMBER = Annotated[float | str | None, WithJsonSchema({"anyOf": [
    {"type": "number"}, {"type": "string", "pattern": _NUMBER_TEXT}, {"type": "null"}]})]
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
