"""A secretary records a 集中学习 for two members; each sees the higher total on their own 我的学时.
Then the branch report (laptop and phone) and an admin's roll-up show the same numbers."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browse import serious_violations


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def my_total(browser, browser_login, live_server, user) -> str:
    """Log in as `user` in a fresh browser context and read the total on 我的学时."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        browser_login(page, user)
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的学时").click()
        text = page.locator(".hours-total .big-number strong").inner_text()
        return text
    finally:
        context.close()


def test_secretary_records_a_session_and_attendees_see_it(laptop, browser, live_server, tree, make_user,
                                                          browser_login, shot):
    m3 = make_user("member", tree["b1"].id, name="党员丁")
    assert my_total(browser, browser_login, live_server, tree["m1"]) == "0"
    assert my_total(browser, browser_login, live_server, m3) == "0"

    page = laptop
    browser_login(page, tree["sec1"])
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="集中学习").click()
    page.get_by_role("link", name="登记集中学习").click()
    assert page.get_by_role("heading", name="登记集中学习 · 第一支部").is_visible()
    page.get_by_label("类型").select_option("主题党日")
    page.get_by_label("主题").fill("重温入党誓词，学习好干部标准")
    page.get_by_label("小时").fill("2")
    page.get_by_label("分钟").fill("30")
    page.get_by_label("地点").fill("支部活动室")
    page.get_by_label("开始时间").fill("09:00")
    # Select all, then untick one: two of three members attend (plus the secretary's own box).
    page.get_by_label("全选").check()
    assert page.get_by_text(re.compile(r"已选 4 人")).is_visible()
    page.get_by_role("checkbox", name=re.compile("书记甲")).uncheck()
    page.get_by_role("checkbox", name=re.compile("党员丙")).uncheck()
    assert page.get_by_text("已选 2 人").is_visible()
    assert serious_violations(page) == []
    shot(page, "session-form")
    page.get_by_role("button", name="登记并计入学时").click()
    assert page.get_by_text("2 名党员各计入 150 分钟").is_visible()
    assert page.get_by_role("heading", name=re.compile("主题党日：重温入党誓词")).is_visible()
    shot(page, "session-detail")

    # Recording the same again: a warning, nothing saved until confirmed.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="集中学习").click()
    page.get_by_role("link", name="登记集中学习").click()
    page.get_by_label("类型").select_option("主题党日")
    page.get_by_label("主题").fill("重温入党誓词、学习好干部标准")
    page.get_by_label("分钟").fill("90")
    page.get_by_label("开始时间").fill("14:00")  # later that day: no overlap, only the likely duplicate
    page.get_by_role("checkbox", name=re.compile("党员甲")).check()
    page.get_by_role("button", name="登记并计入学时").click()
    assert "可能重复登记" in page.get_by_role("alert").first.inner_text()
    assert page.get_by_role("checkbox", name=re.compile("党员甲")).is_checked()
    shot(page, "session-duplicate")

    # Each attendee, in their own browser, sees 2.5 学时 more.
    assert my_total(browser, browser_login, live_server, tree["m1"]) == "2.5"
    assert my_total(browser, browser_login, live_server, m3) == "2.5"
    assert my_total(browser, browser_login, live_server, tree["m1b"]) == "0"

    # The branch report shows the same numbers.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="报表").click()
    row = page.get_by_role("row", name=re.compile("党员甲"))
    assert "2.5" in row.inner_text()
    page.get_by_label("状态").select_option("behind")
    page.get_by_role("button", name="查询").click()
    assert page.get_by_text("筛选结果 4 人（共 4 人）").is_visible()
    assert serious_violations(page) == []
    shot(page, "report-branch-laptop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "report-branch-phone")


def test_admin_rollup(laptop, live_server, tree, browser_login, shot):
    page = laptop
    browser_login(page, tree["admin"])
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="报表").click()
    assert page.get_by_role("heading", name=re.compile("测试党委 · \\d{4} 年度学时汇总")).is_visible()
    assert page.get_by_role("link", name="第二支部").is_visible()
    assert serious_violations(page) == []
    shot(page, "report-rollup")
    page.get_by_role("link", name="第二支部").click()
    assert page.get_by_role("heading", name=re.compile("第二支部 · ")).is_visible()
