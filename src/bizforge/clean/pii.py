"""Find and treat personal data (PII) in tables and free text.

Six kinds are recognised (see :mod:`bizforge.clean.pii_rules` for the exact
rules): mainland resident IDs (check digit validated), mainland mobiles,
landlines, bank cards (Luhn validated), e-mail addresses and IPv4 addresses.
They are found both when a whole column *is* the data (a ``身份证号`` column)
and inside free text (a complaint that mentions a phone number). Integer
columns are checked too, as text.

Treatments:

- ``mask`` keeps the shape (``110105********123X``, ``138****5678``).
- ``hash`` replaces each value by a salted HMAC-SHA256 token of its normalised
  form (``cn_mobile_3fa2c9e1b0d47a15``): the same number written
  ``138-0013-8000`` or ``13800138000`` gives the same token under the same salt,
  so joins still work; another salt gives other tokens.
- ``drop`` removes a column whose values are PII; in a free-text column it
  masks the spans instead and the audit says so.

Only valid values are treated: an ID with a wrong check digit is left as it
is (the audit counts such leftovers in whole-PII columns). Nothing here ever
puts a raw value into an error, an audit or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bizforge.clean.pii_context import weigh
from bizforge.clean.pii_rules import KINDS, RULES, RULES_BY_KIND, Rule
from bizforge.errors import ConfigError, DataError, UsageError

if TYPE_CHECKING:
    from bizforge.config import Settings

__all__ = [
    "KINDS",
    "MODES",
    "ColumnPii",
    "PiiMatch",
    "find_pii",
    "get_salt",
    "mask_frame",
    "mask_text",
    "scan_column",
    "scan_frame",
]

MODES = ("mask", "hash", "drop")
_TOKEN_HEX = 16  # 64 bits: 12 hex (48 bits) starts to collide around 10M distinct values
# A column "is" PII when most values holding PII are nothing but that PII and
# such values are a real share of the column (not 3 bare e-mails in a notes column).
_WHOLE_OF_FOUND = 0.8
_WHOLE_OF_FILLED = 0.2


@dataclass(frozen=True)
class PiiMatch:
    """One validated span: ``text[start:end]`` is personal data of ``kind``."""

    kind: str
    start: int
    end: int


@dataclass
class ColumnPii:
    """What a scan found in one column (counts and positions, never values).

    ``kinds`` counts values holding each kind; ``count`` values holding any;
    ``whole`` is True when the values *are* PII rather than text mentioning
    it; ``rows`` are the first 5 0-based positions; ``scanned`` how many
    non-missing values were looked at (a sample for large columns).
    """

    column: str
    kinds: dict[str, int] = field(default_factory=dict)
    count: int = 0
    whole: bool = False
    rows: list[int] = field(default_factory=list)
    scanned: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_pii(text: str, kinds: tuple[str, ...] | list[str] | None = None) -> list[PiiMatch]:
    """Validated PII spans in ``text``, sorted by position, never overlapping.

    >>> find_pii("call 138-0013-8000 now")
    [PiiMatch(kind='cn_mobile', start=5, end=18)]
    """
    found: list[tuple[int, int, int, int, str]] = []
    for rank, rule in enumerate(RULES):
        if kinds is not None and rule.kind not in kinds:
            continue
        for pattern in rule.patterns:
            for m in pattern.finditer(text):
                start, end = m.span()
                if rule.validate(m.group()) and (
                    rule.context is None or rule.context(text, start, end)
                ):
                    found.append((rank, start - end, start, end, rule.kind))
    if len(found) <= 1:
        return [PiiMatch(k, s, e) for _, _, s, e, k in found]
    # Higher-precedence kind first, then the longer span: greedy keeps what fits.
    found.sort()
    kept: list[PiiMatch] = []
    for _, _, start, end, kind in found:
        if all(end <= k.start or start >= k.end for k in kept):
            kept.append(PiiMatch(kind, start, end))
    kept.sort(key=lambda m: m.start)
    return kept


def _treatment(mode: str, salt: str | None) -> Callable[[Rule, str], str]:
    """What replaces one span: its mask, or its salted token (``kind_<16 hex>``)."""
    if mode != "hash":
        return lambda rule, span: rule.mask(span)
    keyed = hmac.new(salt.encode(), digestmod=hashlib.sha256)  # key schedule done once

    def token(rule: Rule, span: str) -> str:
        h = keyed.copy()
        h.update(f"{rule.kind}:{rule.normalise(span)}".encode())
        return f"{rule.kind}_{h.hexdigest()[:_TOKEN_HEX]}"

    return token


def _replace(text: str, matches: list[PiiMatch], treat: Callable[[Rule, str], str]) -> str:
    parts, pos = [], 0
    for m in matches:
        parts.append(text[pos : m.start])
        parts.append(treat(RULES_BY_KIND[m.kind], text[m.start : m.end]))
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts)


def _check_mode(mode: str, allowed: tuple[str, ...]) -> None:
    if mode not in allowed:
        raise UsageError(f"unknown PII mode {mode!r}.", fix=f"use one of: {', '.join(allowed)}.")


def mask_text(text: str, mode: str = "mask", salt: str | None = None) -> str:
    """Mask or hash every PII span inside one string.

    ``salt`` is used by ``hash``; ``None`` takes :func:`get_salt`'s.

    >>> mask_text("电话 13800138000，邮箱 li.lei@example.com")
    '电话 138****8000，邮箱 l***@example.com'
    """
    _check_mode(mode, ("mask", "hash"))
    if not isinstance(text, str):
        return text
    matches = find_pii(text)
    if not matches:
        return text
    if mode == "hash" and salt is None:
        salt = get_salt()
    return _replace(text, matches, _treatment(mode, salt))


# --- columns --------------------------------------------------------------------------


def _as_text(series: pd.Series) -> pd.Series | None:
    """Non-missing values as strings (index kept), or None for dtypes that hold no PII."""
    s = series.dropna()
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        s = s.astype(object)
        dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return None
    if pd.api.types.is_timedelta64_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        return s.astype(str)
    if pd.api.types.is_float_dtype(dtype):
        # A phone number parsed as 13800138000.0: only whole, exactly stored numbers.
        values = s.to_numpy(dtype="float64")
        if len(values) and np.all(values == np.floor(values)) and np.all(np.abs(values) < 2**53):
            return pd.Series(values.astype("int64").astype(str), index=s.index)
        return None
    return s.astype(str)


@dataclass
class _Scan:
    """Per-value scan of one column.

    ``values`` are the non-missing values as text and ``where`` their 0-based
    positions in the column. Values that are nothing but one valid span are
    kept per kind in ``whole`` (indices into ``values``); the others with PII
    are in ``parts`` (index -> matches).
    """

    values: np.ndarray
    where: np.ndarray
    whole: dict[str, np.ndarray] = field(default_factory=dict)
    parts: dict[int, list[PiiMatch]] = field(default_factory=dict)

    def summary(self, column: str) -> ColumnPii | None:
        kinds = {k: len(idx) for k, idx in self.whole.items() if len(idx)}
        full = sum(kinds.values())
        for i, found in self.parts.items():
            for kind in {m.kind for m in found}:
                kinds[kind] = kinds.get(kind, 0) + 1
            text = self.values[i]
            lead = len(text) - len(text.lstrip())
            if len(found) == 1 and (found[0].start, found[0].end) == (lead, len(text.rstrip())):
                full += 1  # " 13800138000 ": surrounding blanks do not make it free text
        hit = np.concatenate([*self.whole.values(), np.fromiter(self.parts, int)]).astype(int)
        if not len(hit):
            return None
        count, filled = len(hit), len(self.values)
        return ColumnPii(
            column=str(column),
            kinds={k: kinds[k] for k in KINDS if k in kinds},
            count=count,
            whole=full >= _WHOLE_OF_FOUND * count and count >= _WHOLE_OF_FILLED * filled,
            rows=[int(r) for r in np.sort(self.where[hit])[:5]],
            scanned=filled,
        )


def _scan(series: pd.Series, positions: np.ndarray | None = None) -> _Scan:
    """Find PII in a column (or at ``positions`` of it).

    One vectorised pre-filter per kind marks the values that may hold it. A
    value that is entirely one span of a kind (and shows no sign of a kind that
    outranks it) is confirmed in bulk; the rest of the hits go through
    :func:`find_pii` one by one. Then the column is weighed as a whole
    (:func:`bizforge.clean.pii_context.weigh`: card columns, version columns).
    """
    if positions is not None:
        series = series.iloc[positions]
    text = _as_text(series.reset_index(drop=True))
    if text is None or text.empty:
        return _Scan(np.array([], dtype=object), np.array([], dtype=int))
    where = text.index.to_numpy()
    if positions is not None:
        where = positions[where]
    text = text.astype("str").reset_index(drop=True)  # pyarrow-backed: regexes run in C++
    values = text.to_numpy(dtype=object)
    out = _Scan(values, where)
    hits = {r.kind: text.str.contains(r.prefilter, regex=True).to_numpy(bool) for r in RULES}
    done = np.zeros(len(values), dtype=bool)
    outranked = np.zeros(len(values), dtype=bool)
    for rule in RULES:
        idx = np.flatnonzero(hits[rule.kind] & ~outranked & ~done)
        if len(idx):
            idx = idx[text.iloc[idx].str.fullmatch(rule.whole).to_numpy(bool)]
        if len(idx):
            if rule.validate_many is not None:
                ok = rule.validate_many(values[idx])
            else:
                ok = np.fromiter((rule.validate(v) for v in values[idx]), bool, len(idx))
            idx = idx[ok]
            out.whole[rule.kind] = idx
            done[idx] = True
        outranked |= hits[rule.kind]
    any_hit = np.logical_or.reduce(list(hits.values())) & ~done
    for i in np.flatnonzero(any_hit):
        found = find_pii(values[i], [k for k, h in hits.items() if h[i]])
        if found:
            out.parts[int(i)] = found
    weigh("" if series.name is None else str(series.name), out.values, out.whole, out.parts)
    return out


def scan_column(series: pd.Series, sample: int | None = 2000) -> ColumnPii | None:
    """Which PII kinds a column holds, from at most ``sample`` values (None: all).

    The sample is spread over the column with a fixed seed, so the result is
    repeatable. Returns None when nothing is found.

    >>> scan_column(pd.Series(["13800138000", "13900139000"], name="phone")).kinds
    {'cn_mobile': 2}
    """
    positions = None
    if sample is not None and len(series) > sample:
        rng = np.random.default_rng(0)
        positions = np.sort(rng.choice(len(series), size=sample, replace=False))
    return _scan(series, positions).summary(series.name if series.name is not None else "")


def scan_frame(frame: pd.DataFrame, sample: int | None = 2000) -> dict[str, ColumnPii]:
    """:func:`scan_column` over every column; only columns with PII are returned.

    >>> list(scan_frame(pd.DataFrame({"mail": ["a@b.com"], "n": [1]})))
    ['mail']
    """
    found = {}
    for i, name in enumerate(frame.columns):
        col = scan_column(frame.iloc[:, i].rename(name), sample=sample)
        if col is not None:
            found[str(name)] = col
    return found


def _treated(series: pd.Series, scan: _Scan, treat: Callable[[Rule, str], str]) -> pd.Series:
    """The column as text with PII replaced; missing values stay missing."""
    values = np.full(len(series), np.nan, dtype=object)
    new = scan.values.copy()
    for kind, idx in scan.whole.items():
        rule = RULES_BY_KIND[kind]
        new[idx] = [treat(rule, v) for v in scan.values[idx]]
    for i, found in scan.parts.items():
        new[i] = _replace(scan.values[i], found, treat)
    values[scan.where] = new
    return pd.Series(values, index=series.index, name=series.name, dtype="str")


def _select(frame: pd.DataFrame, columns: list[str] | None) -> list[int]:
    names = [str(c) for c in frame.columns]
    if columns is None:
        return list(range(len(names)))
    missing = [c for c in columns if c not in names]
    if missing:
        raise DataError(
            f"column {missing[0]!r} is not in the table"
            + (f" ({len(missing) - 1} more missing)." if len(missing) > 1 else "."),
            column=missing[0],
            fix=f"choose from: {', '.join(names)}.",
        )
    return [i for i, n in enumerate(names) if n in columns]


def mask_frame(
    frame: pd.DataFrame,
    mode: str = "mask",
    salt: str | None = None,
    columns: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Treat PII in every column (or only ``columns``); return the new frame and the audit.

    The input frame is not changed. The audit lists, per treated column, the
    kinds and counts of values and the action taken (``masked``, ``hashed``,
    ``dropped``, or ``masked_spans`` for free text in drop mode); never a value.

    >>> df = pd.DataFrame({"phone": ["13800138000"], "n": [1]})
    >>> out, audit = mask_frame(df)
    >>> out["phone"].tolist(), audit["columns"][0]["action"]
    (['138****8000'], 'masked')
    """
    _check_mode(mode, MODES)
    if mode == "hash" and salt is None:
        salt = get_salt()
    treat = _treatment("hash" if mode == "hash" else "mask", salt)
    out = frame.copy(deep=False)
    drop: list[int] = []
    entries = []
    for i in _select(frame, columns):
        series = frame.iloc[:, i]
        scan = _scan(series)
        found = scan.summary(str(frame.columns[i]))
        if found is None:
            if columns is not None:  # asked for by name: say that nothing was there
                entries.append(
                    {"column": str(frame.columns[i]), "kinds": {}, "count": 0, "action": "none"}
                )
            continue
        entry: dict[str, Any] = {
            "column": found.column,
            "kinds": found.kinds,
            "count": found.count,
            "whole": found.whole,
        }
        if mode == "drop" and found.whole:
            drop.append(i)
            entry["action"] = "dropped"
        else:
            out.isetitem(i, _treated(series, scan, treat))
            entry["action"] = {"mask": "masked", "hash": "hashed", "drop": "masked_spans"}[mode]
            if mode == "drop":
                entry["note"] = "free-text column kept; the PII inside it was masked"
            if found.whole:
                # IDs with a wrong check digit etc. are left as they are: say how many.
                entry["unchanged"] = found.scanned - found.count
        entries.append(entry)
    if drop:
        out = out.iloc[:, [i for i in range(out.shape[1]) if i not in drop]]
    audit = {"mode": mode, "rows": len(frame), "columns": entries}
    if mode == "hash":
        audit["method"] = f"hmac-sha256 of the normalised value, first {_TOKEN_HEX} hex digits"
    return out, audit


def get_salt(settings: Settings | None = None) -> str:
    """The salt for ``hash``: ``settings.pii_salt`` (``--salt``, ``BIZFORGE_PII_SALT``)
    or a random salt created once in ``settings.home / "pii_salt"``, so hashes
    stay consistent across runs on this machine.

    >>> from bizforge.config import Settings
    >>> get_salt(Settings(pii_salt="acme-2024"))
    'acme-2024'
    """
    from bizforge.config import get_settings

    settings = settings if settings is not None else get_settings()
    if settings.pii_salt is not None:
        if not settings.pii_salt.strip():
            raise ConfigError(
                "the PII salt is empty.",
                fix="set BIZFORGE_PII_SALT (or --salt) to a long secret, or unset it.",
            )
        return settings.pii_salt
    path = Path(settings.home) / "pii_salt"
    try:
        if not path.exists():
            _create_salt(path)
        salt = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot read or create the PII salt file {path}: {exc.strerror or exc}.",
            fix="make the home folder writable, or set BIZFORGE_PII_SALT / pass --salt.",
        ) from None
    if not salt:
        raise ConfigError(
            f"the PII salt file {path} is empty.",
            fix="delete it to get a new salt (hashes will change), or set BIZFORGE_PII_SALT.",
        )
    return salt


def _create_salt(path: Path) -> None:
    """Write a new random salt atomically; if another process won the race, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".pii_salt.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # fails if it exists: never replace a salt already in use
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
