"""``GET /healthz`` (open) and ``GET /metrics`` (Prometheus text; a key unless made public)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from bizforge import __version__
from bizforge.serve.api.responses import JSON
from bizforge.serve.api.schemas import Health, error_responses

__all__ = ["METRICS_RESPONSES", "metrics", "router"]

router = APIRouter(tags=["health"])


#: ``/metrics`` answers Prometheus text (the exposition format's own content type).
METRICS_RESPONSES = {
    200: {"description": "Prometheus text exposition", "content": {
        CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
    **error_responses(401, 403),
}


@router.get("/healthz", summary="Liveness and registry reachability", response_model=Health,
            responses={503: {"model": Health, "description": "the registry database does "
                                                             "not answer"}})
async def healthz(request: Request) -> JSON:
    """200 ``{"status": "ok"}`` while the registry answers, 503 ``degraded`` when it does not."""
    state = request.app.state
    body = {"status": "ok", "bizforge": __version__, "loaded": len(state.cache.loaded_refs)}
    try:
        await run_in_threadpool(state.registry.revision)
    except Exception as exc:  # noqa: BLE001 - report, do not crash
        from bizforge.serve.api.app import DB_RETRY_AFTER_S  # app imports this module

        body.update(status="degraded", registry=type(exc).__name__)
        return JSON(body, status_code=503, headers={"Retry-After": str(DB_RETRY_AFTER_S)})
    return JSON(body)


async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this server's counters and histograms.

    Registered by ``create_app``: behind a key unless ``ServerOptions.metrics_public``.
    """
    data, content_type = request.app.state.metrics.render()
    return Response(data, media_type=content_type)
