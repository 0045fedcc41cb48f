"""Task families: one folder each, behind one contract (``base.py``), listed in ``catalog.py``."""

from bizforge.families.base import (
    Action,
    DataSource,
    Family,
    FamilyOptions,
    FamilyPredictor,
    Trained,
)
from bizforge.families.catalog import (
    family_for_task,
    get_family,
    list_families,
    list_tasks,
    recognise,
    register_family,
)
from bizforge.families.loading import load_folder, load_model

__all__ = [
    "Action",
    "DataSource",
    "Family",
    "FamilyOptions",
    "FamilyPredictor",
    "Trained",
    "family_for_task",
    "get_family",
    "list_families",
    "list_tasks",
    "load_folder",
    "load_model",
    "recognise",
    "register_family",
]
