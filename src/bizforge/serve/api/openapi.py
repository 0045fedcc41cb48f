"""The OpenAPI document, extended with each published model's own request schema.

FastAPI documents the generic routes; this adds, for every published model's
default version (alias ``production``, else the latest), a component
``<name>_v<N>_Row`` with one property per input column and its type, and a path
``/v1/models/<name>/predict`` whose body is ``{"rows": [<name>_v<N>_Row]}``, so a
client generator gets one typed operation per model. Every other action a model's
predictor lists (``forecast``, ``recommend``, ``similar``, ... and ``predict`` of
families that are not row tables) gets ``/v1/models/<name>/<action>`` with its
request and response models as ``<name>_v<N>_<action>_Request``/``_Response``
(and ``multipart/form-data`` for upload actions). Rebuilt when the registry
changes; a model that cannot be loaded is listed in ``x-bizforge-unavailable``.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bizforge.serve.api.schemas import (
    ErrorBody,
    PredictRequest,
    PredictResponse,
    component_name,
)

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


_ERRORS = ((401, "no or wrong API key"), (403, "the key's role may not predict"),
           (404, "unknown model, or an action this model does not have"),
           (413, "too many rows or files, or too large a body"),
           (415, "an upload this action does not take"),
           (422, "a field is missing or has a value of the wrong type"),
           (503, "the model cannot be loaded"))


def _errors() -> dict[str, Any]:
    return {str(code): {"description": what, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorBody"}}}} for code, what in _ERRORS}


def _operation(name: str, version: int, request_ref: str) -> dict[str, Any]:
    return {
        "tags": ["models: " + name],
        "summary": f"Predict with {name} (documented for version {version})",
        "operationId": f"predict_{request_ref}",
        "parameters": [{"name": "explain", "in": "query", "required": False,
                        "schema": {"type": "boolean", "default": False}}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{request_ref}"}}}},
        "responses": {"200": {"description": "predictions", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/PredictResponse"}}}}, **_errors()},
        "security": [{"HTTPBearer": []}],
    }


def _action_operation(name: str, version: int, action: Any, schemas: dict[str, Any]
                      ) -> dict[str, Any]:
    """One action of a model: its request and response models as components."""
    request_ref = component_name(name, version, f"{action.name}_Request")
    response_ref = component_name(name, version, f"{action.name}_Response")
    _add(schemas, request_ref, action.request.model_json_schema(ref_template=_REF))
    _add(schemas, response_ref, action.response.model_json_schema(ref_template=_REF))
    content: dict[str, Any] = {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{request_ref}"}}}
    if action.upload and action.from_upload is not None:
        content["multipart/form-data"] = {"schema": {"type": "object", "properties": {
            "file": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}
    return {
        "tags": ["models: " + name],
        "summary": action.summary or f"{action.name} with {name}",
        "description": f"Documented for version {version}.",
        "operationId": f"{action.name}_{request_ref}",
        "requestBody": {"required": True, "content": content},
        "responses": {"200": {"description": action.name, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{response_ref}"}}}}, **_errors()},
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
        for action in model.actions.values():
            path = f"/v1/models/{name}/{action.name}"
            if action.name == "predict" and model.fast:  # the row table's own typed rows
                request = model.request_model
                _add(schemas, request.__name__, request.model_json_schema(ref_template=_REF))
                doc["paths"][path] = {"post": _operation(name, version, request.__name__)}
            else:
                doc["paths"][path] = {"post": _action_operation(name, version, action,
                                                                schemas)}
    if unavailable:
        doc["x-bizforge-unavailable"] = unavailable
    state.openapi_doc = (revision, doc)
    return doc
