"""The REST verb of an answerer: ``POST /v1/models/{name}/answer`` (typed, for OpenAPI).

>>> AnswerRequest(question="How do I pay?").k
3
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bizforge.families.answer.feedback import remember_handover
from bizforge.families.answer.generator import finish_answer
from bizforge.families.base import Action

__all__ = ["AnswerRequest", "AnswerResponse", "actions"]

#: Longest question accepted over HTTP (characters); the model reads the first 2,000.
MAX_REQUEST_CHARS = 20_000


class AnswerRequest(BaseModel):
    """One customer question."""

    model_config = ConfigDict(extra="forbid")

    # At least one character that is not white space (Python's, which also counts the
    # separators \x1c-\x1f): the document says what the model answers.
    question: str = Field(..., min_length=1, max_length=MAX_REQUEST_CHARS,
                          pattern=r"[^\s\x1c-\x1f]",
                          description="The question, as the customer wrote it (the first "
                                      "2,000 characters are read).")
    k: int = Field(3, ge=0, le=50, description="How many next-best candidates to list.")
    generate: bool | None = Field(None, description="false: never ask the model's text "
                                                    "generator (--generator) for this question.")


class Source(BaseModel):
    entry_id: str
    file: str | None = None
    heading: str | None = None


class Highlight(BaseModel):
    start: int = Field(description="Character offset in `answer` where the sentence starts.")
    end: int
    text: str


class Candidate(BaseModel):
    entry_id: str
    text: str
    score: float


class AnswerResponse(BaseModel):
    question: str
    handover: bool = Field(description="True: not confident enough; pass the question to "
                                       "a person (`message` says so), `answer` is null.")
    message: str | None = None
    answer: str | None = Field(None, description="The entry's answer, or the passage that "
                                                 "holds it (see `highlight`).")
    entry_id: str | None = None
    score: float | None = Field(None, description="Fused retrieval score of the top entry.")
    confidence: float | None = Field(None, description="Calibrated probability that the "
                                                       "top entry is right.")
    source: Source | None = None
    highlight: Highlight | None = None
    candidates: list[Candidate] = Field(default_factory=list,
                                        description="The next-best entries.")
    notes: list[str] = []
    generated: bool = Field(False, description="True: `answer` was written by the model's "
                                               "text generator from the cited entries.")
    citations: list[str] = Field(default_factory=list,
                                 description="Entry ids the generated answer cites.")
    warning: str | None = Field(None, description="Why the generator's answer is missing "
                                                  "(the retrieved answer is given instead).")


def actions(predictor) -> list[Action]:
    """``answer`` bound to ``predictor``."""

    def answer(request: AnswerRequest) -> dict:
        return predictor.answer(request.question, request.k)

    def answer_many(requests: list[AnswerRequest]) -> list[dict]:
        """Questions that arrived together, in one retrieval (one call of the encoder)."""
        if len(requests) == 1:
            return [answer(requests[0])]
        for request in requests:  # a blank one fails the batch; it is re-run one by one
            if not request.question.strip():
                return [answer(r) for r in requests]
        results = predictor.answer_many([r.question for r in requests],
                                        max(r.k for r in requests))
        for request, result in zip(requests, results, strict=True):
            # as answer(question, k) lists them: k + 1 for a hand-over, k after an answer
            keep = request.k + 1 if result["handover"] else request.k
            result["candidates"] = result["candidates"][:keep]
        return results

    def finish(request: AnswerRequest, result: dict) -> dict:
        return finish_answer(predictor, request, result)

    return [Action("answer", AnswerRequest, AnswerResponse, answer,
                   summary="Answer a question from the knowledge base, or hand it over.",
                   finish=finish, remember=remember_handover, handle_many=answer_many)]
