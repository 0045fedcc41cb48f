"""What every console page shares: templates, the signed-in session, CSRF, errors.

Templates are Jinja2 with autoescaping on: every user-supplied string (column
names, category values, file names, model names, texts) is escaped, so a column
named ``<script>alert(1)</script>`` shows as text. Pages carry no inline script
(the Content-Security-Policy forbids it); ``/static/console.js`` adds the progress
bar, the live job progress and the confirmations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from bizforge.errors import AuthError, BizforgeError, UsageError
from bizforge.i18n import LANGS, t
from bizforge.serve.console.session import (
    COOKIE,
    LANG_COOKIE,
    LOGIN_COOKIE,
    Session,
    csp_headers,
    same_token,
)

__all__ = ["ConsoleError", "check_csrf", "error_page", "form_of", "lang_of", "page",
           "redirect", "render", "require", "session_of", "warm_templates"]

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True, trim_blocks=True, lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.filters["q"] = lambda s: quote(str(s), safe="")  # one URL path segment


def warm_templates() -> None:
    """Compile every template (Jinja caches them): the first visitor does not wait."""
    for name in _ENV.list_templates(extensions=["html"]):
        _ENV.get_template(name)


class ConsoleError(UsageError):
    """A refusal shown as a console page (status 400 unless told otherwise)."""


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "")
    if lang in LANGS:
        return lang
    accept = request.headers.get("accept-language", "").lower()
    return "zh" if accept.startswith("zh") else "en"


def session_of(request: Request) -> Session | None:
    """The signed-in session, or None. Without auth every visitor is an admin."""
    console = request.app.state.console
    if not console.auth:
        return console.open_session
    session = console.sessions.get(request.cookies.get(COOKIE))
    if session is not None and not console.key_alive(session):
        console.sessions.end(session.sid)
        return None
    return session


def require(request: Request, role: str = "predict") -> Session:
    """The session, or a redirect to the sign-in page / a 403 page for a low role."""
    session = session_of(request)
    if session is None:
        raise _SignIn()
    if role == "admin" and not session.admin:
        raise AuthError(t("console.forbidden", lang_of(request)), status=403,
                        fix="sign in with a key made by `bizforge keys create --role admin`.")
    return session


class _SignIn(Exception):
    """Not signed in: answered with a redirect to /signin."""


def check_csrf(request: Request, given: Any, session: Session | None) -> None:
    """Refuse a state-changing form without the right token (403)."""
    expected = session.csrf if session is not None else request.cookies.get(LOGIN_COOKIE)
    header = request.headers.get("x-csrf-token")
    if not (same_token(given, expected) or same_token(header, expected)):
        raise AuthError("the form's security token is missing or out of date.", status=403,
                        fix="reload the page and submit the form again.")


def render(request: Request, template: str, status: int = 200, *,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    session = context.pop("session", None)
    if session is None and template != "signin.html":
        session = session_of(request)
    html = _ENV.get_template(template).render(
        lang=lang, other_lang="en" if lang == "zh" else "zh", session=session,
        auth=request.app.state.console.auth,
        csrf=context.pop("csrf", None) or (session.csrf if session else ""),
        tr=lambda key, **kw: t(f"console.{key}", lang, **kw), path=request.url.path,
        **context)
    return HTMLResponse(html, status_code=status, headers={**csp_headers(), **(headers or {})})


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=csp_headers())


def error_page(request: Request, exc: Exception) -> HTMLResponse | RedirectResponse:
    """A library error as a page: the message and its fix, with the matching status."""
    if isinstance(exc, _SignIn):
        return redirect("/signin")
    status = int(getattr(exc, "http_status", 400) or 400) if isinstance(exc, BizforgeError) \
        else 404 if isinstance(exc, KeyError) else 500
    if isinstance(exc, BizforgeError):
        message, fix = exc.message if hasattr(exc, "message") else str(exc), exc.fix
    elif isinstance(exc, KeyError):
        message, fix = "not found.", None
    else:
        message, fix = "unexpected server error; the server log has the details.", None
    if status >= 500 and isinstance(exc, BizforgeError):
        status = 503
    return render(request, "error.html", status, message=str(message), fix=fix)


def page(handler):
    """Wrap a route so that a library error or a refusal becomes an error page."""
    import functools

    @functools.wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any):
        try:
            return await handler(request, *args, **kwargs)
        except (BizforgeError, KeyError, _SignIn) as exc:
            return error_page(request, exc)
        except ValidationError as exc:  # a form that does not fit a request model
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())[-1:]) or "form"
            message = f"field '{where}': {first.get('msg', 'invalid value')}"
            return render(request, "error.html", 422, message=message,
                          fix="correct that field and send the form again.")

    return wrapper


async def form_of(request: Request, session: Session | None) -> Any:
    """The posted form, after its CSRF token was checked."""
    form = await request.form()
    check_csrf(request, form.get("csrf"), session)
    return form
