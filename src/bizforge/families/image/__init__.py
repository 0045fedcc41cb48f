"""Image classification: class folders, CSV/Excel of paths or a zip -> an ONNX classifier.

The family (``family.py``) reads images safely (``reading.py``), reports on them
(``findings.py``), trains a small CNN and a pretrained EfficientNet-Lite0 (frozen and
fine-tuned) under the time budget (``candidates.py``, ``fit.py``, ``training.py``; with few images
per class, every choice by k-fold CV over all of them: ``fewshot.py``),
exports ONNX fp32/int8 (``onnx.py``, ``serving.py``) and serves them
(``predictor.py``); ``report.py`` adds the worst mistakes and Grad-CAM heatmaps.

>>> from bizforge.families import family_for_task
>>> family_for_task("image-classification").name
'image'
"""

from bizforge.families.image.family import ImageFamily, ImageOptions

__all__ = ["ImageFamily", "ImageOptions"]
