"""The OpenAPI document, extended with each published model's own request schema.

FastAPI documents the generic routes; this adds, for every published model's
default version (alias ``production``, else the latest), a component
``<name>_v<N>_Row`` with one property per input column and its type, and a path
``/v1/models/<name>/predict`` whose body is ``{"rows": [<name>_v<N>_Row]}``, so a
client generator gets one typed operation per model. Rebuilt when the registry
changes; a model that cannot be loaded is listed in ``x-bizforge-unavailable``.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bizforge.serve.api.schemas import ErrorBody, PredictRequest, PredictResponse

__all__ = ["build_openapi"]

_REF = "#/components/schemas/{model}"


def _base(app: FastAPI) -> dict[str, Any]:
    if getattr(app.state, "openapi_base", None) is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for model in (PredictRequest, PredictResponse, ErrorBody):
            _add(schemas, model.__name__, model.model_json_schema(ref_template=_REF))
        app.state.openapi_base = doc
    return app.state.openapi_base


def _add(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    for sub, value in schema.pop("$defs", {}).items():
        schemas[sub] = value
    schemas[name] = schema


def _operation(name: str, version: int, request_ref: str) -> dict[str, Any]:
    errors = {str(code): {"description": what, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
        for code, what in ((401, "no or wrong API key"), (403, "the key's role may not predict"),
                           (404, "unknown model"),
                           (413, "too many rows or too large a body"),
                           (422, "a field is missing or has a value of the wrong type"),
                           (503, "the model cannot be loaded"))}
    return {
        "tags": ["models: " + name],
        "summary": f"Predict with {name} (documented for version {version})",
        "operationId": f"predict_{request_ref}",
        "parameters": [{"name": "explain", "in": "query", "required": False,
                        "schema": {"type": "boolean", "default": False}}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{request_ref}"}}}},
        "responses": {"200": {"description": "predictions", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/PredictResponse"}}}}, **errors},
        "security": [{"HTTPBearer": []}],
    }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The whole document (blocking: may load models; call it from a worker thread)."""
    state = app.state
    revision = state.registry.revision()
    cached = getattr(state, "openapi_doc", None)
    if cached is not None and cached[0] == revision:
        return cached[1]
    doc = copy.deepcopy(_base(app))
    schemas = doc["components"]["schemas"]
    unavailable = []
    for row in state.registry.list():
        name, version = row["name"], row["default"]
        try:
            model = state.cache.loaded(name, version) or state.cache.load(name, version)
        except Exception:  # noqa: BLE001 - a broken model must not break the document
            unavailable.append(f"{name}:{version}")
            continue
        request = model.request_model
        _add(schemas, request.__name__, request.model_json_schema(ref_template=_REF))
        doc["paths"][f"/v1/models/{name}/predict"] = {
            "post": _operation(name, version, request.__name__)}
    if unavailable:
        doc["x-bizforge-unavailable"] = unavailable
    state.openapi_doc = (revision, doc)
    return doc
