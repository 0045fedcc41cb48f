"""The tabular family's typed options (``bizforge.train`` keywords and ``train`` CLI options)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bizforge.families.base import FamilyOptions

__all__ = ["TabularOptions"]

_NOT_CLI = {"cli": False}  # Python-only keywords: structures, not one value on a command line


class TabularOptions(FamilyOptions):
    """Options of a table's model search.

    A table may hold a free-text column among its features (``text_column`` marks
    one), and rejection (``reject="auto"``) works for any classification, so those
    options are here; the text family adds its own (language, backbone).

    >>> TabularOptions(cost_fp=10, cost_fn=200).cost_fn
    200.0
    """

    metric: str | None = Field(None, description="Validation metric (default: roc_auc, "
                                                 "log_loss or rmse).")
    cost_fp: float | None = Field(None, description="Cost of a false alarm (binary tasks).")
    cost_fn: float | None = Field(None, description="Cost of a missed case (binary tasks).")
    benefit_tp: float = Field(0.0, description="Benefit of a caught case (with the costs).")
    text_column: str | None = Field(None, description="Column of free text to classify "
                                                      "(text tasks).")
    reject: str | None = Field(None, description="'auto': answer 'unknown' below a confidence "
                                                 "calibrated on validation rows.")
    unknown_label: str | None = Field(None, description="The data's own 'none of these' "
                                                        "class, e.g. oos (with --reject auto).")
    reject_drop: float | None = Field(
        None, description="In-scope accuracy (0-1, measured on validation rows) that --reject "
                          "may give up to hand out-of-scope messages to a person; default 0.03. "
                          "Lower: fewer in-scope messages handed over, more out-of-scope ones "
                          "answered (needs --unknown-label).")
    # Seconds per row; the CLI's --infer-limit takes microseconds and converts.
    infer_limit: float | str | None = Field("auto", json_schema_extra=_NOT_CLI)
    candidates: list[Any] | None = Field(None, json_schema_extra=_NOT_CLI)
    # Columns to leave out (a list, or {column: reason}) and columns to use although the
    # findings would drop them; the CLI's repeatable --drop/--keep are shared options.
    drop: dict[str, str] | list[str] | None = Field(None, json_schema_extra=_NOT_CLI)
    keep: list[str] | None = Field(None, json_schema_extra=_NOT_CLI)

    def check(self) -> None:
        from bizforge.families.text.parts import check_reject

        check_reject(self.reject, self.unknown_label, self.reject_drop)
