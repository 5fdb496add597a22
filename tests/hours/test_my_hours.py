"""我的学时, the dashboard's glance, and the ledger functions other slices build on."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from lms import clock, progress
from lms.hours import services
from lms.offline.models import OfflineSession
from lms.units import pace_for


def seed(db, user, recorder, lesson):
    """A member's 2024 and 2025: online, 集中学习, 个人自学申报 and an 调整."""
    with db() as s:
        held = OfflineSession(org_id=user.org_id, type="主题党日", topic="主题党日", held_on=date(2025, 3, 2),
                              duration_seconds=4 * 3600, recorded_by_id=recorder.id)
        s.add(held)
        s.flush()
        services.upsert_online(session=s, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                               local_date=date(2025, 1, 15), seconds=1800, at=clock.now())
        services.upsert_online(session=s, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                               local_date=date(2025, 1, 15), seconds=600, at=clock.now())
        services.add_entry(session=s, user_id=user.id, source="offline", seconds=4 * 3600,
                           local_date=date(2025, 3, 2), recorded_by_id=recorder.id, reason="主题党日",
                           offline_session_id=held.id)
        services.add_entry(session=s, user_id=user.id, source="self_report", seconds=5400,
                           local_date=date(2025, 2, 20), recorded_by_id=recorder.id, reason="读原著")
        services.add_entry(session=s, user_id=user.id, source="adjustment", seconds=-600,
                           local_date=date(2025, 3, 5), recorded_by_id=recorder.id, reason="更正")
        services.add_entry(session=s, user_id=user.id, source="offline", seconds=32 * 3600,
                           local_date=date(2024, 6, 1), recorded_by_id=recorder.id, reason="专题党课")


def test_my_hours_page_numbers(client, login, tree, lesson, db, frozen):
    frozen(2025, 4, 10, 9, 0, 0)
    m1 = tree["m1"]
    seed(db, m1, tree["sec1"], lesson)
    login(m1)
    html = client.get("/hours/").get_data(as_text=True)
    # 2400 + 14400 + 5400 - 600 = 21600 s = 6 学时 of 32.
    assert re.search(r"<strong>6</strong> / 32 学时", html)
    assert '<progress max="115200" value="21600"' in html
    for label, value in (("线上自学", "0.67"), ("集中学习", "4"), ("个人自学申报", "1.5"), ("调整", "-0.17")):
        assert re.search(rf"{label}</th><td class=\"num\">{re.escape(value)}</td>", html), label
    assert "《党政领导干部选拔任用工作条例》解读</th><td class=\"num\">0.67" in html
    # 26 学时 missing, 9 months left (April included): 2.89 a month, behind the even pace.
    assert "进度落后：余下 9 个月（含本月）每月还需学习约 2.89 学时" in html
    # The month chart: accessible SVG with text labels; bars per source.
    assert '<svg class="month-chart"' in html and "<title id=\"month-chart-title\">2025 年各月学时</title>" in html
    assert "1月 0.67 学时；2月 1.5 学时；3月 3.83 学时；4月 0 学时" in html
    assert 'class="bar bar-offline"' in html and "style=" not in html
    # Entries with their sources, newest first.
    assert html.index("更正") < html.index("主题党日") < html.index("读原著")
    assert "系统计时" in html and "−10 分钟" in html
    # Earlier years are selectable.
    assert '<option value="2024">2024 年</option>' in html
    old = client.get("/hours/?year=2024").get_data(as_text=True)
    assert re.search(r"<strong>32</strong> / 32 学时", old) and "已完成 2024 年度 32 学时要求" in old
    assert "专题党课" in old and "主题党日" not in old
    assert client.get("/hours/?year=2999").status_code == 200  # unknown years fall back to this year


def test_dashboard_glance(client, login, tree, lesson, db, frozen):
    frozen(2025, 4, 10, 9, 0, 0)
    seed(db, tree["m1"], tree["sec1"], lesson)
    login(tree["m1"])
    html = client.get("/").get_data(as_text=True)
    assert "2025 年度学时" in html and "<strong>6</strong>/32 学时" in html
    assert 'href="/hours/"' in html


def test_config_changes_the_units(app, client, login, tree, lesson, db, frozen):
    app.config["ANNUAL_REQUIRED_HOURS"] = 40
    app.config["MINUTES_PER_CREDIT_HOUR"] = 45
    frozen(2025, 4, 10, 9, 0, 0)
    seed(db, tree["m1"], tree["sec1"], lesson)
    login(tree["m1"])
    html = client.get("/hours/").get_data(as_text=True)
    assert re.search(r"<strong>8</strong> / 40 学时", html)  # 21600 s / 2700 s


def test_pace():
    req = 32 * 3600
    assert pace_for(total=req, required=req, year=2025, today=date(2025, 2, 1)).state == "done"
    early = pace_for(total=4 * 3600, required=req, year=2025, today=date(2025, 2, 1))
    assert early.state == "on_track" and early.months_left == 11
    late = pace_for(total=4 * 3600, required=req, year=2025, today=date(2025, 11, 20))
    assert late.state == "behind" and late.months_left == 2 and late.per_month_seconds == 14 * 3600
    past = pace_for(total=30 * 3600, required=req, year=2024, today=date(2025, 1, 2))
    assert past.state == "ended_short" and past.missing_seconds == 2 * 3600


def test_year_totals_over_a_scope_and_year_total(tree, lesson, db, frozen):
    from lms.access import scope_for
    from lms.auth.models import User

    frozen(2025, 4, 10, 9, 0, 0)
    seed(db, tree["m1"], tree["sec1"], lesson)
    seed(db, tree["m2"], tree["sec2"], lesson)
    with db() as s:
        scope = scope_for(session=s, user=tree["sec1"])
        totals = services.year_totals(session=s, user_ids_select=sa.select(User.id).where(scope.user_filter()),
                                      year=2025)
        assert totals == {tree["m1"].id: {"online": 2400, "offline": 14400, "self_report": 5400, "adjustment": -600}}
        assert services.year_total_seconds(session=s, user_id=tree["m2"].id, year=2024) == 32 * 3600
        assert services.year_total_seconds(session=s, user_id=tree["m1b"].id, year=2025) == 0


def test_studied_lessons(tree, lesson, db, frozen):
    frozen(2025, 4, 10, 9, 0, 0)
    with db() as s:
        for day, seconds in ((date(2024, 12, 30), 1000), (date(2025, 1, 2), 700)):
            services.upsert_online(session=s, user_id=tree["m1"].id, lesson_id=lesson.id,
                                   course_id=lesson.course_id, local_date=day, seconds=seconds, at=clock.now())
        assert progress.studied_lesson_ids(session=s, user_id=tree["m1"].id, lesson_ids=[lesson.id]) == set()
        services.upsert_online(session=s, user_id=tree["m1"].id, lesson_id=lesson.id, course_id=lesson.course_id,
                               local_date=date(2025, 1, 3), seconds=100, at=clock.now())
        assert progress.studied_lesson_ids(session=s, user_id=tree["m1"].id, lesson_ids=[lesson.id]) == {lesson.id}
        # Other sources do not study a lesson.
        services.add_entry(session=s, user_id=tree["m2"].id, source="adjustment", seconds=3600,
                           local_date=date(2025, 1, 3), recorded_by_id=tree["admin"].id, reason="x",
                           lesson_id=lesson.id)
        assert progress.studied_lesson_ids(session=s, user_id=tree["m2"].id, lesson_ids=[lesson.id]) == set()


def test_add_entry_refuses_online_and_fractions(tree, db):
    import pytest

    with db() as s, pytest.raises(ValueError):
        services.add_entry(session=s, user_id=tree["m1"].id, source="online", seconds=10,
                           local_date=date(2025, 1, 1), recorded_by_id=None)
    with db() as s, pytest.raises(TypeError):
        services.add_entry(session=s, user_id=tree["m1"].id, source="offline", seconds=10.5,
                           local_date=date(2025, 1, 1), recorded_by_id=None)


def test_hours_pages_need_login(client):
    assert client.get("/hours/").status_code == 302
    assert client.get("/hours/self-reports").status_code == 302


def test_the_month_chart_names_this_month_for_narrow_screens(client, login, tree, lesson, db, frozen):
    """On a phone the chart scrolls sideways; chart-focus.js scrolls to the month in data-focus
    (this month in the current year, December in an earlier one)."""
    frozen(2025, 4, 10, 9, 0, 0)
    seed(db, tree["m1"], tree["sec1"], lesson)
    login(tree["m1"])
    html = client.get("/hours/").get_data(as_text=True)
    # April's slot centre: (44 + 584 / 12 × 3.5) / 640 of the width.
    assert 'data-focus="0.335"' in html and "js/chart-focus.js" in html
    assert 'data-focus="0.943"' in client.get("/hours/?year=2024").get_data(as_text=True)  # December
