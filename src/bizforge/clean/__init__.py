"""Checking and cleaning: profile, findings, cleaning recipe, personal data (pii).

>>> from bizforge.clean import profile, Recipe, mask_frame   # doctest: +SKIP
"""

from bizforge.clean.findings import Finding
from bizforge.clean.pii import mask_frame, scan_frame
from bizforge.clean.profile import Profile, profile
from bizforge.clean.recipe import Recipe

__all__ = ["Finding", "Profile", "Recipe", "mask_frame", "profile", "scan_frame"]
