"""Personalised recommendation (``--task recommend``): see :mod:`.family`.

>>> from bizforge.families.recommend import RecommendFamily
>>> RecommendFamily.name
'recommend'
"""

from bizforge.families.recommend.family import RecommendFamily
from bizforge.families.recommend.options import RecommendOptions
from bizforge.families.recommend.predictor import RecommendPredictor

__all__ = ["RecommendFamily", "RecommendOptions", "RecommendPredictor"]
