"""Tools for testing bizforge backends: the ``check_model`` contract suite.

>>> from bizforge.testing import check_model
>>> from bizforge.models import get_model
>>> check_model(get_model("linear"), "regression")
"""

from bizforge.testing.check import CHECKS, check_model, make_frame

__all__ = ["CHECKS", "check_model", "make_frame"]
