"""Issue 12, point 6: at 360×740 no page overflows sideways and no table cell is squeezed to
fewer than three characters a line (学时明细, 我的申报, 线上自学按课程, tables inside lessons and the
secretary's pages). The month chart shows the whole year or says that it scrolls."""

from __future__ import annotations

from datetime import date, time

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.quiz.helpers import COURSE, pass_all_lessons

PHONE = {"width": 360, "height": 740}

# Returns the page's horizontal overflow and every cell (th/td) with three or more characters whose
# content box is narrower than three characters of its font and whose text wraps (so "3.5" in a
# narrow number column passes, "登/记/人" does not).
MEASURE = """() => {
  const doc = document.documentElement;
  const overflow = Math.max(doc.scrollWidth, document.body.scrollWidth) - window.innerWidth;
  const narrow = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const text = (cell.innerText || '').trim();
    if ([...text].length < 3) continue;
    const style = getComputedStyle(cell);
    if (style.display === 'none' || cell.offsetParent === null) continue;
    const head = cell.closest('thead');
    if (head && head.getBoundingClientRect().height <= 1) continue;  // visually hidden (stacked table)
    const width = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    if (width < 3 * parseFloat(style.fontSize) - 0.5 && lines > 1) {
      narrow.push(text.slice(0, 12) + ' (' + Math.round(width) + 'px)');
    }
  }
  return {overflow: overflow, narrow: narrow};
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def data(tree, synced, db):
    """A member with study, a self-report and a 集中学习, so every table has rows."""
    from lms import clock
    from lms.access import scope_for
    from lms.auth.models import User
    from lms.hours import selfreports
    from lms.offline.services import SessionData, record_session
    from lms.orgs.models import Organization

    pass_all_lessons(db, tree["m1"].id)
    today = clock.today()
    with db() as s:
        selfreports.submit_report(session=s, user_id=tree["m1"].id, study_date=today, minutes=45,
                                  topic="阅读《干部任用条例》原文", place="支部活动室", today=today)
        selfreports.submit_report(session=s, user_id=tree["sec1"].id, study_date=today, minutes=30,
                                  topic="观看专题讲座", place="家中", today=today)
        sec = s.get(User, tree["sec1"].id)
        record_session(session=s, scope=scope_for(session=s, user=sec), actor=sec,
                       org=s.get(Organization, tree["b1"].id),
                       data=SessionData(type="党课", topic="学习贯彻《干部任用条例》专题党课", held_on=today,
                                        minutes=120, place="党员活动室",
                                        attendee_ids=[tree["m1"].id, tree["m1b"].id], start=time(8, 0)),
                       today=today, at=clock.now())
        s.commit()
    return tree


def check(page, url: str, name: str) -> None:
    page.goto(url)
    page.wait_for_load_state()
    found = page.evaluate(MEASURE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone360-{name}.png"), full_page=True)
    assert found["overflow"] <= 0, (url, found)
    assert found["narrow"] == [], (url, found)


def test_member_pages_at_360(phone, live_server, data, browser_login):
    browser_login(phone, data["m1"])
    year = date.today().year
    for path, name in [
        ("/hours/", "my-hours"),
        (f"/hours/?year={year}", "my-hours-year"),
        ("/hours/self-reports", "my-reports"),
        (f"/courses/{COURSE}", "course"),
        (f"/courses/{COURSE}/good-cadre-standard", "lesson-table"),
        ("/certificates/", "certificates"),
    ]:
        check(phone, live_server + path, name)


def test_month_chart_shows_the_year_or_says_it_scrolls(phone, live_server, data, browser_login):
    browser_login(phone, data["m1"])
    phone.goto(live_server + "/hours/")
    assert phone.locator(".month-chart").first.is_visible()
    scroller_fits = phone.evaluate(
        "() => { const c = document.querySelector('.month-chart, [data-role=month-chart]');"
        " let e = c; while (e && e !== document.body) { if (e.scrollWidth > e.clientWidth + 1) return false;"
        " e = e.parentElement; } return true; }")
    assert scroller_fits or phone.get_by_text("图表可左右滑动，查看全年 1–12 月").is_visible()


def test_secretary_pages_at_360(phone, live_server, data, browser_login):
    browser_login(phone, data["sec1"])
    b1, m1 = data["b1"].id, data["m1"].id
    for path, name in [
        ("/hours/self-reports", "sec-own-reports"),
        ("/hours/self-reports/review", "review"),
        (f"/hours/members/{m1}", "member-hours"),
        (f"/orgs/{b1}", "org"),
        (f"/orgs/members/{m1}", "member"),
        (f"/reports/org/{b1}", "branch-report"),
        ("/sessions/", "sessions"),
        ("/quiz/stats", "quiz-stats"),
        (f"/quiz/stats/{COURSE}", "quiz-stats-course"),
    ]:
        check(phone, live_server + path, name)
    sessions = phone
    sessions.goto(live_server + "/sessions/")
    first = sessions.locator("main a[href^='/sessions/']").filter(has_text="专题党课").first
    if first.count():
        check(phone, live_server + first.get_attribute("href"), "session-detail")


def test_admin_pages_at_360(phone, live_server, data, browser_login):
    browser_login(phone, data["admin"])
    for path, name in [
        ("/orgs/", "orgs"),
        ("/reports/", "rollup"),
        ("/audit/", "audit"),
        ("/certificates/manage", "cert-manage"),
        ("/certificates/batch", "cert-batch"),
    ]:
        check(phone, live_server + path, name)
