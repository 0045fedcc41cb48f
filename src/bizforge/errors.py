"""One exception tree for bizforge.

Every error a user can cause is a :class:`BizforgeError`. Each subclass also
inherits the matching built-in (``DataError`` is a ``ValueError``), so callers
that already catch built-ins keep working. The library raises; only the edges
(CLI, REST) translate errors into exit codes or HTTP bodies.

Messages never contain raw cell values that could be personal data: name the
column, the row numbers and the count, not the value.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AuthError",
    "BizforgeError",
    "ClusterError",
    "ConfigError",
    "DataError",
    "ExitCode",
    "IntegrityError",
    "ModelError",
    "ModelNotFound",
    "NotFittedError",
    "UsageError",
]


class ExitCode:
    """Documented CLI exit codes (README, "Exit codes")."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    DATA = 3
    MODEL = 4
    CLUSTER = 5


class BizforgeError(Exception):
    """Base of every error bizforge raises on purpose.

    ``fix`` is a short sentence telling the user what to do; the CLI prints it
    after the message.
    """

    exit_code = ExitCode.UNEXPECTED
    http_status = 500

    def __init__(self, message: str, *, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message} Fix: {self.fix}"
        return self.message

    def __reduce__(self):
        # Keyword-only details (column, rows, fix) survive a trip through pickle, as a
        # cluster's worker sends its errors back to the driver.
        return _rebuild, (type(self), self.message, dict(self.__dict__))

    def to_dict(self) -> dict:
        """JSON body for the REST edge: ``{type, loc, msg}``."""
        return {"type": type(self).__name__, "loc": [], "msg": str(self)}


class UsageError(BizforgeError, ValueError):
    """The command or call was used wrongly (bad option, bad combination)."""

    exit_code = ExitCode.USAGE
    http_status = 422


class ConfigError(UsageError):
    """A setting is invalid (environment variable, config file, option value)."""


class DataError(BizforgeError, ValueError):
    """The data cannot be used as it is: unreadable, empty, missing/invalid column.

    ``path``, ``column`` and ``rows`` locate the problem; they are kept as
    attributes so the REST edge can build ``loc``.
    """

    exit_code = ExitCode.DATA
    http_status = 422

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        path: str | None = None,
        rows: Sequence[int] | None = None,
        fix: str | None = None,
    ):
        super().__init__(message, fix=fix)
        self.column = column
        self.path = path
        self.rows = list(rows) if rows is not None else None

    def to_dict(self) -> dict:
        loc = ["body"]
        if self.column is not None:
            loc.append(self.column)
        return {"type": type(self).__name__, "loc": loc, "msg": str(self)}


class ModelError(BizforgeError, RuntimeError):
    """A model or registry problem: not fitted, not found, failed integrity check."""

    exit_code = ExitCode.MODEL
    http_status = 500


class NotFittedError(ModelError, AttributeError):
    """A model was used before ``fit``."""


class ModelNotFound(ModelError, LookupError):
    """No model (or version, or alias) by that name."""

    http_status = 404


class IntegrityError(ModelError):
    """An artifact file is missing or its sha256 differs from the manifest."""


class ClusterError(BizforgeError, RuntimeError):
    """The compute cluster (Ray) cannot be reached, or lost the workers of a job."""

    exit_code = ExitCode.CLUSTER
    http_status = 503


class AuthError(BizforgeError, PermissionError):
    """Missing or wrong credentials (401) or a role that may not do this (403)."""

    exit_code = ExitCode.USAGE
    http_status = 401

    def __init__(self, message: str, *, status: int = 401, fix: str | None = None):
        super().__init__(message, fix=fix)
        self.http_status = status


def _rebuild(cls: type, message: str, state: dict) -> BizforgeError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


def rows_text(rows: Sequence[int], limit: int = 5) -> str:
    """``'rows 3, 8, 12 and 4 more'`` — 1-based data-row numbers for messages."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = len(rows) - limit
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}" + (f" and {more} more" if more > 0 else "")
