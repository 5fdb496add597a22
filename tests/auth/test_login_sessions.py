"""Logins that end: each rule of lms/auth/login_sessions.py through the real pages.

Devices are test clients with their own address and User-Agent; the remember cookie is read and
replayed as a browser (or a thief) would.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from lms import clock
from lms.auth.login_cookies import REMEMBER_COOKIE
from lms.auth.models import LoginSession, User
from tests.conftest import PASSWORD, csrf_token

WINDOWS_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Safari/537.36")
IPHONE_WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Mobile/15E148 MicroMessenger/8.0.44(0x18002c2f) NetType/WIFI Language/zh_CN")
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 13; V2203A) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/98.0.4758.101 Mobile Safari/537.36")
NEW_PASSWORD = "Qz8mWv3tLp"


@pytest.fixture
def device(app):
    """A browser on its own address: device("10.0.0.5", WINDOWS_CHROME)."""

    def _device(addr: str = "10.0.0.5", agent: str = WINDOWS_CHROME):
        client = app.test_client()
        client.environ_base.update(REMOTE_ADDR=addr, HTTP_USER_AGENT=agent)
        return client

    return _device


def sign_in(client, user, remember: bool = False):
    data = {"login": user.login_name, "password": PASSWORD, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    resp = client.post("/login", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return resp


def remember_value(client) -> str | None:
    cookie = client.get_cookie(REMEMBER_COOKIE)
    return cookie.value if cookie else None


def signed_in(client) -> bool:
    resp = client.get("/")
    if resp.status_code == 200:
        return True
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    return False


def only_remember(device, value: str, addr: str = "10.9.9.9", agent: str = ANDROID_CHROME):
    """A browser with nothing but this remember cookie (closed and reopened, or a thief)."""
    client = device(addr, agent)
    client.set_cookie(REMEMBER_COOKIE, value)
    return client


def logins(db, user_id: int) -> list[LoginSession]:
    with db() as s:
        return list(s.exec(select(LoginSession).where(LoginSession.user_id == user_id).order_by(LoginSession.id)))


def post(client, path: str, page: str = "/account/devices", **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_the_remember_token_is_random_and_stored_only_hashed(db, device, make_user):
    user = make_user()
    first, second = device(), device("10.0.0.6")
    sign_in(first, user, remember=True)
    sign_in(second, user, remember=True)
    a, b = remember_value(first), remember_value(second)
    assert a and b and a != b
    rows = logins(db, user.id)
    for value, row in zip((a, b), rows, strict=True):
        login_id, token = value.split(".", 1)
        assert int(login_id) == row.id and len(token) >= 40  # 256 random bits, url-safe
        assert row.remember_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr(row.model_dump())
    # Without 保持登录 there is no token at all.
    third = device("10.0.0.7")
    sign_in(third, user)
    assert remember_value(third) is None and logins(db, user.id)[-1].remember_hash is None


def test_a_remembered_device_signs_in_again_and_the_token_is_replaced(app, db, device, make_user):
    user = make_user()
    laptop = device()
    sign_in(laptop, user, remember=True)
    old = remember_value(laptop)
    reopened = only_remember(device, old, addr="10.0.0.5", agent=WINDOWS_CHROME)  # the browser restarted
    assert signed_in(reopened)
    new = remember_value(reopened)
    assert new and new != old and new.split(".")[0] == old.split(".")[0]  # same login, new token
    assert signed_in(reopened)  # the session cookie carries on; the token is not used again
    assert remember_value(reopened) == new
    # The replaced token still works for a moment (a page and its requests sent together) ...
    clock.freeze(datetime.now(UTC))
    racing = only_remember(device, old)
    assert signed_in(racing)
    assert remember_value(racing) == old  # it was not replaced a second time
    # ... but after that it is someone else's copy: the login ends, for the new token too.
    clock.advance(seconds=31)
    late = only_remember(device, old)
    assert not signed_in(late)
    assert remember_value(late) is None  # the cookie is deleted
    assert not signed_in(only_remember(device, new))
    assert not signed_in(reopened) and not signed_in(racing)
    assert logins(db, user.id)[0].ended_at is not None


def test_a_remember_token_expires(app, db, device, make_user):
    user = make_user()
    clock.freeze(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    laptop = device()
    sign_in(laptop, user, remember=True)
    value = remember_value(laptop)
    assert f"Max-Age={30 * 86400}" in _set_cookie(sign_in(device("10.0.0.8"), user, remember=True))
    clock.advance(days=29, hours=23)
    kept = only_remember(device, value)
    assert signed_in(kept)  # used within 30 days: replaced, and good for 30 more
    value = remember_value(kept)
    clock.advance(days=30, minutes=1)
    assert not signed_in(only_remember(device, value))
    assert not signed_in(kept)  # the login itself lapsed too: unused for 30 days


def test_remember_days_is_a_setting(app_config, db, make_user):
    from lms import create_app

    app = create_app({**app_config, "REMEMBER_DAYS": 2})
    try:
        user = make_user()
        clock.freeze(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
        client = app.test_client()
        resp = sign_in(client, user, remember=True)
        assert f"Max-Age={2 * 86400}" in _set_cookie(resp)
        value = remember_value(client)
        clock.advance(days=2, seconds=1)
        thief = app.test_client()
        thief.set_cookie(REMEMBER_COOKIE, value)
        assert thief.get("/").status_code == 302
    finally:
        app.extensions["lms_engine"].dispose()


def _set_cookie(resp) -> str:
    return next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith(REMEMBER_COOKIE + "="))


@pytest.mark.parametrize("value", ["", "abc", "1.", ".abc", "1.wrong-token", "99999999999999999999.x", "1" * 300])
def test_a_bad_remember_cookie_opens_nothing_and_is_deleted(device, make_user, value):
    user = make_user()
    sign_in(device(), user, remember=True)  # login 1 exists
    client = only_remember(device, value)
    resp = client.get("/")
    assert resp.status_code == 302
    if value:
        assert any(c.startswith(REMEMBER_COOKIE + "=;") for c in resp.headers.getlist("Set-Cookie"))


def test_a_copied_session_cookie_is_dropped_elsewhere_and_the_remember_token_signs_the_owner_in(device, make_user):
    """A phone whose address changes: session protection drops the session cookie; the remember
    token signs the phone in again (the thief's copy of the session cookie stays useless)."""
    user = make_user()
    phone = device("10.0.0.5", IPHONE_WECHAT)
    sign_in(phone, user, remember=True)
    phone.environ_base["REMOTE_ADDR"] = "172.16.0.9"  # Wi-Fi to mobile data
    assert signed_in(phone)
    assert signed_in(phone)


def test_the_devices_page_lists_each_signed_in_device(app, client, device, db, make_user):
    user = make_user()
    clock.freeze(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))  # 10:00 in Beijing
    laptop = device("10.0.0.5", WINDOWS_CHROME)
    sign_in(laptop, user, remember=True)
    clock.advance(minutes=30)
    phone = device("192.168.1.23", IPHONE_WECHAT)
    sign_in(phone, user)
    ended = device("10.0.0.77", ANDROID_CHROME)
    sign_in(ended, user)
    post(ended, "/logout", page="/")
    html = laptop.get("/account/devices").get_data(as_text=True)
    assert "登录设备" in html and "退出其他所有设备" in html
    cards = re.findall(r'<li class="card device">(.*?)</li>', html, re.S)
    assert len(cards) == 2  # the logged-out one is gone
    this, other = cards
    assert "Chrome 120 · Windows 10" in this and "当前设备" in this and "保持登录" in this
    assert "10.0.0.5" in this and "登录于 2026年3月1日 10:00" in this and "退出该设备" not in this
    assert "微信 8 · iOS 17.1" in other and "192.168.1.23" in other and "登录于 2026年3月1日 10:30" in other
    assert "最近使用 2026年3月1日 10:30" in other and "退出该设备" in other and "当前设备" not in other
    # The page is linked from the account menu and from 修改密码.
    assert 'href="/account/devices"' in laptop.get("/").get_data(as_text=True)
    assert 'href="/account/devices"' in laptop.get("/account/password").get_data(as_text=True)


def test_last_seen_moves_at_most_every_five_minutes(app, db, device, make_user):
    from tests.sql import each_statement

    user = make_user()
    clock.freeze(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    laptop = device()
    sign_in(laptop, user)
    seen: list[str] = []
    with each_statement(app, lambda statement, parameters: seen.append(statement)):
        clock.advance(minutes=4)
        assert signed_in(laptop)
        assert not [s for s in seen if s.lstrip().upper().startswith("UPDATE LOGIN_SESSION")]
        clock.advance(minutes=2)
        assert signed_in(laptop)
        assert len([s for s in seen if s.lstrip().upper().startswith("UPDATE LOGIN_SESSION")]) == 1
    assert logins(db, user.id)[0].last_seen_at == datetime(2026, 3, 1, 2, 6, tzinfo=UTC)
    assert "最近使用 2026年3月1日 10:06" in laptop.get("/account/devices").get_data(as_text=True)


def test_signing_out_one_device_from_the_devices_page(db, device, make_user):
    user = make_user()
    laptop, phone = device(), device("10.0.0.6", IPHONE_WECHAT)
    sign_in(laptop, user)
    sign_in(phone, user, remember=True)
    phone_token = remember_value(phone)
    phone_login = logins(db, user.id)[1].id
    resp = post(laptop, f"/account/devices/{phone_login}/end")
    assert resp.status_code == 302
    assert "已在该设备上退出登录" in laptop.get("/account/devices").get_data(as_text=True)
    assert not signed_in(phone)
    assert not signed_in(only_remember(device, phone_token))  # revoked: the token is dead too
    assert signed_in(laptop)
    # Twice, or a login that is not one's own: 404, and nothing changes.
    assert post(laptop, f"/account/devices/{phone_login}/end").status_code == 404
    other = make_user()
    stranger = device("10.0.0.9")
    sign_in(stranger, other)
    theirs = logins(db, other.id)[0].id
    assert post(laptop, f"/account/devices/{theirs}/end").status_code == 404
    assert post(laptop, f"/account/devices/{2**63}/end").status_code == 404
    assert signed_in(stranger)


def test_the_current_device_is_not_ended_from_the_list(db, device, make_user):
    user = make_user()
    laptop = device()
    sign_in(laptop, user)
    resp = post(laptop, f"/account/devices/{logins(db, user.id)[0].id}/end")
    assert resp.status_code == 302
    assert "这是您正在使用的设备" in laptop.get("/account/devices").get_data(as_text=True)
    assert signed_in(laptop)


def test_signing_out_all_other_devices(db, device, make_user):
    user = make_user()
    here = device()
    others = [device(f"10.0.1.{i}", IPHONE_WECHAT) for i in range(3)]
    sign_in(here, user)
    for i, c in enumerate(others):
        sign_in(c, user, remember=i == 0)
    token = remember_value(others[0])
    assert post(here, "/account/devices/end-others").status_code == 302
    assert "已在其他 3 台设备上退出登录" in here.get("/account/devices").get_data(as_text=True)
    assert [signed_in(c) for c in others] == [False, False, False]
    assert not signed_in(only_remember(device, token))
    assert signed_in(here)
    post(here, "/account/devices/end-others")
    assert "没有其他已登录的设备" in here.get("/account/devices").get_data(as_text=True)


def test_a_password_change_ends_every_other_login_and_keeps_this_one(db, device, make_user):
    user = make_user()
    here, phone, laptop = device(), device("10.0.0.6", IPHONE_WECHAT), device("10.0.0.7")
    sign_in(here, user, remember=True)
    sign_in(phone, user, remember=True)
    sign_in(laptop, user)
    here_token, phone_token = remember_value(here), remember_value(phone)
    resp = post(here, "/account/password", page="/account/password",
                old_password=PASSWORD, new_password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    assert not signed_in(phone) and not signed_in(laptop)
    assert not signed_in(only_remember(device, phone_token))
    assert signed_in(here)
    assert signed_in(only_remember(device, here_token))  # this device's 保持登录 carries on
    html = here.get("/account/devices").get_data(as_text=True)
    assert len(re.findall(r'<li class="card device">', html)) == 1


def test_a_reset_by_the_secretary_ends_every_login(db, device, make_user):
    from lms.auth import services

    user = make_user()
    laptop = device()
    sign_in(laptop, user, remember=True)
    token = remember_value(laptop)
    with db() as s:
        services.set_password(session=s, user=s.get(User, user.id), password="Init4Reset9", must_change=True)
    assert not signed_in(laptop)
    assert not signed_in(only_remember(device, token))


def test_a_login_unused_for_the_remember_days_ends(db, device, make_user):
    user = make_user()
    clock.freeze(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    laptop = device()
    sign_in(laptop, user)
    clock.advance(days=29)
    assert signed_in(laptop)  # used: it starts again
    clock.advance(days=30, seconds=1)
    assert not signed_in(laptop)


def test_two_requests_racing_with_the_same_token_both_sign_in_and_one_token_replaces_it(app, db, device,
                                                                                        make_user):
    """A reopened browser sends its page and another request at once, both with the old token: both
    are signed in, the token is replaced once, and the replacement signs the device in later."""
    import threading

    user = make_user()
    laptop = device()
    sign_in(laptop, user, remember=True)
    old = remember_value(laptop)
    racers = [only_remember(device, old) for _ in range(2)]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def go(client):
        barrier.wait()
        codes.append(client.get("/").status_code)

    threads = [threading.Thread(target=go, args=(c,)) for c in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert codes == [200, 200]
    replaced = {remember_value(c) for c in racers} - {old}
    assert len(replaced) == 1  # one of them got the new token, the other kept the old one
    row = logins(db, user.id)[0]
    assert row.remember_hash == hashlib.sha256(replaced.pop().split(".", 1)[1].encode()).hexdigest()
    assert row.prev_remember_hash == hashlib.sha256(old.split(".", 1)[1].encode()).hexdigest()


def test_logging_out_after_the_address_changed_still_ends_the_login(app, device, make_user):
    """Session protection already drops the session cookie on the new address; 退出 there must
    still end the login, or the cookie would keep working back on the old one."""
    user = make_user()
    phone = device("10.0.0.5", IPHONE_WECHAT)
    sign_in(phone, user)
    saved = phone.get_cookie("session").value
    phone.environ_base["REMOTE_ADDR"] = "172.16.0.9"
    assert not signed_in(phone)
    assert phone.post("/logout", data={"csrf_token": csrf_token(phone)}).status_code == 302
    back_home = device("10.0.0.5", IPHONE_WECHAT)
    back_home.set_cookie("session", saved)
    assert not signed_in(back_home)


def test_signing_in_again_in_the_same_browser_replaces_its_old_login(db, device, make_user):
    user = make_user()
    phone = device("10.0.0.5", IPHONE_WECHAT)
    sign_in(phone, user)
    phone.environ_base["REMOTE_ADDR"] = "172.16.0.9"  # dropped by session protection: signs in again
    assert not signed_in(phone)
    sign_in(phone, user)
    html = phone.get("/account/devices").get_data(as_text=True)
    assert len(re.findall(r'<li class="card device">', html)) == 1
    assert [x.ended_at is not None for x in logins(db, user.id)] == [True, False]


def test_a_session_cookie_used_from_another_address_ends_that_login(db, device, make_user):
    """The copy opens nothing there (session protection), and the login it names ends: the owner
    signs in again, and the copy is worth nothing back on the owner's address either."""
    user = make_user()
    laptop = device("10.0.0.5", WINDOWS_CHROME)
    sign_in(laptop, user)
    copy = laptop.get_cookie("session").value
    thief = device("203.0.113.66", WINDOWS_CHROME)
    thief.set_cookie("session", copy)
    assert not signed_in(thief)
    assert logins(db, user.id)[0].ended_at is not None
    assert not signed_in(laptop)
