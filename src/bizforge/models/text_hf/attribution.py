"""Which words drove a transformer's prediction: gradient x input on the token embeddings.

For each text, the score explained is the predicted class's logit minus the mean
logit (softmax is unchanged by the mean, so this is what "more likely" means). Each
token's weight is the dot product of its embedding with the gradient of that score;
WordPiece pieces of one word are summed back into the word (characters for Chinese,
as BERT tokenises them). A positive weight supports the predicted class.

>>> explain_tokens(net, tokenizer, ["a truly great film"], max_length=128, k=2)  # doctest: +SKIP
[[('great', 0.84), ('truly', 0.12)]]
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["explain_tokens"]


def _words(text: str, word_ids: list[int | None], offsets: list[tuple[int, int]],
           scores: np.ndarray) -> list[tuple[str, float]]:
    """Sum token scores per word; the word's text is cut from the original string."""
    spans: dict[int, list] = {}
    for pos, wid in enumerate(word_ids):
        if wid is None:  # [CLS], [SEP], padding
            continue
        start, end = offsets[pos]
        if wid not in spans:
            spans[wid] = [start, end, 0.0]
        span = spans[wid]
        span[0], span[1] = min(span[0], start), max(span[1], end)
        span[2] += float(scores[pos])
    return [(text[s:e], w) for s, e, w in spans.values() if e > s]


def _pieces(tokenizer, ids: list[int], scores: np.ndarray) -> list[tuple[str, float]]:
    """Slow tokenizers give no offsets: glue '##' continuation pieces to their word."""
    out: list[list] = []
    special = set(tokenizer.all_special_ids)
    for tid, score in zip(ids, scores):
        if tid in special:
            continue
        piece = tokenizer.convert_ids_to_tokens(int(tid))
        if piece.startswith("##") and out:
            out[-1][0] += piece[2:]
            out[-1][1] += float(score)
        else:
            out.append([piece, float(score)])
    return [(w, s) for w, s in out]


def explain_tokens(net, tokenizer, texts: list[str], *, max_length: int, k: int = 5,
                   targets: list[int] | None = None, batch_size: int = 16,
                   ) -> list[list[tuple[str, float]]]:
    """Top-``k`` words by absolute weight for each text, strongest first.

    ``targets`` gives the class to explain per text (default: the predicted one).
    """
    net = net.eval()
    embeddings = net.encoder.get_input_embeddings()
    device = next(net.parameters()).device
    captured: list[torch.Tensor] = []

    def keep(_module, _inputs, output):
        # A fresh leaf: its gradient is what we want, whether or not the embedding
        # weights themselves are trainable (they are frozen during fine-tuning).
        leaf = output.detach().requires_grad_(True)
        captured.append(leaf)
        return leaf

    results: list[list[tuple[str, float]]] = []
    fast = bool(getattr(tokenizer, "is_fast", False))
    handle = embeddings.register_forward_hook(keep)
    try:
        for start in range(0, len(texts), batch_size):
            part = [str(t) for t in texts[start:start + batch_size]]
            enc = tokenizer(part, truncation=True, max_length=max_length, padding=True,
                            return_tensors="pt", return_offsets_mapping=fast)
            captured.clear()
            net.zero_grad(set_to_none=True)
            logits = net(enc["input_ids"].to(device), enc["attention_mask"].to(device))
            if targets is None:
                chosen = logits.argmax(dim=1)
            else:
                chosen = torch.as_tensor(targets[start:start + len(part)], device=device)
            score = logits.gather(1, chosen[:, None]).squeeze(1) - logits.mean(dim=1)
            score.sum().backward()
            emb = captured[0]
            weights = (emb * emb.grad).sum(dim=-1).detach().cpu().numpy()
            mask = enc["attention_mask"].numpy()
            for i, text in enumerate(part):
                row = weights[i] * mask[i]
                if fast:
                    words = _words(text, enc.word_ids(i), enc["offset_mapping"][i].tolist(), row)
                else:
                    words = _pieces(tokenizer, enc["input_ids"][i].tolist(), row)
                words.sort(key=lambda item: -abs(item[1]))
                results.append([(w, round(s, 6)) for w, s in words[:k]])
    finally:
        handle.remove()
        net.zero_grad(set_to_none=True)
    return results
