"""What tests/auth does not already cover: the remember-me cookie's flags, Secure cookies on the
wire when LMS_SECURE_COOKIES is set, and throttled guessing through "修改密码"."""

from __future__ import annotations

import re

import pytest

from lms.auth.login_cookies import REMEMBER_COOKIE
from tests.conftest import PASSWORD, csrf_token


def _cookies(resp) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in resp.headers.getlist("Set-Cookie")}


def _login(client, user, remember: bool = True, **kw):
    data = {"login": user.login_name, "password": PASSWORD, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, **kw)


def test_remember_me_cookie_is_httponly_and_samesite(client, make_user):
    cookies = _cookies(_login(client, make_user()))
    remember = cookies[REMEMBER_COOKIE]
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    assert "Secure" not in remember  # plain HTTP by default (intranet), see the next test


def test_secure_cookies_when_configured(app_config, make_user):
    from lms import create_app

    app = create_app({**app_config, "SECURE_COOKIES": True})
    client = app.test_client()
    https = "https://study.example.org"
    html = client.get("/login", base_url=https).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    user = make_user()
    resp = client.post("/login", base_url=https, headers={"Referer": https + "/login"},
                       data={"login": user.login_name, "password": PASSWORD, "remember": "y", "csrf_token": token})
    assert resp.status_code == 302
    cookies = _cookies(resp)
    for name in ("session", REMEMBER_COOKIE):
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name], cookies[name]
    app.extensions["lms_engine"].dispose()


def test_remember_cookie_dies_with_a_password_change(app, make_user):
    """A remembered device stops working once the password is changed elsewhere."""
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    remember = _cookies(_login(laptop, user))[REMEMBER_COOKIE].split(";", 1)[0].split("=", 1)[1]
    _login(phone, user, remember=False)
    resp = phone.post("/account/password", data={
        "old_password": PASSWORD, "new_password": "Hongqi-Canal-1960", "confirm": "Hongqi-Canal-1960",
        "csrf_token": csrf_token(phone, "/account/password"),
    })
    assert resp.status_code == 302
    thief = app.test_client()
    thief.set_cookie(REMEMBER_COOKIE, remember)
    assert thief.get("/").status_code == 302  # to the login page


@pytest.fixture
def wrong_old_password(client):
    def _try():
        return client.post("/account/password", data={
            "old_password": "guess0000", "new_password": "Hongqi-Canal-1960", "confirm": "Hongqi-Canal-1960",
            "csrf_token": csrf_token(client, "/account/password"),
        })

    return _try


def test_guessing_the_old_password_is_throttled(client, make_user, login, wrong_old_password):
    login(make_user())
    codes = [wrong_old_password().status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    right = client.post("/account/password", data={
        "old_password": PASSWORD, "new_password": "Hongqi-Canal-1960", "confirm": "Hongqi-Canal-1960",
        "csrf_token": csrf_token(client, "/account/password"),
    })
    assert right.status_code == 429 and "密码错误次数过多" in right.get_data(as_text=True)


def test_other_mistakes_on_the_form_are_not_counted(client, make_user, login):
    login(make_user())
    for _ in range(6):
        resp = client.post("/account/password", data={
            "old_password": PASSWORD, "new_password": "short", "confirm": "short",
            "csrf_token": csrf_token(client, "/account/password"),
        })
        assert resp.status_code == 200
    ok = client.post("/account/password", data={
        "old_password": PASSWORD, "new_password": "Hongqi-Canal-1960", "confirm": "Hongqi-Canal-1960",
        "csrf_token": csrf_token(client, "/account/password"),
    })
    assert ok.status_code == 302
