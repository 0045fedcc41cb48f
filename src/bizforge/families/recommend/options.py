"""Typed options of the ``recommend`` family (each becomes a ``train`` keyword and CLI option).

>>> RecommendOptions(user_column="customer", item_column="sku").k
10
"""

from __future__ import annotations

from pydantic import Field

from bizforge.families.base import FamilyOptions

__all__ = ["RecommendOptions"]


class RecommendOptions(FamilyOptions):
    """What the recommender needs to know about the interactions table."""

    user_column: str | None = Field(
        None, description="Column of user / customer ids (detected from its name when not given).")
    item_column: str | None = Field(
        None, description="Column of item / product ids (detected from its name when not given).")
    rating_column: str | None = Field(
        None, description="Optional strength: rating, quantity, play count or amount.")
    time_column: str | None = Field(
        None, description="Optional timestamp (a date or Unix seconds); validation then "
                          "holds out each user's latest interactions.")
    relevant_min: float | None = Field(
        None, description="Also report test metrics counting only held-out interactions "
                          "with strength >= this (e.g. 4 for 'liked' on a 1-5 scale).")
    items_file: str | None = Field(
        None, description="Side file of item attributes (same item column; category, price, "
                          "brand, title/description) for categories, rules and new items.",
        json_schema_extra={"file": True})
    category_column: str | None = Field(
        None, description="Column of the items file holding categories ('a|b' for several); "
                          "detected from its name when not given.")
    users_file: str | None = Field(
        None, description="Side file of user attributes (same user column; numbers and "
                          "categories such as age, city, tier) for the re-ranker.",
        json_schema_extra={"file": True})
    k: int = Field(10, ge=1, le=1000, description="How many items to recommend per user.")
