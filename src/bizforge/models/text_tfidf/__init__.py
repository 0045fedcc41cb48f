"""TF-IDF + logistic regression for text (registered as "tfidf_linear")."""

from bizforge.models.text_tfidf.model import TfidfLinearModel

__all__ = ["TfidfLinearModel"]
