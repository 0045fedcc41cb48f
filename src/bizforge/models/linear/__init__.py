"""Linear backend: logistic / ridge regression saved as JSON arrays (registered as "linear")."""

from bizforge.models.linear.model import LinearModel

__all__ = ["LinearModel"]
