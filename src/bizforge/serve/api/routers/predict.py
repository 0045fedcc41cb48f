"""``POST /v1/models/{name}/predict`` (JSON rows) and ``.../predict:batch`` (file upload).

``{name}`` is ``churn`` (alias production, else the latest version),
``churn:3`` or ``churn@staging``. The key is checked first; only then is the
reference resolved, the model loaded (once) and the body read and validated
against the model's own row schema.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from bizforge.errors import UsageError
from bizforge.families.base import DataSource
from bizforge.serve.api.batch import BatchScorer, iter_chunks
from bizforge.serve.api.deps import authorize, require_role
from bizforge.serve.api.limits import (
    PayloadTooLarge,
    UnsupportedUpload,
    Upload,
    read_body,
    receive_upload,
)
from bizforge.serve.api.responses import JSON
from bizforge.serve.api.routers.actions import answer, explain_refused
from bizforge.serve.api.schemas import PredictResponse, error_responses, name_param

__all__ = ["router"]

router = APIRouter(tags=["predict"])
_REQUEST_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}},
    "description": "Each published model documents its own row fields: see the "
                   "`/v1/models/<name>/predict` paths below and the `<name>_v<N>_Row` schemas.",
}
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"}}}},
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
    },
}


def _resolve(request: Request, name: str) -> tuple[str, int]:
    model, version = request.app.state.cache.resolve(name)
    request.state.model = (model, version)  # read by the access log and the metrics
    return model, version


_EXPLAIN = {"name": "explain", "in": "query", "required": False,
            "description": "add the top reasons of every prediction",
            "schema": {"type": "boolean", "default": False}}
# The spellings FastAPI reads as a boolean; anything else is a 422, not a silent "no".
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        raise UsageError(f"query parameter '{name}' must be true or false.",
                         fix=f"send ?{name}=true or leave it out.")
    return False


# The hot path: no FastAPI dependencies or query models (they cost as much as the rest of
# a one-row request); the key is checked by authorize() first thing, the query read by hand.
@router.post("/v1/models/{name}/predict", response_model=PredictResponse,
             openapi_extra={"requestBody": _REQUEST_BODY, "parameters": [_EXPLAIN],
                            "security": [{"HTTPBearer": []}]},
             responses=error_responses(401, 403, 404, 413, 422, 503),
             summary="Predict a few rows (JSON)")
async def predict(request: Request, name: str = name_param()) -> JSON:
    """Labels and class probabilities (or values, for regression) of 1 to 10,000 rows.

    Values may be sent as text: they are read with the model's stored schema
    (``"42"`` for a number is 42). A value that does not fit is a 422 naming the field.
    """
    await authorize(request, "predict")
    explain = _flag(request, "explain")
    state = request.app.state
    model_name, version = _resolve(request, name)
    model = await state.cache.get(model_name, version)
    if not model.fast:  # not a row table: the predictor's own predict action
        explain_refused(request)
        return await answer(request, model, "predict")
    body = await read_body(request, state.options.max_body_bytes)
    try:
        rows = model.request_model.model_validate_json(body).rows
    except ValidationError as exc:
        if any(e["type"] == "too_long" and tuple(e["loc"]) == ("rows",) for e in exc.errors()):
            raise PayloadTooLarge(
                f"at most {state.options.max_rows} rows per request.",
                fix="split the rows over several requests, or upload a file to "
                    "/predict:batch.") from None
        raise
    request.state.rows = len(rows)
    model.read_numbers(rows)
    if explain:
        answers = await model.run(model.explain, rows)
    else:
        answers = await model.batcher.submit(rows)
    if model.classification:
        state.metrics.count_labels(model_name, version, (a["label"] for a in answers))
    return JSON({"model": model_name, "version": version, "threshold": model.threshold,
                 "predictions": answers})


def _chunks(model, upload: Upload, options):
    """The upload's chunks: read here for row tables (as always), else by the family's
    ``batches`` (which may read a .zip of files, or refuse the input naming why)."""
    if model.fast:
        if upload.format == "zip":
            raise UnsupportedUpload("the upload is a .zip; this model scores CSV or Parquet "
                                    "files.", fix="upload a .csv or .parquet file.")
        return iter_chunks(upload.path, upload.format, options.batch_chunk_rows)
    named = upload.path.with_name(f"upload.{upload.format}")  # readers go by the suffix
    upload.path.rename(named)
    upload.path = named
    return model.predictor.batches(DataSource(named), options.batch_chunk_rows)


@router.post("/v1/models/{name}/predict:batch", openapi_extra={"requestBody": _UPLOAD_BODY},
             response_class=FileResponse, summary="Score a CSV or Parquet file",
             responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                              "description": "the rows with prediction and probability"},
                        **error_responses(401, 403, 404, 413, 415, 422, 503)})
async def predict_batch(
    request: Request,
    name: str = name_param(),
    explain: bool = Query(False, description="add a reasons column"),
    _key=Depends(require_role("predict")),
) -> FileResponse:
    """Upload a file (form field ``file``, or the raw body with Content-Type text/csv or
    application/vnd.apache.parquet); get back a CSV of the rows plus ``prediction``,
    ``probability`` (and ``reasons``). The file is streamed to disk and scored in chunks
    (a model whose family reads folders of files also takes a ``.zip``)."""
    state = request.app.state
    model_name, version = _resolve(request, name)
    model = await state.cache.get(model_name, version)
    folder = Path(tempfile.mkdtemp(prefix="bizforge-batch-"))
    try:
        upload = await receive_upload(request, state.options.max_upload_bytes, folder)
        out = folder / "scored.csv"
        scorer = BatchScorer(model.predictor, _chunks(model, upload, state.options), out,
                             explain=explain, classification=model.classification,
                             observe=model.observe)
        try:
            # One chunk per call in the model's thread: online requests run in between.
            while await model.run(scorer.step):
                pass
        finally:
            scorer.close()
        upload.path.unlink(missing_ok=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    request.state.rows = scorer.rows
    state.metrics.add_counts(model_name, version, dict(scorer.label_counts))
    headers = {"X-Bizforge-Model": quote(model_name, safe=""), "X-Bizforge-Version": str(version),
               "X-Bizforge-Rows": str(scorer.rows)}
    return FileResponse(out, media_type="text/csv; charset=utf-8", headers=headers,
                        filename="scored.csv",
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
