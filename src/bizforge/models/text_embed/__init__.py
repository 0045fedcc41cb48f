"""Frozen sentence embeddings + logistic regression for text (registered as "embed_linear")."""

from bizforge.models.text_embed.model import EmbedLinearModel

__all__ = ["EmbedLinearModel"]
