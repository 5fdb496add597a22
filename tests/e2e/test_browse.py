from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()


def serious_violations(page) -> list[str]:
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_login_open_course_read_lesson(page, live_server, make_user, synced, browser_login, shot):
    user = make_user(name="王学习")
    page.goto(f"{live_server}/login")
    # A wrong password first: a clear Chinese message, the typed login kept.
    page.get_by_label("党员编号或手机号").fill(user.login_name)
    page.get_by_label("密码").fill("wrong-pass-1")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_text("账号或密码不正确").is_visible()
    assert page.get_by_label("党员编号或手机号").input_value() == user.login_name

    browser_login(page, user)
    assert page.get_by_role("heading", name="我的学习").is_visible()
    assert page.get_by_text("王学习").is_visible()
    shot(page, "dashboard")

    page.get_by_role("link", name="《党政领导干部选拔任用工作条例》解读").first.click()
    assert page.get_by_role("heading", name="《党政领导干部选拔任用工作条例》解读").is_visible()
    page.get_by_role("link", name="好干部标准与基本条件资格").click()
    assert page.get_by_role("heading", name="好干部标准与基本条件资格", level=1).is_visible()
    assert page.get_by_role("heading", name="学习目标").is_visible()
    # The mobile table of contents opens and jumps to a section.
    page.get_by_text("本课目录").click()
    page.locator(".toc-mobile a", has_text="要点回顾").click()
    assert page.url.endswith("#要点回顾") or "%E8%A6%81" in page.url
    shot(page, "lesson")
    page.get_by_role("link", name="下一课").click()
    assert "party-control" in page.url or page.locator("h1").inner_text() != "好干部标准与基本条件资格"


def test_pages_have_no_serious_accessibility_violations(page, live_server, make_user, synced, browser_login):
    page.goto(f"{live_server}/login")
    assert serious_violations(page) == []
    browser_login(page, make_user())
    for path in (
        "/",
        "/courses/cadre-selection-regulations",
        "/courses/cadre-selection-regulations/good-cadre-standard",
        "/account/password",
        "/courses/not-there",
    ):
        page.goto(live_server + path)
        assert serious_violations(page) == [], path


def test_secretary_org_pages_accessible(page, live_server, tree, browser_login):
    browser_login(page, tree["sec1"])
    page.get_by_role("link", name="组织与党员").click()  # a secretary lands on their branch's roster
    assert page.get_by_role("heading", name="第一支部").is_visible()
    assert page.get_by_role("link", name="党员甲").is_visible()
    assert serious_violations(page) == []
