"""Helpers of the console tests (a module of its own name: several test folders have a conftest)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

FAKE_WORKER = [sys.executable, str(Path(__file__).with_name("fake_worker.py"))]
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return _CSRF.search(html).group(1)


def sign_in(client, key: str):
    """Sign ``client`` in with ``key`` through the sign-in form."""
    page = client.get("/signin")
    return client.post("/signin", data={"key": key, "csrf": csrf_of(page.text)})
