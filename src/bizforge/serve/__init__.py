"""Serving: the REST API over published models (``serve.api``).

``load_model`` is re-exported from where it lives now (``bizforge.families``) for
code written before task families existed.
"""

from bizforge.families.loading import load_model

__all__ = ["load_model"]
