"""The registry of model backends: one ``@register_model`` line per backend.

>>> from bizforge.models import get_model, list_models
>>> "lightgbm" in list_models("binary")
True
>>> get_model("lightgbm").tags.explains
True
"""

from __future__ import annotations

from pathlib import Path

from bizforge.errors import UsageError
from bizforge.models.base import MODEL_FILE, Model, read_json

__all__ = ["get_model", "list_models", "load_model", "register_model"]

_REGISTRY: dict[str, type[Model]] = {}


def register_model(name: str):
    """Class decorator: register a :class:`Model` subclass under ``name``.

    >>> @register_model("my-backend")       # doctest: +SKIP
    ... class MyModel(Model): ...
    """

    def decorate(cls: type[Model]) -> type[Model]:
        if not (isinstance(cls, type) and issubclass(cls, Model)):
            raise TypeError(f"@register_model({name!r}) needs a Model subclass, got {cls!r}")
        known = _REGISTRY.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise UsageError(f"model name '{name}' is already taken by {known.__qualname__}.",
                             fix="choose another name.")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def get_model(name: str) -> type[Model]:
    """The backend class registered as ``name``; unknown names list the valid ones."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise UsageError(
            f"unknown model '{name}'.", fix=f"use one of: {', '.join(sorted(_REGISTRY))}."
        ) from None


def list_models(problem: str | None = None, text: bool | None = None) -> list[str]:
    """Registered names, optionally only those doing ``problem`` and (not) handling text."""
    return [
        name
        for name, cls in _REGISTRY.items()
        if (problem is None or problem in cls.tags.problems)
        and (text is None or cls.tags.handles_text == text)
    ]


def load_model(directory: str | Path) -> Model:
    """Load a saved model whatever its backend (read from ``model.json``)."""
    backend = read_json(Path(directory) / MODEL_FILE).get("backend")
    return get_model(backend).load(directory)
