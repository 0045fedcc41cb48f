"""Models (list, card, report, promote / roll back / delete with confirmation) and Try it."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from bizforge.registry.refs import DEFAULT_ALIAS, Ref, check_alias, check_name
from bizforge.serve.console.forms import read_fields, schema_fields
from bizforge.serve.console.monitor import line_chart
from bizforge.serve.console.pages import ConsoleError, form_of, page, redirect, render, require
from bizforge.serve.console.routes_data import report_response

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _url(name: str) -> str:
    return "/models/" + quote(name, safe="")


@router.get("/models")
@page
async def models_page(request: Request):
    session = require(request)
    rows = await run_in_threadpool(request.app.state.registry.list)
    return render(request, "models.html", session=session, rows=rows)


def _findings(path: Path) -> list[dict[str, Any]]:
    """The training data's findings when the model folder keeps its profile."""
    try:
        doc = json.loads((path / "profile.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [f for f in doc.get("findings") or [] if isinstance(f, dict)]


@router.get("/models/{name}")
@page
async def model_page(request: Request, name: str, version: int | None = None,
                     published: int | None = None):
    session = require(request)
    registry = request.app.state.registry
    name = check_name(name)
    versions = await run_in_threadpool(registry.versions, name)
    chosen = next((v for v in versions if v.version == version), None) or \
        next((v for v in versions if DEFAULT_ALIAS in v.aliases), versions[-1])
    findings = await run_in_threadpool(_findings, chosen.path)
    has_report = (chosen.path / "report.html").is_file()
    return render(request, "model.html", session=session, name=name, versions=versions,
                  mv=chosen, card=chosen.card, findings=findings, has_report=has_report,
                  published=published, default_alias=DEFAULT_ALIAS)


@router.get("/models/{name}/{version}/report")
@page
async def model_report(request: Request, name: str, version: int):
    require(request)
    mv = await run_in_threadpool(request.app.state.registry.get,
                                 Ref(check_name(name), int(version), None))
    return report_response(mv.path / "report.html")


async def _confirm(request: Request, session, form, message: tuple[str, dict], action: str):
    fields = {k: str(v) for k, v in form.items() if k not in ("csrf", "confirm")}
    return render(request, "confirm.html", session=session, message=message, action=action,
                  fields=fields, back=action.rsplit("/", 1)[0])


@router.post("/models/{name}/promote")
@page
async def model_promote(request: Request, name: str):
    session = require(request, "admin")
    form = await form_of(request, session)
    name, alias = check_name(name), check_alias(str(form.get("alias") or DEFAULT_ALIAS))
    version = _version(form)
    if form.get("confirm") != "yes":
        return await _confirm(request, session, form, ("models.confirm.promote", {
            "name": name, "alias": alias, "version": version}), _url(name) + "/promote")
    cache = request.app.state.cache
    await cache.get(name, version)  # a broken artifact is never promoted
    await run_in_threadpool(request.app.state.registry.promote, name, version, alias)
    cache.invalidate()
    return redirect(f"{_url(name)}?version={version}")


@router.post("/models/{name}/rollback")
@page
async def model_rollback(request: Request, name: str):
    session = require(request, "admin")
    form = await form_of(request, session)
    name, alias = check_name(name), check_alias(str(form.get("alias") or DEFAULT_ALIAS))
    if form.get("confirm") != "yes":
        return await _confirm(request, session, form, ("models.confirm.rollback", {
            "name": name, "alias": alias}), _url(name) + "/rollback")
    mv = await run_in_threadpool(request.app.state.registry.rollback, name, alias)
    request.app.state.cache.invalidate()
    return redirect(f"{_url(name)}?version={mv.version}")


@router.post("/models/{name}/delete")
@page
async def model_delete(request: Request, name: str):
    session = require(request, "admin")
    form = await form_of(request, session)
    name, version = check_name(name), _version(form)
    if form.get("confirm") != "yes":
        return await _confirm(request, session, form, ("models.confirm.delete", {
            "ref": f"{name}:{version}"}), _url(name) + "/delete")
    force = form.get("force") == "yes"
    registry, cache = request.app.state.registry, request.app.state.cache
    await run_in_threadpool(lambda: registry.delete(name, version, force=force))
    cache.evict(name, version)
    cache.invalidate()
    left = [r for r in await run_in_threadpool(registry.list) if r["name"] == name]
    return redirect(_url(name) if left else "/models")


def _version(form) -> int:
    try:
        version = int(str(form.get("version") or ""))
    except ValueError:
        raise ConsoleError("choose a version number.", fix="pick one from the list.") from None
    if not 1 <= version <= 999_999_999:
        raise ConsoleError("choose a version number.", fix="pick one from the list.")
    return version


# -- try it --------------------------------------------------------------------------------
@router.get("/try")
@page
async def try_index(request: Request):
    session = require(request)
    rows = await run_in_threadpool(request.app.state.registry.list)
    if len(rows) == 1:
        return redirect("/try/" + quote(rows[0]["name"], safe=""))
    return render(request, "try_index.html", session=session, rows=rows)


def _choices(predictor: Any) -> dict[str, list[str]]:
    """Known category values per input column, from the training reference."""
    reference = (getattr(predictor, "info", None) or {}).get("drift_reference") or {}
    out = {}
    for column, feature in (reference.get("features") or {}).items():
        if isinstance(feature, dict) and feature.get("kind") == "categorical":
            labels = [str(x) for x in feature.get("labels") or []
                      if x not in ("(other)", "(missing)")]
            if labels:
                out[str(feature.get("column", column))] = labels
    return out


def _forms(model: Any) -> list[dict[str, Any]]:
    """One form per action: the typed row for a table model's predict, else the request."""
    forms = []
    for action in model.actions.values():
        if action.table_rows and model.fast:
            schema = model.row_model.model_json_schema(by_alias=True)
            info = getattr(model.predictor, "info", None) or {}
            texts = {str(c.get("name")) for c in info.get("input_schema") or []
                     if isinstance(c, dict) and c.get("role") == "text"}
            fields = schema_fields(schema, choices=_choices(model.predictor), long_text=texts)
        else:
            fields = schema_fields(action.request.model_json_schema(), skip_hidden=False)
        upload = bool(action.upload and action.from_upload)
        if upload:
            # The files are the request (e.g. images): their base64 JSON twin is no field for
            # a person, and nothing else may block sending the form.
            fields = [dataclasses.replace(f, required=False) for f in fields if f.kind != "json"]
        forms.append({"action": action.name, "summary": action.summary, "fields": fields,
                      "upload": upload, "rows": bool(action.table_rows and model.fast)})
    return forms


def _as_text(value: Any, kind: str) -> str:
    """A request value as its form field shows it (lists one per line, nested as JSON)."""
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def _examples(model: Any, forms: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Each form's starting values: the predictor's example request (see
    ``FamilyPredictor.example``), or nothing; a failing example never breaks the page."""
    out: dict[str, dict[str, str]] = {}
    example = getattr(model.predictor, "example", None)
    for f in forms:
        try:
            given = example(f["action"]) if callable(example) else None
        except Exception:  # noqa: BLE001 - a convenience only
            given = None
        kinds = {x.name: x.kind for x in f["fields"]}
        out[f["action"]] = {k: _as_text(v, kinds[k]) for k, v in (given or {}).items()
                            if k in kinds}
    return out


async def _loaded(request: Request, ref: str):
    cache = request.app.state.cache
    name, version = cache.resolve(ref)
    return await cache.get(name, version)


@router.get("/try/{name}")
@page
async def try_page(request: Request, name: str):
    session = require(request)
    model = await _loaded(request, name)
    forms = _forms(model)
    return render(request, "try.html", session=session, model=model, forms=forms,
                  answer=None, action=None, values=_examples(model, forms), chart=None)


@router.post("/try/{name}/{action}")
@page
async def try_run(request: Request, name: str, action: str):
    session = require(request)
    state = request.app.state
    limit = state.options.max_body_bytes
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > limit:
        from bizforge.serve.api.limits import PayloadTooLarge

        raise PayloadTooLarge(f"the form is larger than {limit // 2**20} MB or has no length.",
                              fix="send fewer or smaller files.")
    form = await request.form(max_files=state.options.max_rows, max_fields=1000)
    from bizforge.serve.console.pages import check_csrf

    check_csrf(request, form.get("csrf"), session)
    model = await _loaded(request, name)
    request.state.model = (model.name, model.version)  # counted on the Monitor page
    chosen = next(f for f in _forms(model) if f["action"] == model.action(action).name)
    values = read_fields(chosen["fields"], form)
    act = model.action(action)
    if chosen["rows"]:
        answer = await _predict_row(request, model, values)
    else:
        if chosen["upload"] and any(getattr(v, "filename", None) for v in form.getlist("file")):
            files = [(f.filename, await f.read()) for f in form.getlist("file")
                     if getattr(f, "filename", None)]
            body = await model.run(act.from_upload, files)
        else:
            body = act.request.model_validate(values)
        answer = await model.act(act, body)
    forms = _forms(model)
    values = _examples(model, forms)
    values[chosen["action"]] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    return render(request, "try.html", session=session, model=model, forms=forms,
                  answer=answer, action=chosen["action"], values=values, chart=_chart(answer))


async def _predict_row(request: Request, model: Any, values: dict[str, Any]) -> dict[str, Any]:
    rows = model.request_model.model_validate({"rows": [values]}).rows
    model.read_numbers(rows)
    answers = await model.run(model.explain, rows)
    if model.classification:
        request.app.state.metrics.count_labels(model.name, model.version,
                                               [a["label"] for a in answers])
    return answers[0]


def _chart(answer: Any) -> dict[str, Any] | None:
    """A line chart of the first series in the answer (a list of numbers, or of rows with
    numbers: forecasts), if there is one."""
    series: dict[str, list[float]] = {}

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    def walk(value: Any, name: str) -> None:
        if series or not isinstance(value, (dict, list)):
            return
        if isinstance(value, list) and len(value) >= 4:
            if all(number(v) for v in value):
                series[name or "value"] = [float(v) for v in value]
                return
            if all(isinstance(v, dict) for v in value):
                keys = [k for k in value[0] if all(number(v.get(k)) for v in value)]
                for k in keys[:3]:
                    series[k] = [float(v[k]) for v in value]
                if series:
                    return
        for k, v in (value.items() if isinstance(value, dict) else enumerate(value)):
            if k not in ("reasons", "probabilities"):  # shown as tables already
                walk(v, str(k))

    walk(answer, "")
    return line_chart(series) if series else None
