"""The study tracker in Chromium, in real time with a shortened interval (2 s beats).

Unit tests move the clock; here the browser really waits a few seconds, which is the point:
tracker.js, the beat endpoint and the page's status must work together.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.e2e.test_browse import serious_violations

LESSON = "/courses/cadre-selection-regulations/good-cadre-standard"

HIDE_PAGE = """() => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
SHOW_PAGE = """() => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "BEAT_INTERVAL_SECONDS": 2,
        "IDLE_TIMEOUT_SECONDS": 120,
        "PRESENCE_CHECK_MIN_SECONDS": 600,
        "PRESENCE_CHECK_MAX_SECONDS": 600,
    }


def credited_seconds(db, user_id) -> int:
    from lms.hours.models import LedgerEntry

    with db() as s:
        return sum(s.exec(select(LedgerEntry.seconds).where(LedgerEntry.user_id == user_id)))


def wait_until(page, predicate, timeout_s: float = 15) -> None:
    """Poll (the page's CSP forbids Playwright's eval-based wait_for_function)."""
    for _ in range(int(timeout_s * 4)):
        if predicate():
            return
        page.wait_for_timeout(250)
    assert predicate()


def anomalies(app, user_id: int) -> list:
    """The 学时异常 reasons the review would list for this member (none for a person at the page)."""
    from lms import clock
    from lms.access import Scope
    from lms.db import cli_session
    from lms.integrity import rules, services

    with app.app_context(), cli_session() as s:
        found = services.review(session=s, scope=Scope(user_id=0, role="admin", path="/"), now=clock.now(),
                                thresholds=rules.Thresholds.from_config(app.config),
                                window_days=int(app.config["ANOMALY_WINDOW_DAYS"]), user_id=user_id)
        return [r.label for m in found for r in m.reasons]


def shown_seconds(page) -> int:
    m, s = page.locator("[data-role=credited]").inner_text().split(":")[-2:]
    return int(m) * 60 + int(s)


def test_study_see_time_credited_hide_page_and_crediting_stops(app, page, live_server, make_user, synced, db,
                                                               browser_login, shot):
    user = make_user(name="计时党员")
    browser_login(page, user)
    page.goto(live_server + LESSON)
    status = page.locator("#study-tracker [data-role=status]")
    status.filter(has_text="学习中").wait_for(timeout=10_000)
    # Time is credited and shown against the lesson's 学时.
    # (the display ticks each second on its own; the server credits at each 2-second beat)
    wait_until(page, lambda: shown_seconds(page) > 0 and credited_seconds(db, user.id) > 0)
    assert "/ 30:00" in page.locator(".tracker-time").inner_text()
    shot(page, "tracker-studying")

    # The page goes to the background: crediting stops and the page says so.
    page.evaluate(HIDE_PAGE)
    assert status.inner_text() == "已暂停：页面不在前台"
    page.wait_for_timeout(1500)  # let the final sendBeacon land
    hidden_total = credited_seconds(db, user.id)
    page.wait_for_timeout(5000)  # two and a half intervals
    assert credited_seconds(db, user.id) == hidden_total
    assert status.inner_text() == "已暂停：页面不在前台"
    shot(page, "tracker-hidden")

    # Back in front: crediting resumes.
    page.evaluate(SHOW_PAGE)
    status.filter(has_text="学习中").wait_for(timeout=5_000)
    wait_until(page, lambda: shown_seconds(page) > hidden_total)

    # Long enough for the beat rhythm to show (at least ANOMALY_MIN_BEATS counted beats).
    wait_until(page, lambda: credited_seconds(db, user.id) >= hidden_total + 24, timeout_s=40)

    # A second tab takes over; the first shows that it has paused and can take the session back
    # (a new page view: the button reloads it).
    second = page.context.new_page()
    second.goto(live_server + LESSON)
    second.locator("#study-tracker [data-role=status]").filter(has_text="学习中").wait_for(timeout=10_000)
    status.filter(has_text="已暂停：已在其他页面学习").wait_for(timeout=10_000)
    assert page.get_by_role("button", name="在此页面继续学习").is_visible()
    shot(page, "tracker-superseded")
    page.get_by_role("button", name="在此页面继续学习").click()
    status.filter(has_text="学习中").wait_for(timeout=10_000)
    second.locator("#study-tracker [data-role=status]").filter(has_text="在其他页面学习").wait_for(timeout=10_000)
    assert shown_seconds(page) <= 1800
    # A person at the page: nothing for 学时异常 review.
    assert anomalies(app, user.id) == []


def test_hours_pages_accessible(page, live_server, tree, synced, db, browser_login):
    from datetime import timedelta

    from lms import clock
    from lms.content.models import Lesson
    from lms.hours.models import StudyStretch

    with db() as s:  # a stretch of m1 that 学时异常 lists, so its page shows a member with the forms
        lesson = s.exec(select(Lesson)).first()
        s.add(StudyStretch(user_id=tree["m1"].id, lesson_id=lesson.id, course_id=lesson.course_id, ip="10.0.0.9",
                           started_at=clock.now() - timedelta(minutes=40), ended_at=clock.now() - timedelta(minutes=10),
                           credited=1800, presence_fast=1))
        s.commit()
    browser_login(page, tree["m1"])
    for path in ("/hours/", "/hours/self-reports", LESSON):
        page.goto(live_server + path)
        assert serious_violations(page) == [], path
    page.context.clear_cookies()
    browser_login(page, tree["sec1"])
    for path in ("/hours/self-reports/review", f"/hours/members/{tree['m1'].id}", f"/orgs/members/{tree['m1'].id}",
                 "/integrity/"):
        page.goto(live_server + path)
        assert serious_violations(page) == [], path
