"""``/v1/models``: list, model card, promote (admin), delete (admin).

Paths never reach the file system: every ``{name}`` goes through the registry's
``parse_ref``/``check_name`` first, which accepts letters, digits, Chinese
characters, ``_`` and ``-`` only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from bizforge.errors import UsageError
from bizforge.serve.api.deps import get_cache, get_registry, require_role
from bizforge.serve.api.responses import JSON
from bizforge.serve.api.schemas import (
    Deleted,
    ModelCard,
    ModelList,
    PromoteRequest,
    VersionInfo,
    error_responses,
    name_param,
)

__all__ = ["router"]

router = APIRouter(tags=["models"])


def _public(mv: Any) -> dict[str, Any]:
    """A version as the API shows it: no server paths."""
    return {"name": mv.name, "version": mv.version, "aliases": list(mv.aliases),
            "created": mv.created, "task": mv.task, "metrics": mv.metrics,
            "broken": mv.broken}


def _bare_name(name: str) -> str:
    from bizforge.registry.refs import parse_ref

    ref = parse_ref(name)
    if ref.version is not None or ref.alias is not None:
        raise UsageError(f"'{name}' names a version or alias; this route takes a bare name.",
                         fix="put the version in the body: {\"version\": 3, \"alias\": "
                             "\"production\"}.")
    return ref.name


@router.get("/v1/models", summary="Published models", response_model=ModelList,
            responses=error_responses(401, 403, 503),
            dependencies=[Depends(require_role("predict"))])
async def list_models(registry=Depends(get_registry)) -> JSON:
    """One entry per name: latest and default version, aliases, task, headline metric."""
    rows = await run_in_threadpool(registry.list)
    return JSON({"models": rows})


@router.get("/v1/models/{name}", summary="Model card", response_model=ModelCard,
            responses=error_responses(401, 403, 404, 422, 503),
            dependencies=[Depends(require_role("predict"))])
async def model_card(name: str = name_param(), registry=Depends(get_registry)) -> JSON:
    """The card of ``name`` / ``name:3`` / ``name@staging``: task, metrics, data profile
    summary, training config, data fingerprint, library versions."""
    from bizforge.registry.refs import parse_ref

    ref = parse_ref(name)
    card = await run_in_threadpool(registry.card, ref)
    return JSON(card)


@router.post("/v1/models/{name}/promote", summary="Point an alias at a version (admin)",
             response_model=VersionInfo, responses=error_responses(401, 403, 404, 422, 503),
             dependencies=[Depends(require_role("admin"))])
async def promote(body: PromoteRequest, name: str = name_param(refs=False),
                  registry=Depends(get_registry),
                  cache=Depends(get_cache)) -> JSON:
    """Load the version first (so a broken artifact is never promoted and the first
    request after the switch finds it warm), then move the alias."""
    from bizforge.registry.refs import check_alias

    name = _bare_name(name)
    check_alias(body.alias)
    await cache.get(name, body.version)  # ModelNotFound 404 / ModelUnavailable 503
    mv = await run_in_threadpool(registry.promote, name, body.version, body.alias)
    cache.invalidate()
    return JSON(_public(mv))


@router.delete("/v1/models/{name}:{version}", summary="Delete a version (admin)",
               response_model=Deleted, responses=error_responses(401, 403, 404, 422, 503),
               dependencies=[Depends(require_role("admin"))])
async def delete_version(
    name: str = name_param(refs=False),
    version: int = Path(ge=1, le=999_999_999),
    force: bool = Query(False, description="also drop the aliases this version holds"),
    registry=Depends(get_registry), cache=Depends(get_cache),
) -> JSON:
    """Remove ``name:version``. A version that holds an alias is refused unless ``force``."""
    from bizforge.registry.refs import parse_ref

    ref = parse_ref(f"{name}:{version}")
    await run_in_threadpool(lambda: registry.delete(ref.name, ref.version, force=force))
    cache.evict(ref.name, ref.version)
    cache.invalidate()
    return JSON({"deleted": f"{ref.name}:{ref.version}"})
