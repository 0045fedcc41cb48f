"""Loading a saved model of any family: from its folder or from the registry.

The manifest names the family that wrote the folder (``"family": "text"``); that
family's ``load`` reads it. Folders saved before families existed (no
``family`` key) are read by the family that answers the task kind recorded in
their ``model.json`` — the same files, so they load unchanged.

>>> model = load_model("models/churn")          # doctest: +SKIP
>>> model = load_model("churn@production")      # doctest: +SKIP
>>> model.predict(rows)                         # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bizforge.errors import ModelError, ModelNotFound, UsageError
from bizforge.families.base import FamilyPredictor
from bizforge.families.catalog import family_for_task, get_family
from bizforge.manifest import MANIFEST, verify_manifest

__all__ = ["MODEL_FILE", "family_of", "load_folder", "load_model"]

MODEL_FILE = "model.json"  # written by every family before families were recorded


def family_of(manifest: dict[str, Any], folder: Path) -> str:
    """The family that saved ``folder``: the manifest's ``family``, or (older folders)
    the family of the task kind in ``model.json``."""
    if manifest.get("family"):
        return str(manifest["family"])
    try:
        info = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        kind = info["task"]["kind"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(
            f"'{folder}' names no task family in its {MANIFEST} and has no readable "
            f"{MODEL_FILE} (model format {manifest.get('format')!r} without a family).",
            fix="retrain the model with this version of bizforge.") from None
    try:
        return family_for_task(str(kind)).name
    except UsageError:
        raise ModelError(f"'{folder}' was trained for task '{kind}', which this bizforge "
                         "does not know.", fix="load it with the bizforge that trained it, "
                                               "or retrain it.") from None


def load_folder(folder: str | Path) -> FamilyPredictor:
    """Verify every file of ``folder`` against its manifest, then ask its family to load it."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise ModelNotFound(
            f"'{folder}' is not a bizforge model folder (no {MANIFEST}).",
            fix="pass the folder written by `bizforge train --out DIR`.",
        )
    manifest = verify_manifest(folder)
    name = family_of(manifest, folder)
    try:
        family = get_family(name)
    except UsageError:
        raise ModelError(f"'{folder}' was saved by the task family '{name}', which is not "
                         "installed here.", fix="load it with the bizforge that trained "
                                                "it.") from None
    predictor = family.load(folder)
    predictor.path = folder
    return predictor


def load_model(path_or_name: str | Path) -> FamilyPredictor:
    """Load a trained model from its folder, or from the registry by reference.

    An existing folder wins; otherwise ``churn``, ``churn:3`` or
    ``churn@staging`` is looked up in the registry (home folder or
    ``BIZFORGE_DATABASE_URL``). Either way every file's sha256 is checked.

    >>> load_model("churn@production")          # doctest: +SKIP
    """
    path = Path(path_or_name)
    if path.exists():
        return load_folder(path)
    from bizforge.registry import Registry, parse_ref

    try:
        ref = parse_ref(str(path_or_name))
    except UsageError:
        raise ModelNotFound(
            f"no model at '{path}'.",
            fix="pass the folder written by `bizforge train --out DIR`, or a registry "
                "name such as churn, churn:3 or churn@production.",
        ) from None
    with Registry() as registry:
        if not registry.exists():  # do not create a registry just to say it is empty
            raise ModelNotFound(
                f"no model folder '{path}' and no registry at '{registry.home}'.",
                fix="pass the folder written by `bizforge train --out DIR`, or publish "
                    "with `bizforge train ... --name NAME` first.",
            )
        return registry.load(ref, load_folder)
