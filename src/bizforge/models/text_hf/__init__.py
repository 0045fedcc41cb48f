"""Transformer fine-tuning backend (registered as "finetune"); torch is imported lazily.

>>> from bizforge.models import get_model
>>> get_model("finetune").tags.handles_text
True
"""

from bizforge.models.text_hf.model import FinetuneModel

__all__ = ["FinetuneModel"]
