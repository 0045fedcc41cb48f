"""The FastAPI application factory: ``create_app(settings=None, registry=None)``.

Everything the app needs is injected (settings, registry, options) so tests
build it on a temporary home with ``TestClient(create_app(registry=reg))``.
Library errors become JSON ``{type, loc, msg}`` answers with their HTTP status
(401/403 for keys, 404 unknown model, 413 too large, 422 bad input, 503 a model
that cannot be loaded or a registry database that does not answer); an unexpected error is a 500 with a request id, logged
without any request data.

>>> app = create_app(registry=Registry(home=tmp))            # doctest: +SKIP
>>> TestClient(app).get("/healthz").json()["status"]         # doctest: +SKIP
'ok'
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from bizforge import __version__
from bizforge.config import Settings, get_settings
from bizforge.errors import BizforgeError, ConfigError, DataError, ModelError
from bizforge.serve.api.cache import ModelCache
from bizforge.serve.api.deps import KeyCheck, require_role
from bizforge.serve.api.drift import DriftMonitor
from bizforge.serve.api.logging import log_event
from bizforge.serve.api.metrics import ServerMetrics
from bizforge.serve.api.responses import JSON, error_response
from bizforge.serve.api.routers import actions, drift, feedback, health, models, predict

__all__ = ["ServerOptions", "create_app"]

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Request ids: a per-process random prefix and a counter (os.urandom per request is slow).
_PREFIX = secrets.token_hex(4)
_COUNTER = itertools.count(1)
_NO_TELEMETRY = {"tracing": False, "metrics": False, "logs": False}
DB_RETRY_AFTER_S = 2  # Retry-After of a 503 while the registry database is unreachable


@dataclass
class ServerOptions:
    """Limits and switches of one server (defaults are the documented ones)."""

    auth: bool = True
    max_body_bytes: int = 10 * 2**20  # JSON predict body
    max_rows: int = 10_000  # rows per JSON request
    max_upload_bytes: int = 2**30  # predict:batch upload
    batch_chunk_rows: int = 10_000  # rows scored per step of an upload
    batch_rows: int = 512  # most rows coalesced into one model call
    max_models: int = 8  # loaded versions kept in memory
    retry_after: float = 10.0  # seconds before a failed load is tried again
    key_ttl: float = 30.0  # seconds a checked key is remembered (registry changes clear it)
    registry_poll: float = 0.2  # seconds between looks for changes made outside this server
    metrics_public: bool = False  # /metrics without a key (for a scraper on a private network)
    preload: bool = True  # load every model's default version at startup
    docs: bool | None = None  # Swagger UI at /docs; default: only without auth
    drift_flush: float = 60.0  # seconds between stores of served-row tallies (0: only on demand)
    # FastAPI's own OpenTelemetry hooks (traces/metrics/logs to the process's global OTel
    # providers). Off by default: the server has its Prometheus metrics and JSON logs, and
    # the check whether a provider is set costs every request its share.
    opentelemetry: bool = False


def create_app(settings: Settings | None = None, registry: Any = None,
               options: ServerOptions | None = None, *, verify_key: Any = None,
               console: Any = True) -> FastAPI:
    """Build the app. ``registry`` defaults to the one in ``settings.home``;
    ``verify_key(secret) -> KeyInfo | None`` defaults to the registry's key store.
    ``console``: the web console at ``/`` (True, False, or its ``ConsoleOptions``)."""
    settings = settings or get_settings()
    options = options or ServerOptions()
    owns_registry = registry is None
    if owns_registry:
        from bizforge.registry import Registry

        registry = Registry(url=settings.database_url, home=settings.home)
    docs = options.docs if options.docs is not None else not options.auth
    app = FastAPI(
        title="bizforge", version=__version__, lifespan=_lifespan,
        description="Predictions from the models in this bizforge registry. Send "
                    "`Authorization: Bearer KEY` (a key from `bizforge keys create`).",
        openapi_url=None, docs_url=None, redoc_url=None,
        default_response_class=JSON,
        telemetry=None if options.opentelemetry else _NO_TELEMETRY,
    )
    state = app.state
    state.settings, state.registry, state.options = settings, registry, options
    state.owns_registry = owns_registry
    state.metrics = ServerMetrics()
    state.cache = ModelCache(registry, max_models=options.max_models,
                             max_rows=options.max_rows, batch_rows=options.batch_rows,
                             retry_after=options.retry_after, poll=options.registry_poll,
                             metrics=state.metrics)
    state.drift = DriftMonitor(registry, state.cache, state.metrics,
                               interval=options.drift_flush)
    state.keys = None
    state.services = []  # started and stopped with the app: .start() / .stop()
    if options.auth:
        verify = verify_key or _registry_verifier(registry)
        state.keys = KeyCheck(verify, ttl=options.key_ttl)
        state.cache.on_change.append(state.keys.clear)  # a revoked key stops at once

    _handlers(app)
    app.add_middleware(actions.ActionLane)  # inside the access log: logged and counted alike
    app.add_middleware(AccessLog)
    app.include_router(predict.router)
    app.include_router(models.router)
    app.include_router(drift.router)
    app.include_router(health.router)
    app.include_router(feedback.router)
    app.include_router(actions.router)  # last: /{name}/{action} must not shadow the others
    read = [] if not options.auth else [Depends(require_role("predict"))]
    app.add_api_route("/metrics", health.metrics, methods=["GET"], tags=["health"],
                      summary="Prometheus metrics", include_in_schema=True,
                      response_class=Response,
                      responses=health.METRICS_RESPONSES if read else
                      {200: health.METRICS_RESPONSES[200]},
                      dependencies=[] if options.metrics_public else read)
    app.add_api_route("/openapi.json", _openapi, methods=["GET"], include_in_schema=False,
                      dependencies=read)
    if docs:
        from fastapi.openapi.docs import get_swagger_ui_html

        async def swagger(request: Request):
            return get_swagger_ui_html(openapi_url="/openapi.json", title="bizforge API")

        app.add_api_route("/docs", swagger, methods=["GET"], include_in_schema=False)
    if console:
        from bizforge.serve.console import mount_console

        mount_console(app, None if console is True else console)
    return app


def _registry_verifier(registry: Any):
    from bizforge.registry.keys import verify_key

    def verify(secret: str):
        return verify_key(secret, registry=registry)

    return verify


async def _openapi(request: Request) -> JSON:
    from bizforge.serve.api.openapi import build_openapi

    return JSON(await run_in_threadpool(build_openapi, request.app))


@asynccontextmanager
async def _lifespan(app: FastAPI):
    state = app.state
    log_event("server_started", auth=state.keys is not None, bizforge=__version__)
    if state.options.preload:
        # In the background: the server answers /healthz at once, models warm up meanwhile.
        threading.Thread(target=_preload, args=(state,), daemon=True,
                         name="bizforge-preload").start()
    state.drift.start()
    for service in state.services:
        service.start()
    try:
        yield
    finally:
        for service in reversed(state.services):
            service.stop()
        state.drift.stop()  # the last counts go to the registry before the models go
        state.cache.close()
        if state.owns_registry:
            state.registry.close()
        log_event("server_stopped")


def _preload(state) -> None:
    try:
        rows = state.registry.list()
    except Exception as exc:  # noqa: BLE001 - the server runs without preloading
        log_event("preload_failed", level=30, error=type(exc).__name__)
        return
    for row in rows[: state.options.max_models]:
        try:
            state.cache.load(row["name"], row["default"])
        except Exception:  # noqa: BLE001, S112 - logged by the cache; served as 503 later
            continue


# -- errors ---------------------------------------------------------------------------
def _status(exc: BizforgeError) -> int:
    status = int(getattr(exc, "http_status", 500) or 500)
    if isinstance(exc, ConfigError) or (isinstance(exc, ModelError) and status >= 500):
        return 503  # the server's setup or an artifact, not the caller's request
    return status


async def _bizforge_error(request: Request, exc: BizforgeError) -> JSON:
    status = _status(exc)
    body = exc.to_dict()
    body["msg"] = _without_home(request, body["msg"])
    if isinstance(exc, DataError) and exc.column is not None:
        rows = getattr(request.state, "rows", None)
        if exc.rows and rows is not None and request.url.path.endswith("/predict"):
            body["loc"] = ["body", "rows", exc.rows[0] - 1, exc.column]
        elif exc.rows:
            body["rows"] = exc.rows[:20]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSON(body, status_code=status, headers=headers)


def _without_home(request: Request, text: str) -> str:
    """Messages name the registry's folder; a remote caller need not learn server paths."""
    home = getattr(request.app.state.registry, "home", None)
    if home is None:
        return text
    for shown in {str(home), str(home.resolve())}:
        text = text.replace(f" at '{shown}'", "").replace(shown, "<home>")
    return text


async def _validation_error(request: Request, exc: Exception) -> JSON:
    errors = [{"type": e.get("type", "value_error"),
               "loc": ["body", *e.get("loc", ())] if isinstance(exc, ValidationError)
               else list(e.get("loc", ())),
               "msg": e.get("msg", "invalid value").removeprefix("Value error, ")}
              for e in exc.errors()]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"][1:]) or "body"
    # Values are never echoed ('input'/'ctx' dropped): they may be personal data.
    return error_response(422, "ValidationError", f"{where}: {first['msg']}", first["loc"],
                          errors=errors)


async def _http_error(request: Request, exc: HTTPException) -> JSON:
    detail = exc.detail if isinstance(exc.detail, str) else "request refused"
    return error_response(exc.status_code, "HTTPError", detail, headers=exc.headers)


async def _database_error(request: Request, exc: Exception) -> JSON:
    # The registry database is down or restarting: the caller may retry, the server
    # recovers by itself (the pool replaces dead connections on checkout).
    log_event("registry_unreachable", level=30, error=type(exc).__name__)
    return error_response(503, "RegistryUnavailable",
                          "the registry database is unreachable; nothing was changed. "
                          f"Fix: retry in {DB_RETRY_AFTER_S} s.",
                          headers={"Retry-After": str(DB_RETRY_AFTER_S)})


def _handlers(app: FastAPI) -> None:
    import sqlalchemy as sa

    app.add_exception_handler(BizforgeError, _bizforge_error)
    # DBAPIError: connection refused / dropped mid-query; TimeoutError: pool exhausted.
    app.add_exception_handler(sa.exc.DBAPIError, _database_error)
    app.add_exception_handler(sa.exc.TimeoutError, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)


# -- access log + metrics + last-resort 500 -------------------------------------------
class AccessLog:
    """Pure ASGI middleware: one JSON log line and the metrics per request.

    Logs the route template (``/v1/models/{name}/predict``), never the query
    string, headers or body; catches anything unexpected so the answer is a JSON
    500 with a request id instead of a traceback (the log gets the exception type
    and file:line frames only).
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        rid = _request_id(scope)
        scope.setdefault("state", {})
        status = [500, False]  # status, response started

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status[0], status[1] = message["status"], True
                message["headers"] = [*message.get("headers", ()),
                                      (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # noqa: BLE001 - the last resort
            status[0] = 500
            log_event("unexpected_error", level=40, request_id=rid,
                      exc_info=(type(exc), exc, exc.__traceback__))
            if not status[1]:
                response = error_response(500, "InternalError",
                                          f"unexpected server error (request id {rid}); "
                                          "the server log has the details.")
                await response(scope, receive, send_with_id)
        finally:
            _record(scope, rid, status[0], time.perf_counter() - started)


def _request_id(scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(text):
                return text
    return f"{_PREFIX}-{next(_COUNTER):x}"


def _record(scope, rid: str, status: int, seconds: float) -> None:
    app_state = scope["app"].state
    route = getattr(scope.get("route"), "path", None) or "unmatched"
    method = scope.get("method", "")
    state = scope.get("state") or {}
    if state.get("action"):  # one of the model's own actions: a known, bounded set of names
        route = route.replace("{action}", state["action"])
    app_state.metrics.child(app_state.metrics.http, route, method, str(status)).inc()
    fields: dict[str, Any] = {"method": method, "route": route, "status": status,
                              "ms": round(seconds * 1000, 2), "request_id": rid}
    served = state.get("model")
    if served is not None:
        fields["model"], fields["version"] = served
        app_state.metrics.observe_predict(served[0], served[1], status, seconds)
    for key in ("rows", "key_id", "action"):
        if state.get(key) is not None:
            fields[key] = state[key]
    log_event("request", **fields)
