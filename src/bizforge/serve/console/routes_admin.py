"""Sign-in, sign-out, language, the home redirect, Keys (admin) and Monitor."""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from bizforge.i18n import LANGS
from bizforge.serve.console.monitor import monitor_rows, over_time_chart
from bizforge.serve.console.pages import (
    form_of,
    lang_of,
    page,
    redirect,
    render,
    require,
    session_of,
)
from bizforge.serve.console.session import COOKIE, LANG_COOKIE, LOGIN_COOKIE, set_cookie

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@router.get("/")
@page
async def home(request: Request):
    session = session_of(request)
    if session is None:
        return redirect("/signin")
    return redirect("/data" if session.admin else "/models")


@router.get("/signin")
@page
async def signin_form(request: Request, bad: bool = False, status: int = 200):
    if session_of(request) is not None and not bad:
        return redirect("/")
    # One sign-in token per browser while its cookie lives: a second /signin load (another tab,
    # or a job page's event stream reconnecting after a server restart) must not void the
    # form already on screen.
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not _TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(24)
    response = render(request, "signin.html", status, csrf=token, bad=bad)
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.post("/signin")
@page
async def signin(request: Request):
    console = request.app.state.console
    form = await form_of(request, None)
    key = str(form.get("key") or "").strip()
    info = None
    if key and console.auth:
        info = await run_in_threadpool(request.app.state.keys.check, key)
    if info is None:
        return await signin_form(request, bad=True, status=401)
    session = console.sessions.create(info.key_id, info.role)
    response = redirect("/")
    set_cookie(response, request, COOKIE, session.sid)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/signout")
@page
async def signout(request: Request):
    session = session_of(request)
    await form_of(request, session)
    if session is not None:
        request.app.state.console.sessions.end(session.sid)
    response = redirect("/signin")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/lang")
@page
async def switch_lang(request: Request):
    session = session_of(request)
    form = await form_of(request, session)
    lang = form.get("lang") if form.get("lang") in LANGS else lang_of(request)
    target = str(form.get("next") or "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never an open redirect
    response = redirect(target)
    set_cookie(response, request, LANG_COOKIE, lang, max_age=365 * 86400)
    return response


# -- keys ----------------------------------------------------------------------------------
@router.get("/keys")
@page
async def keys_page(request: Request):
    session = require(request, "admin")
    store = request.app.state.registry.keys
    keys = await run_in_threadpool(store.list)
    return render(request, "keys.html", session=session, keys=keys, new=None)


@router.post("/keys")
@page
async def keys_create(request: Request):
    session = require(request, "admin")
    form = await form_of(request, session)
    role = form.get("role") if form.get("role") in ("predict", "admin") else "predict"
    label = str(form.get("label") or "").strip()[:100] or None
    store = request.app.state.registry.keys
    key_id, secret = await run_in_threadpool(store.create, role, label)
    request.app.state.cache.invalidate()
    keys = await run_in_threadpool(store.list)
    # The secret is shown in this one answer (never in a URL, never stored in clear).
    return render(request, "keys.html", session=session, keys=keys,
                  new={"id": key_id, "secret": secret})


@router.post("/keys/{key_id}/revoke")
@page
async def keys_revoke(request: Request, key_id: str):
    session = require(request, "admin")
    form = await form_of(request, session)
    if form.get("confirm") != "yes":
        return render(request, "confirm.html", session=session,
                      message=("keys.confirm", {"id": key_id}),
                      action=f"/keys/{key_id}/revoke", fields={}, back="/keys")
    await run_in_threadpool(request.app.state.registry.keys.revoke, key_id)
    request.app.state.cache.invalidate()
    return redirect("/keys")


# -- monitor -------------------------------------------------------------------------------
@router.get("/monitor")
@page
async def monitor(request: Request):
    session = require(request)
    console = request.app.state.console
    rows = monitor_rows(request.app.state.metrics)
    chart = over_time_chart(list(console.samples))
    return render(request, "monitor.html", session=session, rows=rows, chart=chart)
