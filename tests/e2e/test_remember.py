"""保持登录 in a real browser: the token survives a browser restart (only persistent cookies are
kept), is replaced when used, the device shows on 登录设备, and 退出 ends it for good."""

from __future__ import annotations

import time

import pytest

from lms.auth.login_cookies import REMEMBER_COOKIE
from tests.e2e.test_browse import serious_violations


def _context(browser):
    return browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")


@pytest.fixture
def contexts(browser):
    made = []

    def _new():
        made.append(_context(browser))
        return made[-1]

    yield _new
    for ctx in made:
        ctx.close()


def _remember(ctx) -> dict:
    return next(c for c in ctx.cookies() if c["name"] == REMEMBER_COOKIE)


def test_remember_me_survives_a_restart_and_logout_ends_it(contexts, live_server, make_user, shot):
    user = make_user(name="李保持")
    first = contexts()
    page = first.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("党员编号或手机号").fill(user.login_name)
    page.get_by_label("密码").fill("pass1234")
    page.get_by_label("在这台设备上保持登录").check()
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("heading", name="我的学习").is_visible()
    token = _remember(first)
    assert token["httpOnly"] and token["sameSite"] == "Lax"
    assert token["expires"] > time.time() + 29 * 86400
    session = next(c for c in first.cookies() if c["name"] == "session")
    assert session["expires"] == -1  # gone when the browser closes

    # The browser restarts: only the persistent cookie is still there, and it signs the member in.
    restarted = contexts()
    restarted.add_cookies([token])
    page = restarted.new_page()
    page.goto(f"{live_server}/")
    assert page.get_by_role("heading", name="我的学习").is_visible()
    replaced = _remember(restarted)
    assert replaced["value"] != token["value"]

    page.get_by_role("link", name="登录设备").click()
    assert page.get_by_role("heading", name="登录设备").is_visible()
    this = page.locator(".device").first
    assert "当前设备" in this.inner_text() and "保持登录" in this.inner_text() and "Chrome" in this.inner_text()
    assert page.locator(".device").count() == 1  # one login, signed in twice
    assert serious_violations(page) == []
    shot(page, "devices")

    page.get_by_role("button", name="退出").click()
    assert page.get_by_text("您已安全退出").is_visible()
    assert all(c["name"] != REMEMBER_COOKIE for c in restarted.cookies())

    # A copy of the token taken before 退出 opens nothing now.
    thief = contexts()
    thief.add_cookies([replaced])
    page = thief.new_page()
    page.goto(f"{live_server}/")
    assert page.get_by_role("button", name="登录").is_visible()
