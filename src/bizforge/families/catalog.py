"""The registry of task families: one line per family in ``FAMILIES``.

Families are imported on first use (so ``import bizforge`` does not import torch);
each module named here defines exactly one :class:`~bizforge.families.base.Family`
subclass decorated with ``@register_family``.

>>> from bizforge.families import family_for_task      # doctest: +SKIP
>>> family_for_task("image-classification").name       # doctest: +SKIP
'image'
"""

from __future__ import annotations

import importlib

from bizforge.errors import UsageError
from bizforge.families.base import DataSource, Family

__all__ = ["FAMILIES", "family_for_task", "get_family", "list_families", "list_tasks",
           "recognise", "register_family"]

# The registration lines: module of each family, in the order --task auto asks them.
FAMILIES: list[str] = [
    "bizforge.families.tabular",
    "bizforge.families.text",
    "bizforge.families.image",
    "bizforge.families.forecast",
    "bizforge.families.recommend",
    "bizforge.families.answer",
]

_REGISTRY: dict[str, type[Family]] = {}
_loaded = False


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator: make ``cls`` known under ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Family)):
        raise TypeError(f"@register_family needs a Family subclass, got {cls!r}")
    known = _REGISTRY.get(cls.name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise UsageError(f"family name '{cls.name}' is already taken by {known.__qualname__}.",
                         fix="choose another name.")
    _REGISTRY[cls.name] = cls
    return cls


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for module in FAMILIES:
            importlib.import_module(module)
        _loaded = True


def list_families() -> list[str]:
    _load_all()
    return list(_REGISTRY)


def get_family(name: str) -> type[Family]:
    """The family registered as ``name``; an unknown name lists the valid ones."""
    _load_all()
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise UsageError(f"unknown task family '{name}'.",
                         fix=f"use one of: {', '.join(_REGISTRY)}.") from None


def list_tasks() -> list[str]:
    """Every ``--task`` value, ``auto`` first."""
    _load_all()
    return ["auto", *(t for cls in _REGISTRY.values() for t in cls.tasks)]


def family_for_task(task: str) -> type[Family]:
    """The family that answers ``--task task``; an unknown task lists the valid ones."""
    _load_all()
    for cls in _REGISTRY.values():
        if task in cls.tasks:
            return cls
    raise UsageError(f"unknown --task '{task}'.", fix=f"use one of: {', '.join(list_tasks())}.")


def recognise(source: DataSource, target: str | None) -> type[Family]:
    """The family most sure that ``source`` is its data (ties: the earlier in ``FAMILIES``)."""
    _load_all()
    best, score = None, 0.0
    for cls in _REGISTRY.values():
        s = float(cls.recognise(source, target))
        if s > score:
            best, score = cls, s
    if best is None:
        raise UsageError(f"could not tell what kind of task {source} is for.",
                         fix=f"name it with --task: one of {', '.join(list_tasks()[1:])}.")
    return best
