"""Sign-in, roles, CSRF, cookies, security headers and the language switch."""

from __future__ import annotations

import re

from console_helpers import csrf_of, sign_in


def test_pages_redirect_to_sign_in_without_a_session(make_client):
    client = make_client()
    for path in ("/", "/data", "/models", "/try", "/keys", "/monitor", "/train"):
        answer = client.get(path)
        assert answer.url.path == "/signin", path


def test_a_wrong_key_is_refused_with_a_message_and_no_session(make_client):
    client = make_client()
    answer = sign_in(client, "bf_000000000000_" + "0" * 48)
    assert answer.status_code == 401
    assert "not valid" in answer.text
    assert "bf_session" not in client.cookies


def test_the_key_becomes_an_httponly_strict_cookie(make_client, keys):
    client = make_client()
    page = client.get("/signin")
    answer = client.post("/signin", data={"key": keys["admin"], "csrf": csrf_of(page.text)},
                         follow_redirects=False)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("bf_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie
    assert keys["admin"] not in cookie and keys["admin"] not in answer.headers["location"]


def test_the_cookie_is_secure_over_tls(make_client, keys):
    client = make_client(base_url="https://testserver")
    page = client.get("/signin")
    answer = client.post("/signin", data={"key": keys["admin"], "csrf": csrf_of(page.text)},
                         follow_redirects=False)
    assert "Secure" in answer.headers["set-cookie"]


def test_sign_in_needs_its_form_token(make_client, keys):
    client = make_client()
    client.get("/signin")
    answer = client.post("/signin", data={"key": keys["admin"], "csrf": "forged"})
    assert answer.status_code == 403


def test_a_second_sign_in_page_keeps_the_first_form_valid(make_client, keys):
    """A job page's event stream reconnecting after a restart loads /signin behind the form
    on screen; the form's token must still be accepted."""
    client = make_client()
    first = client.get("/signin")
    second = client.get("/signin")
    assert csrf_of(second.text) == csrf_of(first.text)
    answer = client.post("/signin", data={"key": keys["admin"], "csrf": csrf_of(first.text)},
                         follow_redirects=False)
    assert answer.status_code == 303
    client.cookies.set("bf_login", "not a token")
    assert csrf_of(client.get("/signin").text) not in ("not a token", csrf_of(first.text))


def test_a_predict_key_sees_models_but_not_admin_pages(reader):
    assert reader.get("/models").status_code == 200
    assert reader.get("/monitor").status_code == 200
    for path in ("/data", "/train", "/keys"):
        answer = reader.get(path)
        assert answer.status_code == 403, path
        assert "admin" in answer.text
    assert 'href="/keys"' not in reader.get("/models").text


def test_a_form_without_the_csrf_token_changes_nothing(admin):
    answer = admin.post("/keys", data={"role": "admin", "label": "x"})
    assert answer.status_code == 403
    assert "security token" in answer.text
    assert "x" not in [k for k in re.findall(r"<td>([^<]*)</td>", admin.get("/keys").text)]


def test_sign_out_ends_the_session(admin):
    page = admin.get("/models")
    admin.post("/signout", data={"csrf": csrf_of(page.text)})
    assert admin.get("/models").url.path == "/signin"


def test_a_revoked_key_ends_its_sessions(admin, reader, registry):
    key_id = next(k.key_id for k in registry.keys.list() if k.role == "predict")
    page = admin.post("/keys/" + key_id + "/revoke",
                      data={"csrf": csrf_of(admin.get("/keys").text), "confirm": "yes"})
    assert page.status_code == 200
    assert reader.get("/models").url.path == "/signin"


def test_pages_carry_a_csp_without_inline_scripts(admin):
    for path in ("/data", "/train", "/models", "/keys", "/monitor", "/signin"):
        answer = admin.get(path)
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text), path
        assert " on" + "click=" not in answer.text


def test_the_language_switch_is_remembered(admin):
    page = admin.get("/models")
    admin.post("/lang", data={"csrf": csrf_of(page.text), "lang": "zh", "next": "/models"})
    assert "模型" in admin.get("/models").text
    assert admin.get("/keys").text.count("创建密钥") == 1
    assert admin.cookies.get("bf_lang") == "zh"


def test_the_language_switch_never_redirects_elsewhere(admin):
    page = admin.get("/models")
    answer = admin.post("/lang", data={"csrf": csrf_of(page.text), "lang": "en",
                                       "next": "//evil.example/"}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_the_key_never_reaches_the_log(make_client, keys, capsys, caplog):
    client = make_client()
    sign_in(client, keys["admin"])
    captured = capsys.readouterr()
    assert keys["admin"] not in captured.out + captured.err + caplog.text


def test_without_auth_every_visitor_is_an_admin(registry):
    from fastapi.testclient import TestClient

    from bizforge.serve.api import ServerOptions, create_app

    app = create_app(registry=registry, options=ServerOptions(auth=False, preload=False))
    with TestClient(app) as client:
        assert client.get("/").url.path == "/data"
        assert client.get("/keys").status_code == 200
