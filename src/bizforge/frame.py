"""Dataset = a pandas DataFrame plus its Schema (the role of every column).

The schema is plain data: it round-trips through JSON (``to_dict``/``from_dict``)
so it can be saved with an artifact and replayed by the server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import pandas as pd

__all__ = ["ColumnInfo", "Dataset", "Role", "Schema"]


class Role(str, Enum):
    """What a column is for. Values are stable strings used in JSON."""

    ID = "id"
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"
    CONSTANT = "constant"
    EMPTY = "empty"

    def __str__(self) -> str:  # so f-strings print "numeric", not "Role.NUMERIC"
        return self.value


@dataclass
class ColumnInfo:
    """What was inferred about one column.

    ``numeric_text`` is set when numbers are stored as text (``"1,234"``,
    ``"¥12.5"``, ``"12%"``, full-width digits): it holds the counts of values
    parsed, blank and unparseable, and the formats seen. ``decimal`` is ``","``
    for numbers written with a decimal comma (``"12,50"``), else None.
    """

    name: str
    role: Role
    dtype: str
    missing: int = 0
    unique: int = 0
    numeric_text: dict[str, Any] | None = None
    language: str | None = None
    note: str | None = None
    decimal: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["role"] = self.role.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnInfo:
        d = dict(d)
        d["role"] = Role(d["role"])
        return cls(**d)


@dataclass
class Schema:
    """Ordered column roles plus target suggestions.

    >>> s = Schema([ColumnInfo("age", Role.NUMERIC, "int64")])
    >>> s["age"].role
    <Role.NUMERIC: 'numeric'>
    """

    columns: list[ColumnInfo]
    target_suggestions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_name = {c.name: c for c in self.columns}

    def __getitem__(self, name: str) -> ColumnInfo:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def with_role(self, *roles: Role) -> list[str]:
        return [c.name for c in self.columns if c.role in roles]

    def roles(self) -> dict[str, str]:
        return {c.name: c.role.value for c in self.columns}

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": [c.to_dict() for c in self.columns],
            "target_suggestions": list(self.target_suggestions),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schema:
        return cls(
            [ColumnInfo.from_dict(c) for c in d["columns"]],
            list(d.get("target_suggestions", [])),
        )


@dataclass
class Dataset:
    """A table and what is known about it.

    ``meta`` records how it was read: ``source``, ``format``, ``encoding``,
    ``delimiter``, ``sheet``, ``rows_total`` (all rows in the source, even when
    ``frame`` holds only a sample), ``sampled`` and reader ``warnings`` (e.g. a
    merged Excel header). ``stats`` holds streamed whole-file counts for large
    files (per-column missing counts, duplicate-row estimate).
    """

    frame: pd.DataFrame
    schema: Schema
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str | None:
        return self.meta.get("source")

    @property
    def rows(self) -> int:
        return int(self.meta.get("rows_total", len(self.frame)))

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"Dataset({self.source or '<frame>'}: {self.rows} rows x {len(self.schema)} columns)"
