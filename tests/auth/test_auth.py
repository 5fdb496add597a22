from __future__ import annotations

import re

from tests.conftest import PASSWORD, csrf_token


def test_login_and_logout(client, make_user, login):
    user = make_user(name="张三")
    resp = login(user)
    assert resp.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "张三" in page and "我的学习" in page
    # Logout is a POST with the CSRF token.
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302  # back to login


def test_login_by_phone(client, make_user):
    user = make_user(phone="13912345678")
    token = csrf_token(client)
    resp = client.post("/login", data={"login": "13912345678", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    assert user.name in client.get("/").get_data(as_text=True)


def test_failed_login_does_not_reveal_whether_account_exists(client, make_user):
    user = make_user()
    token = csrf_token(client)
    wrong_pw = client.post("/login", data={"login": user.login_name, "password": "nope12345", "csrf_token": token})
    unknown = client.post("/login", data={"login": "NOBODY123", "password": "nope12345", "csrf_token": token})
    assert wrong_pw.status_code == unknown.status_code == 200
    for resp in (wrong_pw, unknown):
        assert "账号或密码不正确" in resp.get_data(as_text=True)
    # The form keeps what was typed (but never the password).
    assert 'value="NOBODY123"' in unknown.get_data(as_text=True)
    assert "nope12345" not in unknown.get_data(as_text=True)


def test_deactivated_member_cannot_log_in(client, make_user, db):
    from lms.auth.models import User

    user = make_user()
    with db() as s:
        u = s.get(User, user.id)
        u.active = False
    token = csrf_token(client)
    resp = client.post("/login", data={"login": user.login_name, "password": PASSWORD, "csrf_token": token})
    assert "账号或密码不正确" in resp.get_data(as_text=True)


def test_post_without_csrf_is_refused(client, make_user):
    user = make_user()
    resp = client.post("/login", data={"login": user.login_name, "password": PASSWORD})
    assert resp.status_code == 400
    assert "页面已过期" in resp.get_data(as_text=True)


def test_first_login_forces_password_change(client, make_user, login):
    user = make_user(must_change=True)
    resp = login(user)
    assert resp.headers["Location"].endswith("/account/password")
    # Every other page sends them back until the password is changed.
    assert client.get("/").headers["Location"].endswith("/account/password")
    token = csrf_token(client, "/account/password")
    weak = client.post(
        "/account/password",
        data={"old_password": PASSWORD, "new_password": "abcdefgh", "confirm": "abcdefgh", "csrf_token": token},
    )
    assert "字母和数字" in weak.get_data(as_text=True)
    ok = client.post(
        "/account/password",
        data={"old_password": PASSWORD, "new_password": "Hongqi-Canal-1960", "confirm": "Hongqi-Canal-1960", "csrf_token": token},
    )
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_change_password_wrong_old_password(client, make_user, login):
    user = make_user()
    login(user)
    token = csrf_token(client, "/account/password")
    resp = client.post(
        "/account/password",
        data={"old_password": "wrong999", "new_password": "Hongqi-Canal-1960", "confirm": "Hongqi-Canal-1960", "csrf_token": token},
    )
    html = resp.get_data(as_text=True)
    assert "原密码不正确" in html
    # The error sits under 原密码, not under 新密码 (issue 12, point 5).
    old_field = html.split('name="old_password"')[0].rsplit("<label", 1)[1] + html.split('name="old_password"')[1].split("<label", 1)[0]
    assert "原密码不正确" in old_field


def test_password_change_ends_other_sessions(app, make_user, login, client):
    user = make_user()
    login(user)
    other = app.test_client()
    token = csrf_token(other)
    other.post("/login", data={"login": user.login_name, "password": PASSWORD, "csrf_token": token})
    assert other.get("/").status_code == 200
    token = csrf_token(client, "/account/password")
    client.post(
        "/account/password",
        data={"old_password": PASSWORD, "new_password": "Hongqi-Canal-1960", "confirm": "Hongqi-Canal-1960", "csrf_token": token},
    )
    assert client.get("/").status_code == 200  # this device stays signed in
    assert other.get("/").status_code == 302  # the other one is signed out


def test_failed_logins_lock_one_address_out_of_one_account(client, make_user, app):
    """Both login names count together; the lock holds for the address, not for the rightful owner."""
    user = make_user(phone="13800138000")
    token = csrf_token(client)

    def post(login: str, password: str, address: str):
        return client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address})

    by_number = [post(user.member_no, "wrong999", "10.0.0.1").status_code for _ in range(3)]
    by_phone = [post(" 13800138000 ", "wrong999", "10.0.0.1").status_code for _ in range(3)]
    assert by_number + by_phone == [200] * 5 + [429]
    locked = post(user.member_no, PASSWORD, "10.0.0.1")  # the right password is not even checked
    assert locked.status_code == 429
    assert re.search(r"该账号在当前网络已暂时锁定，请 [1-5] 分钟后（\d\d:\d\d 以后）再试。", locked.get_data(as_text=True))
    assert post(user.member_no, PASSWORD, "10.0.0.2").status_code == 302  # the owner, elsewhere


def test_unknown_logins_are_counted_by_their_normalised_text(client):
    token = csrf_token(client)
    codes = [client.post("/login", data={"login": login, "password": "wrong999", "csrf_token": token}).status_code
             for login in ("X0001", "x0001", " X0001", "Ｘ０００１", "x0001 ", "x0001")]
    assert codes == [200] * 5 + [429]


def test_the_login_throttle_warns_then_says_how_long_to_wait(client, make_user):
    user = make_user()
    token = csrf_token(client)

    def fail() -> str:
        return client.post("/login", data={"login": user.login_name, "password": "wrong999", "csrf_token": token},
                           follow_redirects=True).get_data(as_text=True)

    pages = [fail() for _ in range(5)]  # the limit is 5 per 5 minutes
    assert ["还可尝试" in p for p in pages] == [False, False, True, True, False]
    assert "账号或密码不正确。还可尝试 2 次；再错 2 次将锁定 5 分钟。" in pages[2]
    assert "还可尝试 1 次" in pages[3]
    assert "账号或密码不正确。尝试次数已用完，请 5 分钟后再试。" in pages[4]
    locked = client.post("/login", data={"login": user.login_name, "password": PASSWORD, "csrf_token": token})
    html = locked.get_data(as_text=True)
    assert locked.status_code == 429
    assert re.search(r"密码错误次数过多，该账号在当前网络已暂时锁定，请 [1-5] 分钟后（\d\d:\d\d 以后）再试。", html)
    assert "如忘记密码，请联系本支部书记重置。" in html
    assert f'value="{user.login_name}"' in html  # the form keeps the login name


def test_failed_logins_are_throttled_per_ip(client, app):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    token = csrf_token(client)
    codes = [
        client.post("/login", data={"login": f"X{i:04d}", "password": "wrong999", "csrf_token": token}).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_session_cookie_flags(client, make_user, login, app):
    user = make_user()
    resp = login(user)
    (cookie,) = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookie_when_configured(app_config, make_user):
    from lms import create_app

    app = create_app({**app_config, "SECURE_COOKIES": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_open_redirect_is_refused(client, make_user):
    user = make_user()
    token = csrf_token(client)
    resp = client.post(
        "/login?next=https://evil.example/",
        data={"login": user.login_name, "password": PASSWORD, "csrf_token": token},
    )
    assert resp.headers["Location"] == "/"


def test_create_admin_cli(runner, client):
    result = runner.invoke(
        args=["lms", "create-admin", "--login", "13800001111", "--name", "李管理", "--org", "某某党委"],
        input="admin2026\nadmin2026\n",
    )
    assert result.exit_code == 0, result.output
    token = csrf_token(client)
    resp = client.post("/login", data={"login": "13800001111", "password": "admin2026", "csrf_token": token})
    assert resp.headers["Location"].endswith("/account/password")  # must change at first login
    weak = runner.invoke(
        args=["lms", "create-admin", "--login", "A-77", "--name", "王", "--org", "某某党委"], input="short\nshort\n"
    )
    assert weak.exit_code == 1 and "8 位" in weak.output
