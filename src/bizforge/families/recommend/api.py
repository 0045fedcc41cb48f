"""The REST verbs of a recommender: ``recommend`` and ``similar`` (typed, for OpenAPI).

Ids may be sent as strings or whole numbers (``"42"`` and ``42`` are the same
item); anything else (a float, a list, true/false) is refused with a 422 that
names the field.

>>> RecommendRequest(user=7, k=5).user
7
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from bizforge.families.base import Action

__all__ = ["RecommendRequest", "RecommendResponse", "SimilarRequest", "SimilarResponse",
           "actions"]

Id = StrictStr | StrictInt
MAX_IDS = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecommendRequest(_Strict):
    """A known user, or a few items for a user the model has not seen (fold-in)."""

    user: Id | None = Field(None, description="User id; unknown users fall back to `items`, "
                                               "then to popular items.")
    items: list[Id] | None = Field(None, max_length=MAX_IDS,
                                   description="Items the user chose (for a new user, or added "
                                               "to a known user's history).")
    k: int | None = Field(None, ge=1, le=1000, description="How many items (model default).")
    exclude: list[Id] = Field(default_factory=list, max_length=MAX_IDS,
                              description="Never offer these items (out of stock, in basket).")
    include: list[Id] | None = Field(None, max_length=MAX_IDS,
                                     description="Offer only these items (a promotion).")
    categories: list[str] | None = Field(None, max_length=200,
                                         description="Offer only items of these categories.")
    exclude_categories: list[str] | None = Field(None, max_length=200,
                                                 description="Never offer these categories.")
    exclude_seen: bool = Field(True, description="Leave out items the user already has.")
    diversity: int | None = Field(None, ge=1, le=1000,
                                  description="At most this many items per category.")


class RecommendedItem(BaseModel):
    item: str
    score: float
    title: str | None = None
    reason: str | None = Field(None, description="'because you liked X', or why else.")
    because: str | None = Field(None, description="The history item behind the reason.")
    via: Literal["collaborative", "attributes", "popular"]
    categories: list[str] = []


class RecommendResponse(BaseModel):
    user: str | None
    path: Literal["history", "fold-in", "popular"] = Field(
        description="history: a known user; fold-in: from the items sent; popular: fallback.")
    items: list[RecommendedItem]
    notes: list[str] = []


class SimilarRequest(_Strict):
    item: Id
    k: int | None = Field(None, ge=1, le=1000)
    exclude: list[Id] = Field(default_factory=list, max_length=MAX_IDS)


class SimilarItem(BaseModel):
    item: str
    score: float
    title: str | None = None


class SimilarResponse(BaseModel):
    item: str
    path: Literal["collaborative", "attributes"]
    items: list[SimilarItem]
    notes: list[str] = []


def actions(predictor) -> list[Action]:
    """``recommend`` and ``similar`` bound to ``predictor``."""

    # dict(request): the fields as they are (plain values), cheaper than model_dump()
    def recommend(request: RecommendRequest) -> dict:
        return predictor.recommend(**dict(request))

    def remembered(request: RecommendRequest) -> dict | None:
        return predictor.remembered(**dict(request))

    def similar(request: SimilarRequest) -> dict:
        return predictor.similar(request.item, request.k, exclude=request.exclude)

    return [
        Action("recommend", RecommendRequest, RecommendResponse, recommend,
               summary="Top-k items for a user, or for a few items (unknown user).",
               quick=remembered),
        Action("similar", SimilarRequest, SimilarResponse, similar,
               summary="Items similar to one item."),
    ]
