"""The text family: classify free text (TF-IDF, frozen embeddings, a fine-tuned encoder),
with an optional "unknown" answer for out-of-scope messages.

A text model is a table whose one feature is free text, so this family reuses the
tabular family's training and predictor and changes its hooks: which column is the
text, the candidates for its language, and the text-only evaluation.

>>> from bizforge.families import family_for_task
>>> family_for_task("text-classification").name
'text'
"""

from __future__ import annotations

from pydantic import Field

from bizforge.clean.overrides import as_reasons
from bizforge.families.base import DataSource
from bizforge.families.catalog import register_family
from bizforge.families.tabular import TabularFamily, TabularOptions

__all__ = ["TextFamily", "TextOptions"]


class TextOptions(TabularOptions):
    """The tabular options plus the texts' language and the encoder to fine-tune."""

    text_language: str | None = Field(
        None, description="Language of the texts, instead of detecting it: zh (character "
                          "n-grams, jieba, multilingual e5), en (words, MiniLM) or mixed "
                          "(Chinese with English, or any other language: character n-grams, "
                          "multilingual e5).")
    backbone: str | None = Field(
        None, description="Encoder to fine-tune: a local model folder, a hub id already in "
                          "the local Hugging Face cache (nothing is downloaded), or "
                          "bundled:multilingual-e5-small (Chinese; default: bundled MiniLM "
                          "for English).")

    def check(self) -> None:
        from bizforge.models.text_common import check_language

        super().check()
        check_language(self.text_language)


@register_family
class TextFamily(TabularFamily):
    """Text classification: the only feature is free text (or ``--text-column`` names it)."""

    name = "text"
    tasks = ("text-classification",)
    Options = TextOptions

    @classmethod
    def recognise(cls, source: DataSource, target: str | None) -> float:
        """0.9 when the only feature is free text and the target looks like classes."""
        if target is None or source.is_folder or source.is_zip:
            return 0.0
        from bizforge.families.text.parts import force_text, text_features
        from bizforge.tasks import resolve_task

        ds = source.dataset()
        if source.hints.get("text_column"):
            ds = force_text(ds, source.hints["text_column"])
        features, texts = text_features(ds.schema, target)
        if not texts or len(texts) != len(features):
            return 0.0
        spec = resolve_task(ds.frame, target, "auto", text_only=True)
        return 0.9 if spec.kind == "text-classification" else 0.0

    def resolve(self, frame, target, task, features, texts):
        from bizforge.tasks import resolve_task

        return resolve_task(frame, target, task, text_only=bool(texts) and
                            len(texts) == len(features))

    def columns(self, ds, spec, features, texts, options: TextOptions):
        from bizforge.families.text.parts import pick_text_column
        from bizforge.train.portfolio import text_candidates

        text_col = pick_text_column(ds.frame, texts, options.text_column)
        language = options.text_language or ds.schema[text_col].language
        candidates = options.candidates or text_candidates(
            language, options.backbone, pinned=options.text_language is not None)
        if options.backbone is not None:  # a bad --backbone fails now, not as a skipped candidate
            from bizforge.models.text_hf.net import open_tokenizer

            open_tokenizer(options.backbone)
        drop = {**{c: "not used by text classification" for c in features if c != text_col},
                **as_reasons(options.drop)}
        return text_col, candidates, drop
