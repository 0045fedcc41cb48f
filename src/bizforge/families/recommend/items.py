"""Item attributes from a side file: categories, display titles and content vectors.

The content vector of an item is a TF-IDF of its text columns (title,
description, brand; character n-grams so Chinese needs no word list) plus its
categories, L2-normalised, so the dot product of two items is their attribute
similarity. New items — in the side file but never chosen — are reached through
it: they inherit the score of their most similar known item, discounted by the
similarity, and ``similar`` answers for them from attributes alone.

>>> import pandas as pd
>>> frame = pd.DataFrame({"item": ["a", "b"], "genre": ["x|y", "y"], "title": ["Red", "Blue"]})
>>> attrs = ItemAttributes.build(frame, "item", None)
>>> attrs.categories["a"]
['x', 'y']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bizforge.errors import DataError
from bizforge.families.recommend.data import id_texts

__all__ = ["ItemAttributes"]

_CATEGORY = re.compile(r"categor|genre|type|class|department|dept|brand|类别|分类|类目|品类|品牌|类型",
                       re.IGNORECASE)
_TEXT = re.compile(r"title|name|description|desc|text|summary|标题|名称|名字|描述|简介", re.IGNORECASE)


@dataclass
class ItemAttributes:
    """Per item id: categories, a display title and (for the catalogue) content vectors."""

    categories: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    text_columns: list[str] = field(default_factory=list)
    category_column: str | None = None
    texts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, frame: pd.DataFrame, item_column: str, category_column: str | None,
              path: str | None = None) -> ItemAttributes:
        """Read the side table; the item column has the same name as in the interactions."""
        where = path or "the items file"
        if item_column not in frame.columns:
            raise DataError(f"{where} has no column '{item_column}' to match the interactions' "
                            f"items (columns: {', '.join(map(str, frame.columns[:20]))}).",
                            column=item_column, path=path,
                            fix=f"name the item id column '{item_column}' in {where}.")
        if category_column is not None and category_column not in frame.columns:
            raise DataError(f"--category-column '{category_column}' is not a column of {where}.",
                            column=category_column, path=path,
                            fix="pass one of its columns, or leave the option out.")
        frame = frame.assign(**{item_column: id_texts(frame[item_column])})
        frame = frame[frame[item_column].notna()].drop_duplicates(item_column, keep="last")
        others = [str(c) for c in frame.columns if c != item_column]
        if category_column is None:
            category_column = next((c for c in others if _CATEGORY.search(c)), None)
        text_columns = [c for c in others if c != category_column and _TEXT.search(c)
                        and not pd.api.types.is_numeric_dtype(frame[c])]
        ids = frame[item_column].tolist()
        cats: dict[str, list[str]] = {}
        if category_column is not None:
            for item, value in zip(ids, frame[category_column]):
                if pd.notna(value):
                    cats[item] = [p.strip() for p in str(value).split("|") if p.strip()]
        texts = {}
        for j, item in enumerate(ids):
            parts = [str(frame[c].iloc[j]) for c in text_columns if pd.notna(frame[c].iloc[j])]
            texts[item] = " ".join(parts)
        titles = {item: text[:80] for item, text in zip(ids, frame[text_columns[0]].astype(str))
                  } if text_columns else {}
        return cls(categories=cats, titles=titles, text_columns=text_columns,
                   category_column=category_column, texts=texts)

    @property
    def items(self) -> list[str]:
        return list(dict.fromkeys([*self.texts, *self.categories]))

    def content_matrix(self, items: list[str]) -> sp.csr_matrix | None:
        """Rows of L2-normalised attribute vectors in ``items`` order (None: no attributes)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        docs = []
        for item in items:
            cats = " ".join(f"cat_{c}" for c in self.categories.get(item, []))
            docs.append(f"{self.texts.get(item, '')} {cats} {cats}".strip())
        if not any(docs):
            return None
        parts = []
        text_docs = [self.texts.get(i, "") for i in items]
        if any(text_docs):
            parts.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), min_df=1,
                                         sublinear_tf=True).fit_transform(text_docs))
        cat_docs = [" ".join(self.categories.get(i, [])) or "" for i in items]
        if any(cat_docs):
            vec = TfidfVectorizer(tokenizer=lambda s: s.split(" "), token_pattern=None,
                                  lowercase=False)
            cat_docs = [" ".join(c.replace(" ", "_") for c in self.categories.get(i, []))
                        for i in items]
            parts.append(vec.fit_transform(cat_docs))
        parts = [normalize(p) for p in parts]
        return normalize(sp.hstack(parts).tocsr()).astype(np.float32)

    def to_json(self) -> dict:
        return {"categories": self.categories, "titles": self.titles,
                "text_columns": self.text_columns, "category_column": self.category_column}

    @classmethod
    def from_json(cls, data: dict) -> ItemAttributes:
        return cls(categories=data.get("categories", {}), titles=data.get("titles", {}),
                   text_columns=data.get("text_columns", []),
                   category_column=data.get("category_column"))
