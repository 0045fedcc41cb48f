"""Verbs that belong to one task family (``bizforge answer-gaps``, ...), found by convention.

A family whose folder holds a ``commands.py`` exposes ``register(app)``, which adds
its typer commands; this module finds those files among the families in
:data:`bizforge.families.catalog.FAMILIES` without importing any family that has
none, so the shared CLI names no family and ``bizforge --help`` stays quick. A
``commands.py`` imports only typer at the top; its commands import their
library code (torch, ...) when they run.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import typer

__all__ = ["command_modules", "register_family_commands"]


def command_modules() -> list[str]:
    """``<family module>.commands`` for every family folder that has a ``commands.py``."""
    from bizforge.families.catalog import FAMILIES

    found = []
    for module in FAMILIES:
        spec = importlib.util.find_spec(module)  # the parent package only: no family import
        places = (spec.submodule_search_locations or []) if spec is not None else []
        if any((Path(place) / "commands.py").is_file() for place in places):
            found.append(f"{module}.commands")
    return found


def register_family_commands(app: typer.Typer) -> None:
    for module in command_modules():
        importlib.import_module(module).register(app)
