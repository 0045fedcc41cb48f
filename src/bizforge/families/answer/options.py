"""Typed options of the ``answer`` family (each becomes a ``train`` keyword and CLI option).

>>> AnswerOptions().min_precision
0.9
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bizforge.errors import UsageError
from bizforge.families.base import FamilyOptions

__all__ = ["ENCODERS", "AnswerOptions"]

#: Named encoders; any folder written by ``save_pretrained`` may be given instead.
ENCODERS = ("auto", "minilm", "e5-fp32", "none")


class AnswerOptions(FamilyOptions):
    """How the knowledge base is searched and when a question is handed over."""

    queries: str | None = Field(
        None, description="Table of example questions (columns query, entry_id; several ids "
                          "joined by '|'): tunes the fusion weights and the hand-over "
                          "threshold, then joins the entries as alternative phrasings.",
        json_schema_extra={"file": True})
    min_precision: float = Field(
        0.9, gt=0.0, le=1.0,
        description="Answer only when the calibrated confidence says at least this share of "
                    "answers is right; below it the question is handed over to a person.")
    min_handover: float = Field(
        0.9, ge=0.0, le=1.0,
        description="Share of the questions the knowledge base has no entry for that are "
                    "handed over (on the example questions asked with their right entries "
                    "removed); the hand-over threshold is at least as high as this needs.")
    encoder: str = Field(
        "auto", description="Sentence encoder for dense retrieval: auto (tried on the example "
                            "questions: minilm and e5-fp32 for English, e5-fp32 for Chinese), "
                            "minilm, e5-fp32, none (BM25 only) or a Hugging Face folder.")
    finetune: float = Field(
        0.0, ge=0.0,
        description="Seconds to fine-tune the sentence encoder on the example questions "
                    "(contrastive, in-batch negatives; minilm, e5-fp32 or a folder): it is "
                    "tuned on 70% of them and kept only when the other 30% are answered "
                    "better; 0: no fine-tuning.")
    kb_kind: Literal["auto", "faq", "passages"] = Field(
        "auto", description="faq: entries are questions (with answers); passages: entries are "
                            "document text to find the answer in; auto: by the texts' length.")

    generator: str | None = Field(
        None, description="URL of your own OpenAI-compatible server (vLLM, Ollama, llama.cpp) "
                          "to write answers from the top entries, citing them [1], [2]; "
                          "nothing is sent anywhere without it.")
    generator_model: str | None = Field(
        None, description="Model name on the --generator server (default: the first it "
                          "lists).")

    def check(self) -> None:
        if self.generator is not None:
            from bizforge.families.answer.generator import check_url

            check_url(self.generator)
        if self.min_precision < 0.5:
            raise UsageError(f"--min-precision {self.min_precision} would answer when more "
                             "than half the answers are wrong.",
                             fix="pass a share between 0.5 and 1, e.g. 0.9.")
