"""``POST /v1/models/{name}/{action}``: every REST verb a model's predictor lists.

A family's predictor lists its verbs as :class:`~bizforge.families.base.Action` s
(``predict``, ``forecast``, ``recommend``, ``similar``, ``answer``, ...). This route
serves all of them the same way, never naming a family: the key is checked (the
``predict`` role), the reference resolved, the model loaded (once), the body read
within the size limit and validated against the action's request model (a 422
naming the field), the handler run in the model's own thread and its answer checked
against the action's response model. An ``upload`` action also takes a
``multipart/form-data`` body: its files go to the action's ``from_upload``.

``predict`` of a row-table predictor keeps its own fast route (``predict.py``);
this route registers after it, so that and ``predict:batch`` match first.

>>> client.post("/v1/models/shop/similar", json={"item": "A12", "k": 5})   # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from bizforge.errors import UsageError
from bizforge.serve.api.deps import authorize
from bizforge.serve.api.limits import UnsupportedUpload, read_body, receive_files
from bizforge.serve.api.responses import JSON
from bizforge.serve.api.schemas import error_responses, name_param

__all__ = ["ActionLane", "answer", "explain_refused", "router", "serve_action"]

router = APIRouter(tags=["predict"])
_BODY = {"required": True, "description": "the action's request model: see the "
         "`/v1/models/<name>/<action>` paths below and their `<name>_v<N>_<action>` schemas.",
         "content": {"application/json": {"schema": {"type": "object"}},
                     "multipart/form-data": {"schema": {"type": "object", "properties": {
                         "file": {"type": "array", "items": {
                             "type": "string", "format": "binary"}}}}}}}


async def answer(request: Request, model: Any, name: str) -> JSON:
    """Validate the body against action ``name`` of ``model``, run it, answer its response."""
    action = model.action(name)  # 404 naming the model's actions
    request.state.action = name  # the access log and the metrics label requests with it
    state = request.app.state
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        if not action.upload or action.from_upload is None:
            raise UnsupportedUpload(
                f"action '{name}' of model {model.name} takes JSON, not a file upload.",
                fix=f"send Content-Type: application/json with the '{name}' request body "
                    "(see /openapi.json).")
        files = await receive_files(request, state.options.max_body_bytes,
                                    state.options.max_rows)
        request.state.rows = len(files)
        body = await model.run(action.from_upload, files)  # decoding images is work too
    else:
        raw = await read_body(request, state.options.max_body_bytes)
        body = action.request.model_validate_json(raw)
    result = await model.act(action, body)
    if action.finish is not None:  # I/O-bound second step, off the model's thread
        result = await run_in_threadpool(model.finish, action, body, result)
    # The body is exactly the action's response model; which version answered is in
    # the headers (as for predict:batch). What the model remembers is stored after
    # the answer is sent.
    later = None
    if action.remember is not None:
        from bizforge.serve.api.routers.feedback import remember

        later = BackgroundTask(remember, state.registry, model, action, body, result)
    return JSON(result, headers={"X-Bizforge-Model": quote(model.name, safe=""),
                                 "X-Bizforge-Version": str(model.version)}, background=later)


def explain_refused(request: Request) -> None:
    """``?explain=`` is for the row-table fast path; elsewhere a clear 422, not ignored."""
    if not request.scope.get("query_string"):  # most requests: nothing to parse
        return
    if request.query_params.get("explain", "").strip().lower() not in ("", "0", "false", "no",
                                                                        "off"):
        raise UsageError("?explain applies to the predictions of table and text models.",
                         fix="leave ?explain out for this model.")


@router.post("/v1/models/{name}/{action}", openapi_extra={
                 "requestBody": _BODY,
                 "security": [{"HTTPBearer": []}]},
             responses={200: {"description": "the action's response model",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                        **error_responses(401, 403, 404, 413, 415, 422, 503)},
             summary="Run one of a model's actions (forecast, recommend, similar, ...)")
async def run_action(request: Request, name: str = name_param(),
                     action: str = Path(description="one of the model's actions (listed "
                                                    "in /openapi.json)")) -> JSON:
    """The action's request model in, its response model out (headers
    ``X-Bizforge-Model``/``-Version`` say which version answered); an unknown action
    is a 404 naming the actions the model has."""
    return await serve_action(request, name, action)


async def serve_action(request: Request, name: str, action: str) -> JSON:
    """:func:`run_action`'s work, shared with :class:`ActionLane`."""
    await authorize(request, "predict")
    explain_refused(request)
    state = request.app.state
    model_name, version = state.cache.resolve(name)
    request.state.model = (model_name, version)
    model = await state.cache.get(model_name, version)
    return await answer(request, model, action)


class ActionLane:
    """Pure ASGI middleware: ``POST /v1/models/{name}/{action}`` straight to
    :func:`serve_action`.

    The router's matching (every route tried in turn) and FastAPI's per-request
    dependency solving and exit stacks cost more CPU than a recommendation from
    memory. The first request to a path goes through the router as usual and the
    lane remembers which route answered it (so route order and the fixed routes such
    as ``/predict`` and ``/feedback`` keep their meaning); later requests to a path
    that :func:`run_action` answered are served directly, their errors going to the
    app's own exception handlers, so the answers are those of the routed path.
    Everything else passes through untouched.
    """

    def __init__(self, app, max_paths: int = 4096):
        self.app = app
        self.max_paths = max_paths
        self.lanes: dict[str, Any] = {}  # path -> the run_action route, or None: another

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope["method"] != "POST"
                or not scope["path"].startswith("/v1/models/")):
            return await self.app(scope, receive, send)
        path = scope["path"]
        route = self.lanes.get(path, _UNSEEN)
        if route is _UNSEEN:
            try:
                return await self.app(scope, receive, send)
            finally:
                self._learn(path, scope.get("route"))
        if route is None:
            return await self.app(scope, receive, send)
        name, action = path[len("/v1/models/"):].split("/")
        scope["route"] = route  # the access log and metrics label the request with it
        scope["path_params"] = {"name": name, "action": action}
        request = Request(scope, receive, send)
        try:
            response = await serve_action(request, name, action)
        except Exception as exc:
            handler = _handler(scope["app"], exc)
            if handler is None:
                raise  # the access log answers a JSON 500 with a request id
            response = (await handler(request, exc) if inspect.iscoroutinefunction(handler)
                        else await run_in_threadpool(handler, request, exc))
            exc.__traceback__ = None
        await response(scope, receive, send)

    def _learn(self, path: str, route: Any) -> None:
        if route is None:  # refused before routing: nothing learnt
            return
        if len(self.lanes) >= self.max_paths:
            self.lanes.clear()
        ok = getattr(route, "endpoint", None) is run_action and path.count("/") == 4
        self.lanes[path] = route if ok else None


_UNSEEN = object()


def _handler(app, exc: Exception) -> Any:
    """The app's exception handler for ``exc`` (as Starlette's ExceptionMiddleware finds it)."""
    handlers = app.exception_handlers
    if isinstance(exc, HTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls in handlers and cls is not Exception:
            return handlers[cls]
    return None
