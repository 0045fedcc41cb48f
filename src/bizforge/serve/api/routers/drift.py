"""``GET /v1/models/{name}/drift``: served inputs against the training data, per feature."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from bizforge.serve.api.deps import require_role
from bizforge.serve.api.responses import JSON
from bizforge.serve.api.schemas import DriftReport, error_responses, name_param

__all__ = ["router"]

router = APIRouter(tags=["models"])


@router.get("/v1/models/{name}/drift", summary="Input and prediction drift",
            response_model=DriftReport, responses=error_responses(401, 403, 404, 422, 503),
            dependencies=[Depends(require_role("predict"))])
async def drift(
    request: Request,
    name: str = name_param(),
    since: str = Query("7d", pattern=r"^[1-9][0-9]{0,4}[mhdwMHDW]$",
                       description="period to look back over: 30m, 12h, 7d or 2w"),
) -> JSON:
    """PSI and a chi-square test per input feature and for the predicted-class mix, over
    the rows every server sharing this registry scored in the period, most drifted first,
    with what to do. This server's latest counts are stored first."""
    from bizforge.registry.monitor import drift_report

    state = request.app.state
    await run_in_threadpool(state.drift.flush)
    report = await run_in_threadpool(drift_report, state.registry, name, since=since)
    return JSON(report)
