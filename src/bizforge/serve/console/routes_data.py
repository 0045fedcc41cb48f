"""Data (upload, findings, masked preview) and Train (form, jobs, live progress) pages."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response, StreamingResponse

from bizforge.errors import BizforgeError
from bizforge.serve.api.limits import PayloadTooLarge, _parse_form, _too_large
from bizforge.serve.console import uploads
from bizforge.serve.console.forms import read_fields, schema_fields
from bizforge.serve.console.jobs import FINAL
from bizforge.serve.console.pages import (
    ConsoleError,
    check_csrf,
    form_of,
    lang_of,
    page,
    redirect,
    render,
    require,
    session_of,
)
from bizforge.serve.console.session import csp_headers

__all__ = ["router", "train_options"]

router = APIRouter(include_in_schema=False)


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


# -- data ----------------------------------------------------------------------------------
@router.get("/data")
@page
async def data_page(request: Request):
    session = require(request, "admin")
    console = request.app.state.console
    files = await run_in_threadpool(uploads.list_uploads, console.uploads)
    return render(request, "data.html", session=session, files=files,
                  limit=_size(console.options.max_upload_bytes), size=_size)


@router.post("/data")
@page
async def data_upload(request: Request):
    """Stream the file to disk within the size limit; the CSRF field comes with the form."""
    session = require(request, "admin")
    console = request.app.state.console
    limit = console.options.max_upload_bytes
    fix = "split the file or sample it; the console takes at most " + _size(limit) + "."
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + 65536:
        raise _too_large(limit, fix)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise ConsoleError("the upload is not a form.", fix="use the upload form.")
    folder = uploads.new_folder(console.uploads)
    got: dict[str, Any] = {"csrf": "", "names": [], "size": 0, "file": None}
    current = {"name": ""}

    def wanted(name: str) -> bool:
        current["name"] = name
        return name in ("csrf", "file")

    def sink(filename: str, _type: str):
        if current["name"] == "csrf":
            buffer = bytearray()
            got["csrf_buffer"] = buffer
            return buffer.extend
        if got["file"] is not None:
            return None  # one file per upload
        target = folder / uploads.safe_name(filename or "upload")
        got["file"], got["shown"] = target, filename or target.name
        handle = open(target, "wb")  # noqa: SIM115 - closed below
        got["handle"] = handle

        def write(data: bytes) -> None:
            got["size"] += len(data)
            handle.write(data)
        return write

    try:
        await _parse_form(request, limit, fix, wanted, sink)
    except PayloadTooLarge:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if got.get("handle") is not None:
            got["handle"].close()
    try:
        check_csrf(request, bytes(got.get("csrf_buffer") or b"").decode("utf-8", "replace"),
                   session)
        if got["file"] is None or got["size"] == 0:
            raise ConsoleError("the form has no file, or the file is empty.",
                               fix="choose a file, then press Upload.")
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    await run_in_threadpool(uploads.save_meta, folder, got["shown"], got["file"], got["size"])
    return redirect(f"/data/{folder.name}")


@router.get("/data/{upload_id}")
@page
async def data_view(request: Request, upload_id: str, task: str | None = None,
                    target: str | None = None):
    """The findings; ``task``/``target`` inspect the file as that task asks (a long table as
    a forecast of ``target``)."""
    session = require(request, "admin")
    console = request.app.state.console
    meta, path = uploads.find(console.uploads, upload_id)
    lang = lang_of(request)
    from bizforge.families import list_tasks

    tasks = list_tasks()
    if task and task not in tasks:
        raise ConsoleError(f"unknown task '{task[:60]}'.", fix="choose one from the list.")
    asked = bool(task and task != "auto") or bool(target)
    found = await run_in_threadpool(uploads.inspect, path, lang, task, target) if asked else None
    try:
        plain = await run_in_threadpool(uploads.inspect, path, lang)
    except BizforgeError:
        if found is None:
            raise
        plain = {"table": False, "profile": {}}  # only the task asked for can read it
    found = found or plain
    preview = await run_in_threadpool(uploads.mask_preview, path) if plain["table"] else None
    return render(request, "data_view.html", session=session, meta=meta, found=found,
                  preview=preview, size=_size, other=_other(found["profile"]), tasks=tasks,
                  columns=uploads.column_names(plain), train_query=_train_query(meta, found))


def _train_query(meta: dict[str, Any], found: dict[str, Any]) -> str:
    """The Train page's address with this upload, and the task and target inspected."""
    from urllib.parse import urlencode

    query = {"upload": meta["id"], "task": found.get("asked") or None,
             "target": found.get("target") or None}
    return "/train?" + urlencode({k: v for k, v in query.items() if v})


def _other(doc: dict[str, Any]) -> dict[str, Any]:
    """A family's own summary (not a table profile): its plain fields, shown as a list."""
    return {k: v for k, v in doc.items() if k not in ("columns", "findings", "target")
            and isinstance(v, (str, int, float, bool)) and v is not None}


# -- train ---------------------------------------------------------------------------------
def train_options() -> list[dict[str, Any]]:
    """One fieldset per family: its tasks and the option fields not shown before."""
    from bizforge.families.catalog import get_family, list_families

    seen: set[str] = set()
    out = []
    for name in list_families():
        family = get_family(name)
        fields = [f for f in schema_fields(family.Options.model_json_schema())
                  if f.name not in seen]
        seen.update(f.name for f in fields)
        if fields:
            out.append({"family": name, "tasks": ", ".join(family.tasks), "fields": fields})
    return out


@router.get("/train")
@page
async def train_page(request: Request, upload: str | None = None, task: str | None = None,
                     target: str | None = None):
    session = require(request, "admin")
    console = request.app.state.console
    from bizforge.families import list_tasks

    files = await run_in_threadpool(uploads.list_uploads, console.uploads)
    chosen, columns, asked, target = None, [], target, None
    if files:
        chosen = upload if any(f["id"] == upload for f in files) else files[0]["id"]
        _, path = uploads.find(console.uploads, chosen)
        found = await run_in_threadpool(uploads.inspect, path, lang_of(request))
        columns = uploads.column_names(found)
        target = asked if asked in columns else uploads.default_target(found)
    jobs = await run_in_threadpool(console.jobs.list, 20)
    tasks = list_tasks()
    return render(request, "train.html", session=session, files=files, chosen=chosen,
                  columns=columns, target=target, tasks=tasks,
                  task=task if task in tasks else "auto",
                  time_limit=console.options.default_time_limit, groups=train_options(),
                  jobs=jobs)


@router.post("/train")
@page
async def train_start(request: Request):
    session = require(request, "admin")
    console = request.app.state.console
    form = await form_of(request, session)
    from bizforge.families import list_tasks

    _, path = uploads.find(console.uploads, str(form.get("upload") or ""))
    task = str(form.get("task") or "auto")
    if task not in list_tasks():
        raise ConsoleError(f"unknown task '{task}'.", fix="choose one from the list.")
    try:
        time_limit = float(str(form.get("time_limit") or console.options.default_time_limit))
    except ValueError:
        raise ConsoleError("the time budget must be a number of seconds.",
                           fix="type e.g. 60.") from None
    if not 1 <= time_limit <= 24 * 3600:
        raise ConsoleError("the time budget must be between 1 second and 24 hours.",
                           fix="type e.g. 60.")
    options: dict[str, Any] = {}
    for group in train_options():
        options.update(read_fields(group["fields"], form, prefix="opt."))
        for f in group["fields"]:
            if f.kind == "file" and f.name in options:  # an upload id: that file's path
                try:
                    options[f.name] = str(uploads.find(console.uploads, options[f.name])[1])
                except KeyError:
                    raise ConsoleError(f"option '{f.name}': no such uploaded file.",
                                       fix="choose one of the files on the Data page.") \
                        from None
    target = str(form.get("target") or "").strip() or None
    # Refuse options that cannot work before queueing (as the CLI does before reading).
    from bizforge.pipeline import _check_options

    await run_in_threadpool(_check_options, options, task)
    spec = {"data": str(path), "target": target, "task": task, "time_limit": time_limit,
            "options": options, "lang": lang_of(request)}
    job_id = await run_in_threadpool(console.jobs.submit, spec, session.key_id)
    return redirect(f"/jobs/{job_id}")


def _progress(job: dict[str, Any]) -> dict[str, Any]:
    """Stage, candidates tried and best score so far, from the job's events."""
    stage, tried, total, best, metric = None, 0, None, None, None
    for e in job["events"]:
        kind = e.get("event")
        if kind == "stage":
            stage = e.get("stage")
        elif kind == "search_start":
            total, metric = e.get("candidates"), e.get("metric")
        elif kind == "candidate_end":
            total = e.get("total") or total
            if e.get("status", "ok") == "ok":
                tried += 1
                score = e.get("score")
                if isinstance(score, (int, float)) and (best is None or score > best):
                    best = score
    return {"stage": stage, "tried": tried, "total": total, "metric": metric,
            "best": None if best is None else round(float(best), 4)}


@router.get("/jobs/{job_id}")
@page
async def job_page(request: Request, job_id: str):
    session = require(request, "admin")
    job = await run_in_threadpool(request.app.state.console.jobs.get, job_id)
    return render(request, "job.html", session=session, job=job, progress=_progress(job),
                  final=job["status"] in FINAL, spec_name=Path(job["spec"]["data"]).name)


@router.get("/jobs/{job_id}/events")
@page
async def job_events(request: Request, job_id: str):
    """Server-Sent Events: each progress event, then the final status (``status``)."""
    if session_of(request) is None:
        # Not a redirect to /signin: a stream reconnecting after a restart would fetch the sign-in
        # page behind the person's back (and void the form on screen); 204 ends the reconnecting.
        return Response(status_code=204, headers=csp_headers())
    require(request, "admin")
    jobs = request.app.state.console.jobs
    await run_in_threadpool(jobs.get, job_id)  # KeyError -> 404 page
    start = request.headers.get("last-event-id", "")
    sent = int(start) + 1 if start.isdigit() else 0

    async def stream():
        nonlocal sent
        status = None
        while True:
            job = await run_in_threadpool(jobs.get, job_id)
            fresh = job["events"][sent:]
            for i, event in enumerate(fresh, start=sent):
                yield f"id: {i}\nevent: progress\ndata: {json.dumps(event, default=str)}\n\n"
            sent = len(job["events"])
            if fresh or job["status"] != status:
                status = job["status"]
                summary = {"status": status, **_progress(job)}
                yield f"event: status\ndata: {json.dumps(summary)}\n\n"
            if status in FINAL:
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.5)

    headers = {**csp_headers(), "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.post("/jobs/{job_id}/cancel")
@page
async def job_cancel(request: Request, job_id: str):
    session = require(request, "admin")
    await form_of(request, session)
    await run_in_threadpool(request.app.state.console.jobs.cancel, job_id)
    return redirect(f"/jobs/{job_id}")


def _job_model(request: Request, job_id: str) -> tuple[dict[str, Any], Path]:
    job = request.app.state.console.jobs.get(job_id)
    if job["status"] != "done" or not job.get("result"):
        raise ConsoleError("this job has no trained model.", fix="wait until it is done.")
    path = request.app.state.console.jobs.folder / job["id"] / "model"
    if not path.is_dir():
        raise ConsoleError("this job's model folder is gone.", fix="train again.")
    return job, path


@router.get("/jobs/{job_id}/report")
@page
async def job_report(request: Request, job_id: str):
    require(request, "admin")
    _, path = await run_in_threadpool(_job_model, request, job_id)
    return report_response(path / "report.html")


@router.post("/jobs/{job_id}/publish")
@page
async def job_publish(request: Request, job_id: str):
    session = require(request, "admin")
    form = await form_of(request, session)
    from bizforge.registry.refs import check_name

    name = check_name(str(form.get("name") or "").strip())
    _, path = await run_in_threadpool(_job_model, request, job_id)
    registry = request.app.state.registry
    mv = await run_in_threadpool(registry.publish, path, name)
    request.app.state.cache.invalidate()
    return redirect(f"/models/{mv.name}?published={mv.version}")


# The report is self-contained HTML with its own scripts (the plots): served in a sandbox
# (an opaque origin: no cookies, no access to the console) and only framed by the console.
_REPORT_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline' "
               "'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
               "frame-ancestors 'self'")


def report_response(path: Path) -> FileResponse:
    if not path.is_file():
        raise KeyError(str(path.name))
    return FileResponse(path, media_type="text/html; charset=utf-8",
                        headers=csp_headers(_REPORT_CSP, frame="SAMEORIGIN"))
