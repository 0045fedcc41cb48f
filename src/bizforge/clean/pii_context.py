"""What a whole column says about its personal data that one value cannot.

One value ``2014 5678 9012 345`` or ``2.2.6.2`` is ambiguous; a column of them
is not. Two decisions are taken per column, from its name and from the
shares of its values:

- **Cards.** A value that is nothing but 13-19 digits (plain, or grouped by
  spaces/dashes) is a *bare number*. Random numbers pass the Luhn check one
  time in ten; card numbers always do. So a column whose name says card
  (``卡号``, ``银行卡``, ``card_no`` ...) or whose bare numbers are mostly
  Luhn-valid is a card column: every Luhn-valid bare number in it is a card,
  whatever its prefix or length (``2014…``, ``06…``). A column of many bare
  numbers that pass Luhn no more often than chance, under a name that does
  not say card, holds order or tracking numbers: the few that pass by chance
  are not cards.
- **Addresses.** A column named like a version (``Current Ver``, ``版本``)
  holds versions; a column named like an address (``ip``, ``登录地址``) holds
  addresses; otherwise dotted quads whose octets are all small (``2.2.6.2``,
  ``4.0.3.1``) are versions when they are most of the column's quads (real
  addresses nearly always have an octet of 32 or more: 192.168..., 10.0.0.57).

>>> card_numbers("卡号", np.array(["2014000000000004", "n/a"], dtype=object))
('card', array([0]))
>>> version_column("Current Ver", np.array(["2.2.6.2"], dtype=object))
True
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "card_numbers",
    "is_card_name",
    "is_version_name",
    "luhn_many",
    "version_column",
    "weigh",
]

_CARD_NAME = re.compile(
    r"(?i)card|卡号|卡號|银行卡|銀行卡|信用卡|借记卡|借記卡|储蓄卡|cc_?(?:no|num)|"
    r"(?:^|[^a-z])pan(?:$|[^a-z])|账号|帐号|帳號|账户|帳戶"
)
_VERSION_NAME = re.compile(
    r"(?i)(?:^|[^a-z])ver(?:$|[^a-z])|version|versión|版本|build|release|firmware|固件|韌體"
)
_ADDRESS_NAME = re.compile(r"(?i)(?<![a-z])ip(?![a-z])|ipv4|ip_?addr|host|地址|位址|主机")
_BARE_NUMBER = (
    r"[0-9]{13,19}"  # plain
    r"|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?"  # grouped in 4s
    r"|[0-9]{4}[ -][0-9]{6}[ -][0-9]{5}"  # Amex 4-6-5
)
# A column "is" cards when at least half its filled values are bare numbers and
# at least half of those (and 3 or more) pass Luhn: chance gives 1 in 10.
_CARD_SHARE = 0.5
_CARD_MIN = 3
# Bare numbers "are chance" when 20+ of them pass Luhn at most 3 times in 10.
_CHANCE_MIN = 20
_CHANCE_SHARE = 0.3
# Whole-value hits are chance when they are at most 5% of 20+ digits-only values
# of the same length (a mobile read inside a column of tracking numbers).
_SHAPE_MIN = 20
_SHAPE_SHARE = 0.05
_SMALL_OCTET = 32
_VERSION_SHARE = 0.8
_VERSION_MIN = 3


def is_card_name(name: str) -> bool:
    """True when a column name says it holds card (or bank account) numbers.

    >>> is_card_name("银行卡号"), is_card_name("order_no")
    (True, False)
    """
    return bool(_CARD_NAME.search(name))


def is_version_name(name: str) -> bool:
    """True when a column name says versions, and does not also say address.

    >>> is_version_name("Android Ver"), is_version_name("server_ip")
    (True, False)
    """
    return bool(_VERSION_NAME.search(name)) and not _ADDRESS_NAME.search(name)


def luhn_many(digits: np.ndarray) -> np.ndarray:
    """The Luhn check of many digit strings (up to 19 digits) at once.

    >>> luhn_many(np.array(["4111111111111111", "4111111111111112"], dtype=object))
    array([ True, False])
    """
    if not len(digits):
        return np.zeros(0, dtype=bool)
    # Left-padding with zeros changes no Luhn sum: every string becomes 19 digits.
    padded = "".join(d.rjust(19, "0") for d in digits).encode("ascii")
    d = np.frombuffer(padded, dtype=np.uint8).reshape(-1, 19).astype(np.int64) - 48
    doubled = d[:, -2::-2] * 2  # every second digit from the right, check digit excluded
    total = d[:, ::-2].sum(axis=1) + (doubled - 9 * (doubled > 9)).sum(axis=1)
    return total % 10 == 0


def card_numbers(name: str, values: np.ndarray) -> tuple[str, np.ndarray]:
    """What the bare numbers of a column are, and which positions of ``values``.

    ``("card", positions of the Luhn-valid bare numbers)`` for a card column,
    ``("chance", positions of every bare number)`` for a column of other long
    numbers, ``("", [])`` when the column cannot tell.
    """
    none = np.zeros(0, dtype=int)
    if not len(values):
        return "", none
    text = pd.Series(values, dtype="str").str.strip()
    lengths = text.str.len().to_numpy()
    sized = np.flatnonzero((lengths >= 13) & (lengths <= 23))  # 13-19 digits, 4 separators
    if not len(sized):
        return "", none
    bare = sized[text.iloc[sized].str.fullmatch(_BARE_NUMBER).to_numpy(bool)]
    if not len(bare):
        return "", none
    digits = text.iloc[bare].str.replace(r"[ -]", "", regex=True).to_numpy(dtype=object)
    luhn = luhn_many(digits)
    passed = int(luhn.sum())
    if is_card_name(name) or (
        len(bare) >= _CARD_SHARE * len(values)
        and passed >= _CARD_MIN
        and passed >= _CARD_SHARE * len(bare)
    ):
        return "card", bare[luhn]
    if len(bare) >= _CHANCE_MIN and passed <= _CHANCE_SHARE * len(bare):
        return "chance", bare
    return "", none


def version_column(name: str, quads: np.ndarray) -> bool:
    """True when a column's dotted quads (``values`` that are one IPv4 each) are versions."""
    if _ADDRESS_NAME.search(name):
        return False
    if is_version_name(name):
        return True
    if len(quads) < _VERSION_MIN:
        return False  # too few to tell: an address is the safer reading
    octets = np.array([[int(o) for o in q.strip().split(".")] for q in quads])
    small = (octets < _SMALL_OCTET).all(axis=1)
    return bool(small.mean() >= _VERSION_SHARE)


def weigh(name: str, values: np.ndarray, whole: dict, parts: dict) -> None:
    """Correct one column's scan by its context, in place.

    ``values`` are the column's values as text; ``whole`` maps a kind to the
    indices of values that are one span of it; ``parts`` maps an index to the
    spans (objects with a ``kind``) found inside free text. Versions lose their
    ``ipv4``; hits that are rare among values of their shape are chance; a card
    column's Luhn-valid bare numbers become ``bank_card`` whatever their
    prefix; a column of chance Luhn hits loses its cards.
    """
    quads = whole.get("ipv4")
    if quads is not None and len(quads) and version_column(name, values[quads]):
        whole["ipv4"] = quads[:0]
    if is_version_name(name):
        _forget(parts, "ipv4", list(parts))
    _rare_in_shape(values, whole, parts)
    verdict, where = card_numbers(name, values)
    cards = whole.get("bank_card", where[:0])
    if verdict == "chance":
        whole["bank_card"] = np.setdiff1d(cards, where)
        _forget(parts, "bank_card", [int(i) for i in where if int(i) in parts])
    elif verdict == "card":
        others = [idx for kind, idx in whole.items() if kind != "bank_card"]
        new = np.setdiff1d(where, np.concatenate([where[:0], *others]).astype(int))
        for i in new:
            parts.pop(int(i), None)
        whole["bank_card"] = np.union1d(cards, new).astype(int)


def _rare_in_shape(values: np.ndarray, whole: dict, parts: dict) -> None:
    """Forget hits that are a whole value but rare among values of the same digits-only shape.

    In a column of 2,000 13-digit tracking numbers, the one that starts ``86139``
    reads as a mobile with its country code; 1 in 2,000 is what chance gives,
    not what a phone column looks like.
    """
    spans = {i: found[0].kind for i, found in parts.items() if len(found) == 1}
    if not any(len(idx) for idx in whole.values()) and not spans:
        return
    text = pd.Series(values, dtype="str")
    digits_only = text.str.fullmatch("[0-9]+").to_numpy(bool)
    lengths = np.where(digits_only, text.str.len().to_numpy(), -1)
    for kind in {*whole, *spans.values()}:
        inside = [i for i, k in spans.items() if k == kind and lengths[i] >= 0]
        idx = np.concatenate([whole.get(kind, np.zeros(0, int)), inside]).astype(int)
        for length in np.unique(lengths[idx]):
            same = int((lengths == length).sum())
            hits = idx[lengths[idx] == length]
            if length < 0 or same < _SHAPE_MIN or len(hits) > _SHAPE_SHARE * same:
                continue
            if kind in whole:
                whole[kind] = np.setdiff1d(whole[kind], hits)
            for i in set(hits.tolist()) & set(inside):
                del parts[i]


def _forget(parts: dict, kind: str, rows: list[int]) -> None:
    """Drop the spans of ``kind`` from the free-text hits at ``rows``."""
    for i in rows:
        kept = [m for m in parts[i] if m.kind != kind]
        if kept:
            parts[i] = kept
        else:
            del parts[i]
