"""The personal-data kinds bizforge recognises: patterns, validators, masks.

One :class:`Rule` per kind. A rule knows how to find candidate spans (exact
regular expressions), how to confirm them (check digit, Luhn, real birth date),
how to mask them while keeping their shape, and how to normalise them before
hashing (so ``138-0013-8000`` and ``13800138000`` hash alike).

Kinds and what is accepted (all digits are ASCII ``0-9``; a match is never a
piece of a longer digit run):

- ``cn_id`` mainland resident ID (GB 11643): 18 characters, area code with a
  first digit 1-8, a real birth date between 1900-01-01 and today, a 3-digit
  sequence and the mod-11 check character (``X``/``x`` accepted).
  Mask: first 6 and last 4 kept, ``110105********123X``.
- ``bank_card`` 13-19 digits, Luhn-valid, starting 3-6 (3 Amex/JCB/Diners,
  4 Visa, 5 Mastercard, 6 UnionPay/Discover; UnionPay's ``62`` is covered) or
  22-27 (Mastercard's 2-series); other starts are too often order numbers.
  Plain or grouped by spaces/dashes (4-4-4-4[-1..4] or Amex 4-6-5). Old
  domestic cards starting with 9 are not recognised: too many other 9-numbers.
  Inside free text, card words just before a number (``卡号``, ``card``,
  ``Karte``) make any Luhn-valid 13-19 digits a card, and order words
  (``订单``, ``order``, ``tracking``) make a number an order number.
  Mask: every digit but the last 4, separators kept, ``**** **** **** 1234``.
- ``cn_mobile`` ``1[3-9]`` + 9 digits, optional ``+86``/``0086``/``86`` prefix,
  optional space/dash in 3-4-4 grouping; not right after order words
  (``订单号：19513967161`` is an order number). Mask: first 3 and last 4 of the
  national number kept, ``138****5678`` (a prefix is kept as written).
- ``cn_landline`` area code ``010``, ``02x`` or ``0[3-9]xx`` (optionally in
  parentheses or followed by a dash/space), a 7-8 digit local number starting
  2-9 (1-9 when the area code is set apart: ``010-12345678``), optionally split
  by a space/dash, and an optional extension (``-``, ``转``,
  ``ext``, ``x``, ``#``). International ``+86 10 ...`` landlines are not
  recognised. Mask: area code and the last 2 local digits kept, extension
  masked, ``010-******78``.
- ``email`` local part ``@`` a dotted domain whose last label is 2+
  letters. Inside free text the local part is ASCII or letters of European
  scripts (``jörg.müller@example.de``); a value that is nothing but an
  address may have any local part (``张三@example.cn``). Mask: first
  character + ``***@domain`` (the whole local part goes).
- ``ipv4`` four octets 0-255 without leading zeros. Mask: first two octets kept,
  ``192.168.*.*``. Version strings such as ``2.2.6.2`` look the same: inside
  free text the words around decide (``v2.2.6.2``, ``版本 2.2.6.2`` are
  versions, and so is ``1-3.1.4.2`` after a digit and a dash), and :mod:`bizforge.clean.pii_context` decides for a whole
  column (its name, its octets).

No match starts inside the decimals of a number (``18.3268802124461`` holds
no card). In a column, :mod:`bizforge.clean.pii_context` also weighs the
column: a card column's Luhn-valid numbers are cards whatever their prefix,
and a column of long numbers where Luhn-valid ones are no more common than
chance holds order numbers, not cards.

When spans of different kinds overlap, the earlier kind in :data:`RULES` wins:
email > cn_id > bank_card > cn_mobile > cn_landline > ipv4 (an e-mail such as
``13800138000@qq.com`` is one e-mail, not a mobile number).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "KINDS",
    "RULES",
    "RULES_BY_KIND",
    "Rule",
    "id_check_char",
    "luhn_ok",
]

_D = "[0-9]"  # ASCII digits only: \d would also accept full-width and Arabic digits.

# Cores match one whole value (RE2-compatible, so pandas runs them with pyarrow);
# the exact patterns add (?<![0-9]) / (?![0-9]) so a match is never a slice of a longer number.
_ID_CORE = (
    r"[1-8][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
)
_CARD_START = r"(?:[3-6][0-9]|2[2-7])"  # 22-27: Mastercard's 2-series


def _card_cores(start: str) -> tuple[str, ...]:
    return (
        rf"{start}[0-9]{{11,17}}",
        # Grouped in 4s, with and without a short last group, so that a number
        # written after a card ("... 7890 12 items") does not hide the card.
        rf"{start}[0-9]{{2}}(?:[ -][0-9]{{4}}){{2,3}}(?:[ -][0-9]{{1,4}})?",
        rf"{start}[0-9]{{2}}(?:[ -][0-9]{{4}}){{2,3}}",
        r"3[0-9]{3}[ -][0-9]{6}[ -][0-9]{5}",  # Amex 4-6-5
    )


_CARD_CORES = _card_cores(_CARD_START)  # a value that is a card by itself
_MOBILE_CORE = r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
_AREA = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
_LANDLINE_CORE = (
    rf"(?:\((?P<pa>{_AREA})\)[ ]?|(?P<a>{_AREA})[ -]?)"
    r"(?P<local>[1-9][0-9]{2,3}[ -]?[0-9]{4})"
    r"(?:[ ]*(?:-|转|分机|[Ee][Xx][Tt]\.?|[Xx]|#)[ ]*(?P<ext>[0-9]{1,6}))?"
)
# Letters of European scripts (Latin-1 and Latin Extended, Greek, Cyrillic; not the
# signs x and / of Latin-1) may be in an address: "jörg.müller@example.de" is one
# address, not "ler@example.de" after clear text. CJK is left out of the pattern
# used inside free text, where it would swallow the words before an address; a
# value that is nothing but an address may have any local part (see _EMAIL_WHOLE).
_LETTERS = "À-ÖØ-öø-ɏͰ-ϿЀ-ӿ"
_LOCAL = rf"A-Za-z0-9._%+\-{_LETTERS}"
_LABEL = rf"[A-Za-z0-9{_LETTERS}-]+"
_EMAIL_CORE = rf"[{_LOCAL}]+@{_LABEL}(?:\.{_LABEL})+"
_EMAIL_WHOLE = rf"[^\s@]+@{_LABEL}(?:\.{_LABEL})+"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_CORE = rf"{_OCTET}(?:\.{_OCTET}){{3}}"


def _exact(core: str, before: str = "0-9", after: str = "(?![0-9])") -> re.Pattern:
    # (?<![0-9]\.): never start inside the decimals of a number or a dotted version.
    return re.compile(f"(?<![{before}])(?<![0-9]\\.){core}{after}")


_ID_RE = _exact(_ID_CORE)
# In text any start is matched and _card_in_context judges it ("卡号 2014..." is a
# card by the words before it). Not the decimals of a number: "18.3268802124461".
_CARD_RES = tuple(_exact(c, after=r"(?![0-9]|\.[0-9])") for c in _card_cores("[0-9]{2}"))
_MOBILE_RE = _exact(_MOBILE_CORE)
_LANDLINE_RE = _exact(_LANDLINE_CORE)
_EMAIL_RE = _exact(_EMAIL_CORE, before=_LOCAL, after="")
_IPV4_RE = _exact(_IPV4_CORE, before="0-9.", after=r"(?![0-9]|\.[0-9])")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 digits of a resident ID.

    >>> id_check_char("11010519491231002")
    'X'
    """
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def luhn_ok(digits: str) -> bool:
    """True when a digit string passes the Luhn check (bank cards).

    >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
    (True, False)
    """
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(c for c in text if "0" <= c <= "9")


def _valid_id(span: str) -> bool:
    try:
        born = _dt.date(int(span[6:10]), int(span[10:12]), int(span[12:14]))
    except ValueError:  # 19900230 and friends
        return False
    if not (_dt.date(1900, 1, 1) <= born <= _dt.date.today()):
        return False
    return id_check_char(span[:17]) == span[17].upper()


def _valid_ids(values: np.ndarray) -> np.ndarray:
    """:func:`_valid_id` for many values at once; each already fullmatches ``_ID_CORE``."""
    raw = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    d = raw[:, :17].astype(np.int64) - 48
    expected = np.frombuffer(_ID_CHECK.encode(), dtype=np.uint8)[(d @ np.array(_ID_WEIGHTS)) % 11]
    last = np.where(raw[:, 17] == ord("x"), ord("X"), raw[:, 17])
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month - 1]
    month_days = month_days + ((month == 2) & leap)
    ymd = year * 10000 + month * 100 + day
    today = int(_dt.date.today().strftime("%Y%m%d"))
    return (last == expected) & (day <= month_days) & (ymd >= 19000101) & (ymd <= today)


def _valid_card(span: str) -> bool:
    digits = _digits(span)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def _valid_email(span: str) -> bool:
    local, _, domain = span.rpartition("@")
    tld = domain.rsplit(".", 1)[-1]
    return not local.startswith(".") and len(tld) >= 2 and tld.isascii() and tld.isalpha()


def _valid_landline(span: str) -> bool:
    # Local numbers start 2-8 in practice, but "010-12345678" is what people write
    # as an example, so a leading 1 is accepted once the area code is set apart.
    m = _LANDLINE_RE.fullmatch(span)
    return m is not None and bool(
        m.group("local")[0] != "1" or m.group("pa") or span[m.end("a")] in " -"
    )


# Words that make a dotted quad a version ("v2.2.6.2", "版本 4.0.3.1", "Android 4.0.3.1")
# and words that make it an address; an address word wins.
_VERSION_BEFORE = re.compile(
    r"(?i)(?:\bv|\bver\.?|version|versión|build|release|firmware|android|ios|windows|"
    r"版本|版本号|固件|系统)[\s:：=#_-]{0,3}$"
)
_VERSION_AFTER = re.compile(r"(?i)^[\s]{0,2}(?:版|版本|build|beta|alpha|rc\b|-[a-z])")
_RANGE_BEFORE = re.compile(r"[0-9][-–~～]$")
_ADDRESS_NEAR = re.compile(r"(?i)(?:(?<![a-z])ip|addr|host|server|地址|主机|服务器|登录)")


def _address_in_context(text: str, start: int, end: int) -> bool:
    """False when the words around a dotted quad in free text say it is a version."""
    before, after = text[max(0, start - 16) : start], text[end : end + 8]
    if _ADDRESS_NEAR.search(before):
        return True
    glued = text[start - 1] if start else ""
    if glued.isascii() and glued.isalpha():  # "v2.2.6.2", "R2.2.6.2": part of a word
        return False
    if glued.isalpha() and end - start == 7:  # "价格是1.8.8.8", "下颚3.1.4.3": one-digit octets
        return False
    if _RANGE_BEFORE.search(before):  # "1-3.1.4.2": a range or formula, not an address
        return False
    return not (_VERSION_BEFORE.search(before) or _VERSION_AFTER.search(after))


_CARD_WORDS = (
    r"(?:卡号|卡號|银行卡|銀行卡|信用卡|借记卡|储蓄卡|card|karte|kartennummer|carte|tarjeta)"
)
_CARD_BEFORE = re.compile(rf"(?i){_CARD_WORDS}[^0-9]{{0,6}}$")
# Words that name an order/tracking number. Before a card-length number they are
# enough ("订单 4215..."); a mobile-length one also needs a number sign after them
# ("订单号：195...", "order no. "), since "我的订单 138..." may well give a phone.
_ORDER_WORDS = (
    r"(?i)(?:订单|訂單|单号|單號|运单|運單|快递|物流|发票|發票|编号|編號|流水|order|tracking|"
    r"invoice|bestellung|sendung)"
)
_ORDER_BEFORE = re.compile(
    _ORDER_WORDS + r"[\s:：#]*(?:号码|號碼|号|號|no\.?|nr\.?|number|id)?[\s:：#.]*$"
)
_ORDER_NUMBER_BEFORE = re.compile(
    _ORDER_WORDS + r"\s*(?:号码|號碼|号|號|no\.?|nr\.?|number|id|#|:|：)[\s:：#.]*$"
)
_CARD_START_RE = re.compile(_CARD_START)


def _card_in_context(text: str, start: int, end: int) -> bool:
    """Card words before a number make it a card whatever its prefix; order words make
    it an order number; without either, only the known card prefixes count."""
    before = text[max(0, start - 16) : start]
    if _CARD_BEFORE.search(before):
        return True
    if _ORDER_BEFORE.search(before):
        return False
    return _CARD_START_RE.match(text, start) is not None


def _not_an_order_number(text: str, start: int, end: int) -> bool:
    """False right after order words: "订单号：19513967161" is an order, not a mobile."""
    return not _ORDER_NUMBER_BEFORE.search(text[max(0, start - 16) : start])


def _always(span: str) -> bool:
    return True


def _mask_digits(text: str, keep_first: int, keep_last: int) -> str:
    """Replace digits by ``*`` except the first/last few; separators stay put."""
    total = sum(1 for c in text if "0" <= c <= "9")
    out, seen = [], 0
    for c in text:
        if "0" <= c <= "9":
            seen += 1
            if keep_first < seen <= total - keep_last:
                c = "*"
        out.append(c)
    return "".join(out)


def _mask_id(span: str) -> str:
    return span[:6] + "*" * (len(span) - 10) + span[-4:]


def _mask_mobile(span: str) -> str:
    if len(span) == 11:  # the common plain form, without a per-character loop
        return f"{span[:3]}****{span[7:]}"
    prefix_digits = len(_digits(span)) - 11  # "86" of a +86/0086/86 prefix
    return _mask_digits(span, prefix_digits + 3, 4)


def _mask_card(span: str) -> str:
    return _mask_digits(span, 0, 4)


def _mask_landline(span: str) -> str:
    m = _LANDLINE_RE.fullmatch(span)
    if m is None:  # only reached if a caller passes a non-landline span
        return _mask_digits(span, 0, 0)
    start, end = m.span("local")
    ext = ""
    if m.group("ext"):
        ext = span[end : m.start("ext")] + "*" * len(m.group("ext"))
    return span[:start] + _mask_digits(span[start:end], 0, 2) + ext


def _mask_email(span: str) -> str:
    local, _, domain = span.rpartition("@")
    return f"{local[0]}***@{domain}"


def _mask_ipv4(span: str) -> str:
    a, b, _, _ = span.split(".")
    return f"{a}.{b}.*.*"


def _norm_mobile(span: str) -> str:
    return _digits(span)[-11:]


def _norm_landline(span: str) -> str:
    m = _LANDLINE_RE.fullmatch(span)
    if m is None:
        return _digits(span)
    base = _digits(m.group("pa") or m.group("a")) + _digits(m.group("local"))
    return base + ("x" + m.group("ext") if m.group("ext") else "")


@dataclass(frozen=True)
class Rule:
    """How one kind of personal data is found, confirmed, masked and normalised.

    ``prefilter`` is a looser pattern without look-arounds (so pandas can run it
    on a whole column with pyarrow's engine); every match that can be accepted matches it.
    ``whole`` matches a value that is nothing but one span of this kind; with
    ``validate_many`` (vectorised ``validate``) it lets a column of IDs be
    checked without a Python call per value. ``context(text, start, end)``,
    where set, vetoes a span inside free text by the words around it.
    """

    kind: str
    patterns: tuple[re.Pattern, ...]
    prefilter: str
    whole: str
    validate: Callable[[str], bool]
    mask: Callable[[str], str]
    normalise: Callable[[str], str]
    validate_many: Callable[[np.ndarray], np.ndarray] | None = None
    context: Callable[[str, int, int], bool] | None = None


RULES: tuple[Rule, ...] = (
    Rule(
        "email",
        (_EMAIL_RE,),
        rf"@{_LABEL}\.",
        _EMAIL_WHOLE,
        _valid_email,
        _mask_email,
        str.lower,
    ),
    Rule(
        "cn_id",
        (_ID_RE,),
        rf"[1-8]{_D}{{16}}[0-9Xx]",
        _ID_CORE,
        _valid_id,
        _mask_id,
        str.upper,
        validate_many=_valid_ids,
    ),
    Rule(
        "bank_card",
        _CARD_RES,
        # At least 13 digits: an 11-digit mobile never reaches the Luhn check.
        # Known card starts, or any number after card words: a bare number of another
        # start is never a card by itself (the column may still say so, pii_context).
        rf"{_CARD_START}{_D}{{2}}(?:[ -]?{_D}{{4}}){{2}}[ -]?{_D}|3{_D}{{3}}[ -]{_D}{{6}}[ -]{_D}"
        rf"|(?i:{_CARD_WORDS})[^0-9]{{0,6}}{_D}{{4}}",
        "|".join(f"(?:{c})" for c in _CARD_CORES),
        _valid_card,
        _mask_card,
        _digits,
        context=_card_in_context,
    ),
    Rule(
        "cn_mobile",
        (_MOBILE_RE,),
        rf"1[3-9]{_D}[ -]?{_D}{{4}}[ -]?{_D}{{4}}",
        _MOBILE_CORE,
        _always,
        _mask_mobile,
        _norm_mobile,
        context=_not_an_order_number,
    ),
    Rule(
        "cn_landline",
        (_LANDLINE_RE,),
        rf"0[1-9]{_D}{{1,2}}\)?[ -]?[1-9]{_D}{{2,3}}[ -]?{_D}{{4}}",
        _LANDLINE_CORE,
        _valid_landline,
        _mask_landline,
        _norm_landline,
    ),
    Rule(
        "ipv4",
        (_IPV4_RE,),
        rf"{_D}{{1,3}}\.{_D}{{1,3}}\.{_D}{{1,3}}\.{_D}{{1,3}}",
        _IPV4_CORE,
        _always,
        _mask_ipv4,
        str,
        context=_address_in_context,
    ),
)

RULES_BY_KIND = {r.kind: r for r in RULES}
# The contract's order (stable in JSON and docs); RULES is the precedence order.
KINDS = ("cn_id", "cn_mobile", "cn_landline", "bank_card", "email", "ipv4")
