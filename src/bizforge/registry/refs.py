"""Model names, aliases and references (``name``, ``name:3``, ``name@staging``).

A name becomes a folder under the home folder, so it is validated strictly:
letters, digits, CJK characters, ``_`` and ``-``, starting with a letter, digit
or CJK character, at most 64 characters. That rules out every path trick
(``..``, ``/``, ``\\``, absolute paths, ``%2e%2e``, NUL) by construction
instead of by a list of bad patterns.

>>> parse_ref("churn@staging")
Ref(name='churn', version=None, alias='staging')
>>> parse_ref("流失预测:3")
Ref(name='流失预测', version=3, alias=None)
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bizforge.errors import UsageError

__all__ = ["DEFAULT_ALIAS", "Ref", "check_alias", "check_name", "name_pattern", "parse_ref"]

DEFAULT_ALIAS = "production"
_NAME = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_\-\u4e00-\u9fff]{0,63}")
_ALIAS = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_VERSION = re.compile(r"[1-9][0-9]{0,8}")
# Device names Windows refuses as folder names, whatever the extension or case.
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])", re.IGNORECASE)
_RESERVED_WORDS = ("con", "prn", "aux", "nul", "com[0-9]", "lpt[0-9]")


def name_pattern(*, refs: bool = False) -> str:
    """The rule of :func:`check_name` (``refs``: of :func:`parse_ref`) as one anchored
    regular expression, for documents such as OpenAPI (no inline flags: ECMA-compatible).

    >>> bool(re.fullmatch(name_pattern(refs=True), "churn@staging"))
    True
    >>> bool(re.fullmatch(name_pattern(), "CON"))
    False
    """
    def anycase(word: str) -> str:
        return re.sub(r"[a-z]", lambda m: f"[{m[0]}{m[0].upper()}]", word)

    reserved = "|".join(anycase(w) for w in _RESERVED_WORDS)
    tail = f"(?::{_VERSION.pattern}|@{_ALIAS.pattern})?" if refs else ""
    return f"^(?!(?:{reserved})(?:[:@]|$)){_NAME.pattern}{tail}$"


_NAME_FIX = ("use letters, digits, Chinese characters, '_' and '-' (at most 64, starting "
             "with a letter, digit or Chinese character), e.g. churn or 流失预测-v2.")


class Ref(NamedTuple):
    """A parsed model reference; ``version`` and ``alias`` are never both set."""

    name: str
    version: int | None
    alias: str | None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}:{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name


def _shown(text: str) -> str:
    """The offending text for a message: control characters escaped, long text cut."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= 80 else shown[:77] + "..."


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid model name, else raise UsageError.

    >>> check_name("churn-2024")
    'churn-2024'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or _RESERVED.fullmatch(name):
        raise UsageError(f"'{_shown(str(name))}' is not a valid model name.", fix=_NAME_FIX)
    return name


def check_alias(alias: str) -> str:
    """Return ``alias`` if it is valid (``[a-z0-9-]``, at most 32), else raise UsageError.

    >>> check_alias("staging")
    'staging'
    """
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise UsageError(f"'{_shown(str(alias))}' is not a valid alias.",
                         fix="use lower-case letters, digits and '-', e.g. production, "
                             "staging or canary-2.")
    return alias


def parse_ref(ref: str) -> Ref:
    """Split ``name``, ``name:VERSION`` or ``name@ALIAS``; anything else is a UsageError.

    >>> parse_ref("churn:12").version
    12
    """
    if not isinstance(ref, str) or not ref:
        raise UsageError("a model reference is empty.",
                         fix="name a model as NAME, NAME:VERSION or NAME@ALIAS.")
    if "@" in ref and ":" in ref:
        raise UsageError(f"'{_shown(ref)}' has both a version and an alias.",
                         fix="use NAME:VERSION or NAME@ALIAS, not both.")
    if ":" in ref:
        name, _, version = ref.partition(":")
        check_name(name)
        if not _VERSION.fullmatch(version):
            raise UsageError(f"'{_shown(ref)}' has no valid version after ':'.",
                             fix="versions are whole numbers from 1, e.g. churn:3.")
        return Ref(name, int(version), None)
    if "@" in ref:
        name, _, alias = ref.partition("@")
        check_name(name)
        if not alias:
            raise UsageError(f"'{_shown(ref)}' has no alias after '@'.",
                             fix="add the alias, e.g. churn@production.")
        return Ref(name, None, check_alias(alias))
    return Ref(check_name(ref), None, None)
