"""The daily cap (DAILY_MAX_HOURS, 12 学时 by default): one sum of a member's local day over every
source, and the manual writes that credit time refused past it: self-report approval (one or a
batch) and a positive 调整. Taking time away is never refused."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from lms.hours import daily, services
from lms.hours.models import LedgerEntry, SelfReport
from tests.conftest import csrf_token
from tests.hours.conftest import login_with
from tests.hours.test_self_reports import adjust, submit

HOUR = 3600
DAY = date(2025, 3, 8)


def credit(db, user, source, seconds, day=DAY, by=None):
    with db() as s:
        services.add_entry(session=s, user_id=user.id, source=source, seconds=seconds, local_date=day,
                           recorded_by_id=by.id if by else None, reason="测试")
        s.commit()


def day_total(db, user, day=DAY):
    with db() as s:
        return daily.credited_seconds_on(session=s, user_ids=[user.id], day=day)[user.id]


def statuses(db, user):
    with db() as s:
        return [r.status for r in s.exec(select(SelfReport).where(SelfReport.user_id == user.id).order_by(SelfReport.id))]


def test_one_sum_over_every_source_for_the_local_day(app, tree, lesson, db, frozen):
    frozen(2025, 3, 10, 9, 0, 0)
    m1 = tree["m1"]
    with db() as s:
        services.upsert_online(session=s, user_id=m1.id, lesson_id=lesson.id, course_id=lesson.course_id,
                               local_date=DAY, seconds=1800, at=services.clock.now())
        s.commit()
    credit(db, m1, "offline", 2 * HOUR)
    credit(db, m1, "self_report", HOUR)
    credit(db, m1, "adjustment", -600)
    credit(db, m1, "offline", 5 * HOUR, day=date(2025, 3, 9))  # another day
    credit(db, tree["m1b"], "offline", 5 * HOUR)  # another member
    assert day_total(db, m1) == 1800 + 2 * HOUR + HOUR - 600
    with app.app_context():
        assert daily.daily_max_seconds() == 12 * HOUR
        app.config["DAILY_MAX_HOURS"] = 8
        assert daily.daily_max_seconds() == 8 * HOUR


def test_approving_a_self_report_past_the_cap_is_refused_and_it_stays_pending(app, client, login, tree, frozen, db):
    frozen(2025, 3, 10, 9, 0, 0)
    m1 = tree["m1"]
    credit(db, m1, "offline", 6 * HOUR, by=tree["sec1"])
    login(m1)
    assert submit(client, minutes="420").status_code == 302  # 7 h on 2025-03-08
    (report,) = [r for r in _reports(db, m1)]

    sec = app.test_client()
    login_with(sec, tree["sec1"])
    token = csrf_token(sec, "/hours/self-reports/review")
    page = sec.post(f"/hours/self-reports/{report.id}/approve", data={"csrf_token": token},
                    follow_redirects=True).get_data(as_text=True)
    assert "不能通过" in page and "党员甲 在 2025年3月8日 已计入 6 学时，再计入 7 学时将超过每日上限" in page
    assert statuses(db, m1) == ["pending"] and day_total(db, m1) == 6 * HOUR
    # Within the cap it goes through.
    app.config["DAILY_MAX_HOURS"] = 13
    sec.post(f"/hours/self-reports/{report.id}/approve", data={"csrf_token": token})
    assert statuses(db, m1) == ["approved"] and day_total(db, m1) == 13 * HOUR


def _reports(db, user):
    with db() as s:
        return list(s.exec(select(SelfReport).where(SelfReport.user_id == user.id).order_by(SelfReport.id)))


def test_a_batch_with_one_report_past_the_cap_approves_none(app, client, login, tree, frozen, db):
    frozen(2025, 3, 10, 9, 0, 0)
    m1, m1b = tree["m1"], tree["m1b"]
    credit(db, m1, "offline", 10 * HOUR)
    login(m1)
    submit(client, minutes="180")
    other = app.test_client()
    login_with(other, m1b)
    submit(other, minutes="60")
    ids = [r.id for r in _reports(db, m1) + _reports(db, m1b)]

    sec = app.test_client()
    login_with(sec, tree["sec1"])
    token = csrf_token(sec, "/hours/self-reports/review")
    page = sec.post("/hours/self-reports/approve-batch", data={"csrf_token": token, "report_ids": ids},
                    follow_redirects=True).get_data(as_text=True)
    assert "党员甲 在 2025年3月8日 已计入 10 学时，再计入 3 学时将超过每日上限" in page
    assert statuses(db, m1) == ["pending"] and statuses(db, m1b) == ["pending"]
    with db() as s:
        assert s.exec(select(LedgerEntry).where(LedgerEntry.source == "self_report")).all() == []


def test_a_positive_adjustment_past_the_cap_is_refused_a_negative_one_is_not(app, client, login, tree, frozen, db):
    frozen(2025, 3, 10, 9, 0, 0)
    m1 = tree["m1"]
    credit(db, m1, "offline", 10 * HOUR, day=date(2025, 3, 10))
    login(tree["admin"])
    resp = adjust(client, m1.id, minutes="180", reason="补记")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "党员甲 在 2025年3月10日 已计入 10 学时，再计入 3 学时将超过每日上限" in html and '补记</textarea>' in html
    assert adjust(client, m1.id, minutes="120", reason="补记").status_code == 302  # exactly 12
    assert adjust(client, m1.id, minutes="-60", reason="扣减").status_code == 302
    assert day_total(db, m1, date(2025, 3, 10)) == 11 * HOUR


def test_simultaneous_adjustments_stop_at_the_cap(app, client, login, tree, frozen, db):
    """Eight 2-hour adjustments for one member's day at once, 4 hours already there: exactly four
    pass (the members' rows are locked before the sum, so none passes on a stale total)."""
    import threading

    frozen(2025, 3, 10, 9, 0, 0)
    m1 = tree["m1"]
    credit(db, m1, "offline", 4 * HOUR, day=date(2025, 3, 10))
    login(tree["admin"])
    token = csrf_token(client, f"/hours/members/{m1.id}")
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(8):
        c = app.test_client()
        c.set_cookie("session", cookie.value)
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    codes: list[int] = []
    errors: list[BaseException] = []

    def fire(c):
        try:
            barrier.wait(timeout=10)
            resp = c.post(f"/hours/members/{m1.id}/adjust",
                          data={"minutes": "120", "local_date": "2025-03-10", "reason": "补记", "csrf_token": token})
            codes.append(resp.status_code)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=fire, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(codes) == [302] * 4 + [400] * 4
    assert day_total(db, m1, date(2025, 3, 10)) == 12 * HOUR
