"""学时异常 review through the pages: a secretary in scope sees the reasons and the evidence,
不予认定 a stretch (a negative 调整 with the reason, audited, on the member's 我的学时) or clears
the member (audited); another branch's secretary sees nothing of it."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from lms import clock
from tests.conftest import csrf_token


def add_stretch(db, user, lesson, **kw):
    from lms.hours import services
    from lms.hours.models import StudyStretch

    with db() as s:
        end = clock.now() - timedelta(hours=1)
        st = StudyStretch(user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id, ip="10.1.2.3",
                          started_at=end - timedelta(minutes=30), ended_at=end, credited=1800, capped=True, **kw)
        s.add(st)
        services.upsert_online(session=s, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                               local_date=clock.local_date(end), seconds=1800, at=end)
        s.commit()
        return st.id


def year_total(db, user_id) -> int:
    from lms.hours.models import LedgerEntry

    with db() as s:
        return sum(s.exec(select(LedgerEntry.seconds).where(LedgerEntry.user_id == user_id)))


def test_a_secretary_reviews_and_voids_a_stretch(app, client, db, login, tree, synced, lesson_row):
    m1, sec1 = tree["m1"], tree["sec1"]
    flagged = add_stretch(db, m1, lesson_row, presence_fast=2, beat_n=60, gap_sum_ms=60 * 30_000,
                          gap_sq_ms=60 * 30_000 ** 2)
    add_stretch(db, tree["m1b"], lesson_row, beat_n=3, gap_sum_ms=90_000, gap_sq_ms=3 * 30_000 ** 2)  # nothing wrong
    login(sec1)
    page = client.get("/integrity/").get_data(as_text=True)
    assert "党员甲" in page and "党员丙" not in page
    assert "防挂机确认点击过快" in page and "计时心跳机械般整齐" in page
    assert "过快 2 次" in page and "标准差 0 毫秒" in page and "10.1.2.3" in page

    token = csrf_token(client, "/integrity/")
    empty = client.post(f"/integrity/stretches/{flagged}/void", data={"reason": "  ", "csrf_token": token})
    assert empty.status_code == 400 and "请填写不予认定的理由。" in empty.get_data(as_text=True)
    assert year_total(db, m1.id) == 1800
    resp = client.post(f"/integrity/stretches/{flagged}/void",
                       data={"reason": "确认点击早于人的反应", "csrf_token": token})
    assert resp.status_code == 302
    assert year_total(db, m1.id) == 0
    again = client.post(f"/integrity/stretches/{flagged}/void", data={"reason": "再扣一次", "csrf_token": token},
                        follow_redirects=True)
    assert "已经不予认定过了" in again.get_data(as_text=True)
    assert year_total(db, m1.id) == 0

    from lms.audit.models import AuditEvent

    with db() as s:
        [event] = s.exec(select(AuditEvent).where(AuditEvent.action == "study.void")).all()
        assert event.actor_id == sec1.id and event.target_id == flagged
    # The member sees it on 我的学时, with the reason.
    client.post("/logout", data={"csrf_token": token})
    login(m1)
    mine = client.get("/hours/").get_data(as_text=True)
    assert "不予认定：确认点击早于人的反应" in mine and "-30 分钟" in mine.replace("−", "-")


def test_clearing_a_member_is_audited_and_ends_the_listing(client, db, login, tree, synced, lesson_row):
    m1 = tree["m1"]
    add_stretch(db, m1, lesson_row, presence_fast=1)
    login(tree["sec1"])
    token = csrf_token(client, "/integrity/")
    assert "党员甲" in client.get("/integrity/").get_data(as_text=True)
    resp = client.post(f"/integrity/members/{m1.id}/clear", data={"note": "当面核实", "csrf_token": token})
    assert resp.status_code == 302
    assert "暂无学时异常" in client.get("/integrity/").get_data(as_text=True)
    assert year_total(db, m1.id) == 1800  # clearing takes nothing back
    from lms.audit.models import AuditEvent

    with db() as s:
        assert s.exec(select(AuditEvent.action).where(AuditEvent.target_id == m1.id,
                                                      AuditEvent.action == "study.clear")).all() == ["study.clear"]


def test_another_branch_and_the_member_page(client, db, login, tree, synced, lesson_row):
    m1 = tree["m1"]
    stretch_id = add_stretch(db, m1, lesson_row, presence_fast=1)
    login(tree["sec2"])
    assert "党员甲" not in client.get("/integrity/").get_data(as_text=True)
    token = csrf_token(client, "/integrity/")
    assert client.post(f"/integrity/stretches/{stretch_id}/void",
                       data={"reason": "越权", "csrf_token": token}).status_code == 404
    assert client.post(f"/integrity/members/{m1.id}/clear", data={"csrf_token": token}).status_code == 404
    client.post("/logout", data={"csrf_token": token})
    login(tree["sec1"])
    member_page = client.get(f"/orgs/members/{m1.id}").get_data(as_text=True)
    assert "学时异常" in member_page and f"/integrity/#member-{m1.id}" in member_page
    assert "学时异常" not in client.get(f"/orgs/members/{tree['m1b'].id}").get_data(as_text=True).split("</nav>")[-1]


def test_a_secretary_cannot_decide_on_their_own_study(client, db, login, tree, synced, lesson_row):
    sec1 = tree["sec1"]
    stretch_id = add_stretch(db, sec1, lesson_row, presence_fast=1)
    login(sec1)
    assert "书记甲" in client.get("/integrity/").get_data(as_text=True)  # listed, for the level above to see
    token = csrf_token(client, "/integrity/")
    resp = client.post(f"/integrity/stretches/{stretch_id}/void", data={"reason": "自己扣", "csrf_token": token},
                       follow_redirects=True)
    assert "不能处理本人的学时异常" in resp.get_data(as_text=True)
    resp = client.post(f"/integrity/members/{sec1.id}/clear", data={"csrf_token": token}, follow_redirects=True)
    assert "不能处理本人的学时异常" in resp.get_data(as_text=True)
    assert year_total(db, sec1.id) == 1800
    assert "书记甲" in client.get("/integrity/").get_data(as_text=True)
