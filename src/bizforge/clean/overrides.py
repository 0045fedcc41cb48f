"""The user's word over the findings: which columns training drops, and which it keeps.

The profile suggests drops (personal data, leakage, identifiers, constant and
empty columns: :meth:`bizforge.clean.profile.Profile.drop_suggestions`). Every
one can be overridden: ``keep`` names columns to use anyway, ``drop`` names
more columns to leave out. :func:`plan_drops` checks the names before any work
starts and returns what to drop (with reasons) and what is kept against advice,
so the report and the model card can list both.

>>> import pandas as pd
>>> from bizforge.clean.profile import profile
>>> frame = pd.DataFrame({"id": range(40), "x": [i % 7 for i in range(40)], "y": [0, 1] * 20})
>>> plan = plan_drops(profile(frame, target="y"), keep=["id"])
>>> plan.drop, plan.kept
({}, {'id': 'id'})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bizforge.clean.profile import column_hint
from bizforge.errors import UsageError
from bizforge.i18n import t

__all__ = ["USER_REASON", "DropPlan", "as_reasons", "column_notes", "plan_drops"]

USER_REASON = "user"


@dataclass
class DropPlan:
    """``drop``: column -> reason, for the cleaning recipe; ``kept``: column -> the reason it
    would have been dropped for, kept because the user asked; ``keep``: every kept name."""

    drop: dict[str, str] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)
    keep: list[str] = field(default_factory=list)


def as_reasons(drop: Mapping[str, str] | Iterable[str] | str | None) -> dict[str, str]:
    """``drop`` as ``{column: reason}``; a plain name or list means reason ``"user"``."""
    if drop is None:
        return {}
    if isinstance(drop, str):
        drop = [drop]
    if isinstance(drop, Mapping):
        return {str(c): str(r or USER_REASON) for c, r in drop.items()}
    return {str(c): USER_REASON for c in drop}


def plan_drops(profile, keep: Iterable[str] | str | None = None,
               drop: Mapping[str, str] | Iterable[str] | str | None = None) -> DropPlan:
    """The profile's drop suggestions, less ``keep``, plus ``drop``.

    Raises UsageError for a name that is not a column (with the closest names),
    for the target, and for a column both kept and dropped.
    """
    keep = [keep] if isinstance(keep, str) else list(keep or [])
    extra = as_reasons(drop)
    names = [c["name"] for c in profile.columns]
    target = profile.target["name"] if profile.target else None
    for option, cols in (("--keep", keep), ("--drop", list(extra))):
        for col in cols:
            _check_name(col, option, names, target)
    both = sorted(set(keep) & set(extra))
    if both:
        raise UsageError(f"column '{both[0]}' is both kept (--keep) and dropped (--drop).",
                         fix=f"name '{both[0]}' in only one of the two options.")
    suggested = profile.drop_suggestions()
    plan = DropPlan(keep=keep)
    plan.kept = {c: suggested[c] for c in keep if c in suggested}
    plan.drop = {c: r for c, r in suggested.items() if c not in keep}
    plan.drop.update(extra)
    return plan


def _check_name(col: str, option: str, names: list[str], target: str | None) -> None:
    if col == target:
        raise UsageError(f"{option} '{col}' names the target column.",
                         fix=f"the target is never a feature; leave '{col}' out of {option}.")
    if col in names:
        return
    raise UsageError(f"{option} '{col}' is not a column of the data.",
                     fix=f"name an existing column; {column_hint(col, names)}")


def column_notes(dropped: Mapping[str, str], kept: Mapping[str, str], lang: str = "en") -> list[str]:
    """One report line per dropped column (reason, and how to keep it) and per column
    kept against advice.

    >>> column_notes({"UDI": "id"}, {"HDF": "leakage"})[1]
    "column 'HDF' kept on request (--keep), although the findings advise dropping it: target leakage."
    """
    lines = [t("columns.dropped", lang, column=c, reason=_reason(r, lang))
             + ("" if r == USER_REASON else t("columns.how_to_keep", lang, column=c))
             for c, r in dropped.items()]
    lines += [t("columns.kept", lang, column=c, reason=_reason(r, lang)) for c, r in kept.items()]
    return lines


def _reason(reason: str, lang: str) -> str:
    return t(f"reason.{reason}", lang, default=reason)
