"""集中学习 and the ledger's sanity rules: a start time, no member in two sessions at once, the daily
cap, and a secretary's session for themself alone awaiting the next level's approval."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import select

from lms.audit.models import AuditEvent
from lms.offline.models import OfflineSession
from tests.conftest import csrf_token
from tests.offline.test_offline import _frozen, ledger, post_session, total  # noqa: F401 (fixture)

HOUR = 3600


def client_for(app, user):
    c = app.test_client()
    resp = c.post("/login", data={"login": user.login_name, "password": "pass1234", "csrf_token": csrf_token(c)})
    assert resp.status_code == 302
    return c


def sessions(db):
    with db() as s:
        return list(s.exec(select(OfflineSession).order_by(OfflineSession.id)))


def audit_actions(db):
    with db() as s:
        return [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]


# ---------------------------------------------------------------- start time and overlap


def test_the_start_time_is_kept_and_shown(app, tree, db):
    c = client_for(app, tree["sec1"])
    resp = post_session(c, tree["b1"].id, [tree["m1"].id], start_time="14:30")
    assert resp.status_code == 302
    assert sessions(db)[0].start_time == time(14, 30)
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "14:30–17:00" in page


@pytest.mark.parametrize(("start", "message"), [
    ("", "请填写开始时间"),
    ("下午两点", "请按“时:分”填写开始时间"),
    ("25:00", "请按“时:分”填写开始时间"),
    ("22:00", "将跨过午夜"),
])
def test_a_missing_or_bad_start_time_is_refused_and_the_form_keeps_the_rest(app, tree, db, start, message):
    c = client_for(app, tree["sec1"])
    resp = post_session(c, tree["b1"].id, [tree["m1"].id], start_time=start, topic="学习党章")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in html
    assert 'value="学习党章"' in html and (not start or f'value="{start}"' in html)
    assert sessions(db) == [] and ledger(db) == []


def test_a_member_cannot_be_credited_for_two_overlapping_sessions(app, tree, db):
    c = client_for(app, tree["sec1"])
    m1, m1b = tree["m1"], tree["m1b"]
    assert post_session(c, tree["b1"].id, [m1.id], topic="党章学习", start_time="09:00").status_code == 302  # 09:00–11:30
    resp = post_session(c, tree["b1"].id, [m1.id, m1b.id], type="主题党日", topic="参观纪念馆", start_time="11:00",
                        place="纪念馆")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    # Names the member (not the one who is free), the date and the other session.
    assert "时间重叠" in html and "党员甲 在 2025年6月10日 已参加党课“党章学习”（09:00–11:30）" in html
    assert "党员丙 在" not in html and "11:00–13:30" in html
    # The form keeps what was typed.
    assert 'value="参观纪念馆"' in html and 'value="纪念馆"' in html and 'value="11:00"' in html
    assert f'value="{m1b.id}" checked' in html
    assert len(sessions(db)) == 1 and total(db, m1b.id) == 0

    # Back to back is fine; so is the same time for someone else.
    assert post_session(c, tree["b1"].id, [m1.id, m1b.id], type="主题党日", topic="参观纪念馆",
                        start_time="11:30").status_code == 302
    assert post_session(c, tree["b1"].id, [m1b.id], type="支委会", topic="支委会", start_time="09:00").status_code == 302
    assert (total(db, m1.id), total(db, m1b.id)) == (2 * 9000, 2 * 9000)


def test_editing_a_session_rechecks_the_overlap(app, tree, db):
    c = client_for(app, tree["sec1"])
    m1 = tree["m1"]
    post_session(c, tree["b1"].id, [m1.id], topic="上午", start_time="09:00")
    post_session(c, tree["b1"].id, [m1.id], type="支委会", topic="下午", start_time="14:00")
    afternoon = sessions(db)[1]
    resp = post_session(c, None, [m1.id], path=f"/sessions/{afternoon.id}/edit", type="支委会", topic="下午",
                        start_time="10:00", revision="1")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "党员甲 在 2025年6月10日 已参加党课“上午”（09:00–11:30）" in html
    assert sessions(db)[1].start_time == time(14, 0) and sessions(db)[1].revision == 1
    # Moving it to another day is fine.
    resp = post_session(c, None, [m1.id], path=f"/sessions/{afternoon.id}/edit", type="支委会", topic="下午",
                        start_time="10:00", held_on="2025-06-11", revision="1")
    assert resp.status_code == 302


def test_an_older_session_without_a_start_time_takes_the_whole_day(app, tree, db):
    c = client_for(app, tree["sec1"])
    m1 = tree["m1"]
    post_session(c, tree["b1"].id, [m1.id], topic="旧记录")
    with db() as s:  # recorded before the start time was asked for
        old = s.exec(select(OfflineSession)).one()
        old.start_time = None
        s.add(old)
        s.commit()
    resp = post_session(c, tree["b1"].id, [m1.id], type="支委会", topic="晚上", start_time="20:00")
    assert resp.status_code == 400
    assert "党员甲 在 2025年6月10日 已参加党课“旧记录”（开始时间未填写，按全天计）" in resp.get_data(as_text=True)
    assert "旧记录" in c.get(f"/sessions/{old.id}").get_data(as_text=True)


# ---------------------------------------------------------------- the daily cap


def test_four_600_minute_sessions_on_one_date_do_not_give_40_hours(app, tree, db):
    """The reviewer's case: the cap refuses the second, the overlap check any that share a time."""
    c = client_for(app, tree["sec1"])
    m1 = tree["m1"]
    long = {"duration_hours": "10", "duration_minutes": "0"}
    assert post_session(c, tree["b1"].id, [m1.id], topic="第一次", start_time="00:00", **long).status_code == 302
    results = []
    for n, start in ((2, "10:00"), (3, "05:00"), (4, "14:00")):
        resp = post_session(c, tree["b1"].id, [m1.id], type="集中轮训", topic=f"第{n}次", start_time=start, **long)
        results.append((resp.status_code, resp.get_data(as_text=True)))
    assert [code for code, _ in results] == [400, 400, 400]
    assert "每名党员一天最多计入 12 学时" in results[0][1]
    assert "党员甲 在 2025年6月10日 已计入 10 学时，再计入 10 学时将超过每日上限" in results[0][1]
    assert "时间重叠" in results[1][1]
    assert total(db, m1.id) == 10 * HOUR and len(sessions(db)) == 1
    # A short one that fits under the cap is still fine (10:00–12:00: 12 学时 in all).
    assert post_session(c, tree["b1"].id, [m1.id], type="支委会", topic="短会", start_time="10:00",
                        duration_hours="2", duration_minutes="0").status_code == 302
    assert total(db, m1.id) == 12 * HOUR


def test_the_cap_counts_every_source_and_editing_rechecks_it(app, tree, db):
    from lms.hours import services as hours

    c = client_for(app, tree["sec1"])
    m1, m1b = tree["m1"], tree["m1b"]
    with db() as s:  # 9 学时 of approved self-study that day
        hours.add_entry(session=s, user_id=m1.id, source="self_report", seconds=9 * HOUR,
                        local_date=date(2025, 6, 10), recorded_by_id=tree["sec1"].id, reason="自学")
        s.commit()
    assert post_session(c, tree["b1"].id, [m1b.id], start_time="09:00").status_code == 302  # 2.5 h
    record = sessions(db)[0]
    # Adding 党员甲 would give them 11.5 学时: fine; making it 4 hours would give 13: refused.
    resp = post_session(c, None, [m1.id, m1b.id], path=f"/sessions/{record.id}/edit", duration_hours="4",
                        duration_minutes="0", revision="1")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "党员甲 在 2025年6月10日 已计入 9 学时，再计入 4 学时将超过每日上限" in html
    assert "党员丙 在" not in html
    assert total(db, m1.id) == 9 * HOUR and total(db, m1b.id) == 9000
    resp = post_session(c, None, [m1.id, m1b.id], path=f"/sessions/{record.id}/edit", revision="1")
    assert resp.status_code == 302 and total(db, m1.id) == 9 * HOUR + 9000


def test_the_cap_is_configurable(app, tree, db):
    app.config["DAILY_MAX_HOURS"] = 2
    c = client_for(app, tree["sec1"])
    resp = post_session(c, tree["b1"].id, [tree["m1"].id])  # 2.5 h
    assert resp.status_code == 400 and "每名党员一天最多计入 2 学时" in resp.get_data(as_text=True)


# ---------------------------------------------------------------- a secretary's session for themself alone


def test_a_secretary_crediting_only_themself_waits_for_the_next_level(app, tree, db):
    sec1, admin = tree["sec1"], tree["admin"]
    c = client_for(app, sec1)
    resp = post_session(c, tree["b1"].id, [sec1.id], topic="自学党史", duration_hours="10", duration_minutes="0")
    assert resp.status_code == 302
    record = sessions(db)[0]
    assert record.status == "pending" and ledger(db) == []  # credits nothing yet
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "待审批" in page and "审批通过后才计入学时" in page and "上级党组织书记" not in page  # no 党委 secretary
    assert "管理员" in page
    # The secretary cannot approve it themself, and it is not in their queue.
    token = csrf_token(c, "/hours/self-reports/review")
    assert c.post(f"/sessions/{record.id}/approve", data={"csrf_token": token}).status_code == 404
    assert "自学党史" not in c.get("/hours/self-reports/review").get_data(as_text=True)
    # Nor can another branch's secretary (not in their scope).
    other = client_for(app, tree["sec2"])
    assert other.post(f"/sessions/{record.id}/approve",
                      data={"csrf_token": csrf_token(other, "/hours/self-reports/review")}).status_code == 404
    assert total(db, sec1.id) == 0

    # The next level (here the admin) sees it in the approval queue and approves it.
    a = client_for(app, admin)
    queue = a.get("/hours/self-reports/review").get_data(as_text=True)
    assert "待审批的集中学习（1）" in queue and "书记甲 · 党课“自学党史”" in queue
    resp = a.post(f"/sessions/{record.id}/approve", data={"csrf_token": csrf_token(a, "/hours/self-reports/review")})
    assert resp.status_code == 302
    assert total(db, sec1.id) == 10 * HOUR
    assert sessions(db)[0].status == "approved" and sessions(db)[0].decided_by_id == admin.id
    assert audit_actions(db) == ["session.record", "session.approve"]
    assert "待审批的集中学习" not in a.get("/hours/self-reports/review").get_data(as_text=True)


def test_a_branch_secretary_with_others_and_rejection(app, tree, db, make_user):
    sec1 = tree["sec1"]
    deputy = make_user("secretary", tree["b1"].id, name="副书记")
    c = client_for(app, sec1)
    post_session(c, tree["b1"].id, [sec1.id], topic="个人学习")
    record = sessions(db)[0]
    d = client_for(app, deputy)  # another secretary of the branch may decide, as for self-reports
    page = d.get(f"/sessions/{record.id}").get_data(as_text=True)
    assert "通过并计入学时" in page and "不通过" in page
    token = csrf_token(d, f"/sessions/{record.id}")
    resp = d.post(f"/sessions/{record.id}/reject", data={"reason": "", "csrf_token": token})
    assert resp.status_code == 400 and "请填写不通过的理由" in resp.get_data(as_text=True)
    resp = d.post(f"/sessions/{record.id}/reject", data={"reason": "没有签到记录", "csrf_token": token})
    assert resp.status_code == 302
    assert sessions(db)[0].status == "rejected" and ledger(db) == []
    assert audit_actions(db) == ["session.record", "session.reject"]
    page = c.get(f"/sessions/{record.id}").get_data(as_text=True)
    assert "未通过" in page and "没有签到记录" in page
    # Decided once: neither approved afterwards nor edited.
    assert d.post(f"/sessions/{record.id}/approve", data={"csrf_token": token}).status_code == 404
    resp = post_session(c, None, [sec1.id], path=f"/sessions/{record.id}/edit", revision="2")
    assert resp.status_code == 400 and "未通过审批" in resp.get_data(as_text=True)
    # A session with others is credited at once, the secretary included.
    assert post_session(c, tree["b1"].id, [sec1.id, tree["m1"].id], topic="支部学习",
                        start_time="14:00").status_code == 302
    assert sessions(db)[1].status == "approved" and total(db, sec1.id) == 9000


def test_editing_a_session_down_to_the_secretary_alone_sends_it_back_for_approval(app, tree, db):
    sec1, m1 = tree["sec1"], tree["m1"]
    c = client_for(app, sec1)
    post_session(c, tree["b1"].id, [sec1.id, m1.id])
    record = sessions(db)[0]
    assert total(db, sec1.id) == 9000
    resp = post_session(c, None, [sec1.id], path=f"/sessions/{record.id}/edit", revision="1")
    assert resp.status_code == 302
    assert sessions(db)[0].status == "pending"
    assert total(db, sec1.id) == 0 and total(db, m1.id) == 0  # nothing credited until approved
    a = client_for(app, tree["admin"])
    resp = a.post(f"/sessions/{record.id}/approve", data={"csrf_token": csrf_token(a, "/hours/self-reports/review"),
                                                          "next": "/hours/self-reports/review"})
    assert resp.headers["Location"].endswith("/hours/self-reports/review")  # back to the queue
    assert total(db, sec1.id) == 9000


def test_approval_rechecks_the_daily_cap(app, tree, db):
    from lms.hours import services as hours

    sec1 = tree["sec1"]
    c = client_for(app, sec1)
    post_session(c, tree["b1"].id, [sec1.id], duration_hours="10", duration_minutes="0")
    record = sessions(db)[0]
    with db() as s:  # meanwhile: 3 学时 of online study that day
        hours.upsert_online(session=s, user_id=sec1.id, lesson_id=None, course_id=None, local_date=date(2025, 6, 10),
                            seconds=3 * HOUR, at=record.created_at)
        s.commit()
    a = client_for(app, tree["admin"])
    resp = a.post(f"/sessions/{record.id}/approve", data={"csrf_token": csrf_token(a, "/hours/self-reports/review")},
                  follow_redirects=True)
    assert "书记甲 在 2025年6月10日 已计入 3 学时，再计入 10 学时将超过每日上限" in resp.get_data(as_text=True)
    assert sessions(db)[0].status == "pending" and total(db, sec1.id) == 3 * HOUR
