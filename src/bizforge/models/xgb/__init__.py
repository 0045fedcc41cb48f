"""XGBoost gradient boosting (registered as "xgboost"; needs the ``xgboost`` extra).

The backend registers whether or not the library is installed; the search uses
it only when :func:`available` says so, and fitting without it raises a
ModelError that names the extra to install.
"""

from bizforge.models.xgb.model import XGBoostModel, available

__all__ = ["XGBoostModel", "available"]
