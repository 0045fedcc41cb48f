"""``POST /v1/models/{name}/feedback``: what a caller says about an answer, for any model.

The body (:class:`FeedbackRequest`) says whether the answer helped and, when the
caller knows it, which entry was the right one; it is stored in the registry's
``feedback`` table against the version the reference resolves to, with
personal data masked (:mod:`bizforge.registry.feedback`). Families read it back
(the answer family clusters unhelpful and handed-over questions and learns
from the right entries on retrain); this route never names a family.

:func:`remember` stores what an action's ``remember`` hook returns after a
response (a handed-over question), in the background.

>>> client.post("/v1/models/faq/feedback", json={"question": "refund?", "helpful": False,
...             "entry_id": "faq-12"}).status_code                    # doctest: +SKIP
201
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from bizforge.serve.api.deps import authorize
from bizforge.serve.api.limits import read_body
from bizforge.serve.api.logging import log_event
from bizforge.serve.api.responses import JSON
from bizforge.serve.api.schemas import error_responses, name_param

__all__ = ["FeedbackRequest", "FeedbackStored", "remember", "router"]

router = APIRouter(tags=["feedback"])


class FeedbackRequest(BaseModel):
    """Whether an answer helped, and which entry would have been right."""

    model_config = ConfigDict(extra="forbid")

    question: str | None = Field(None, max_length=4000, description="the question asked")
    helpful: bool | None = Field(None, description="did the answer help?")
    entry_id: str | None = Field(None, max_length=200,
                                 description="the entry that answers the question (if known)")
    answer_entry_id: str | None = Field(None, max_length=200,
                                        description="the entry the model answered with")
    comment: str | None = Field(None, max_length=2000, description="free text from the user")

    @model_validator(mode="after")
    def _says_something(self) -> FeedbackRequest:
        if self.helpful is None and self.entry_id is None:
            raise ValueError("send 'helpful' (true/false) or the right 'entry_id'")
        return self


class FeedbackStored(BaseModel):
    id: int
    model: str
    version: int
    kind: str


@router.post("/v1/models/{name}/feedback", status_code=201, response_model=FeedbackStored,
             responses=error_responses(401, 403, 404, 413, 422, 503),
             openapi_extra={"security": [{"HTTPBearer": []}]},
             summary="Say whether an answer helped (stored with personal data masked)")
async def post_feedback(request: Request, name: str = name_param()) -> JSON:
    """Stored against the version ``name`` resolves to now (``X-Bizforge-Version``)."""
    from bizforge.registry.feedback import record

    await authorize(request, "predict")
    state = request.app.state
    model_name, version = state.cache.resolve(name)
    request.state.model = (model_name, version)
    raw = await read_body(request, state.options.max_body_bytes)
    body = FeedbackRequest.model_validate_json(raw)
    payload = body.model_dump(exclude_none=True)
    stored = await run_in_threadpool(record, state.registry, model_name, version, "feedback",
                                     payload)
    return JSON({"id": stored, "model": model_name, "version": version, "kind": "feedback"},
                status_code=201, headers={"X-Bizforge-Version": str(version)})


def remember(registry: Any, model: Any, action: Any, request: BaseModel,
             answer: dict[str, Any]) -> None:
    """Store what ``action.remember`` returns for this answer (run after the response)."""
    from bizforge.registry.feedback import record

    try:
        event = action.remember(request, answer)
        if event:
            event = dict(event)
            kind = str(event.pop("kind", "handover"))
            record(registry, model.name, model.version, kind, event)
    except Exception as exc:  # noqa: BLE001 (the answer was sent; never fail after it)
        log_event("remember_failed", level=logging.WARNING, model=model.name,
                  version=model.version, action=action.name, error=type(exc).__name__)
