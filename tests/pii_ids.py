"""Valid mainland resident ID numbers and bank cards for tests, computed independently of bizforge.

The check digit follows GB 11643 (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
sum mod 11 mapped through "10X98765432"), written out here rather than
imported so the tests do not trust the code they check.
"""

from __future__ import annotations

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(area: str, birth: str, seq: str) -> str:
    """``area`` (6 digits) + ``birth`` (YYYYMMDD) + ``seq`` (3 digits) + its check character."""
    body = area + birth + seq
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


def luhn_complete(partial: str) -> str:
    """``partial`` plus its Luhn check digit (bank cards), written out here as well."""
    total = 0
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return partial + str((10 - total % 10) % 10)
