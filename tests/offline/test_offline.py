"""集中学习: recording credits every attendee; edits and voids only ever append ledger rows."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from lms import clock
from lms.audit.models import AuditEvent
from lms.hours.models import LedgerEntry
from lms.offline.models import OfflineAttendance, OfflineSession
from tests.conftest import csrf_token

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(datetime(2025, 6, 15, 10, 0, tzinfo=CST))


def post_session(client, org_id, attendees, path=None, **fields):
    path = path or f"/sessions/new?org_id={org_id}"
    form = {"type": "党课", "topic": "学习《干部任用条例》", "held_on": "2025-06-10", "start_time": "09:00",
            "duration_hours": "2",
            "duration_minutes": "30", "place": "支部活动室", **fields}
    data = [(k, v) for k, v in form.items()] + [("attendees", str(a)) for a in attendees]
    data.append(("csrf_token", csrf_token(client, "/account/password")))
    return client.post(path, data=MultiDict(data))


def ledger(db, user_id=None, session_id=None):
    with db() as s:
        stmt = select(LedgerEntry).order_by(LedgerEntry.id)
        if user_id is not None:
            stmt = stmt.where(LedgerEntry.user_id == user_id)
        if session_id is not None:
            stmt = stmt.where(LedgerEntry.offline_session_id == session_id)
        return [(e.id, e.user_id, e.source, e.seconds, e.local_date, e.note, e.created_at, e.updated_at)
                for e in s.exec(stmt)]


def total(db, user_id, year=2025):
    return sum(r[3] for r in ledger(db, user_id) if r[4].year == year)


def only_session(db):
    with db() as s:
        return s.exec(select(OfflineSession)).one()


def audit_actions(db):
    with db() as s:
        return [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_record_credits_each_attendee_and_is_audited(client, login, tree, db):
    login(tree["sec1"])
    form = client.get(f"/sessions/new?org_id={tree['b1'].id}").get_data(as_text=True)
    # The roster of the branch, with a select-all box; not the other branch's members.
    assert "党员甲" in form and "党员丙" in form and "党员乙" not in form
    assert 'data-select-all="attendees"' in form

    resp = post_session(client, tree["b1"].id, [tree["m1"].id, tree["m1b"].id])
    assert resp.status_code == 302
    record = only_session(db)
    assert (record.type, record.topic, record.held_on, record.duration_seconds) == ("党课", "学习《干部任用条例》",
                                                                                  date(2025, 6, 10), 150 * 60)
    for m in ("m1", "m1b"):
        rows = ledger(db, tree[m].id)
        assert [(r[2], r[3], r[4]) for r in rows] == [("offline", 9000, date(2025, 6, 10))]
    assert ledger(db, tree["m2"].id) == [] and ledger(db, tree["sec1"].id) == []
    assert audit_actions(db) == ["session.record"]

    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "参加人员（2 人）" in page and "党员甲" in page and "2 小时 30 分钟" in page
    listing = client.get("/sessions/").get_data(as_text=True)
    assert "学习《干部任用条例》" in listing


def test_member_sees_it_on_my_hours(client, app, login, tree, db):
    login(tree["sec1"])
    post_session(client, tree["b1"].id, [tree["m1"].id])
    other = app.test_client()
    other.post("/login", data={"login": tree["m1"].login_name, "password": "pass1234",
                               "csrf_token": csrf_token(other)})
    page = other.get("/hours/").get_data(as_text=True)
    assert "<strong>2.5</strong> / 32 学时" in page
    assert "党课：学习《干部任用条例》" in page


def test_future_date_is_refused_and_the_form_keeps_what_was_typed(client, login, tree, db):
    login(tree["sec1"])
    resp = post_session(client, tree["b1"].id, [tree["m1"].id], held_on="2025-06-16", topic="明天的党课")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "日期不能晚于今天" in html
    assert 'value="明天的党课"' in html
    assert f'value="{tree["m1"].id}" checked' in html and f'value="{tree["m1b"].id}" checked' not in html
    with db() as s:
        assert s.exec(select(OfflineSession)).all() == []
    assert ledger(db) == [] and audit_actions(db) == []


@pytest.mark.parametrize(("fields", "attendees", "message"), [
    ({"duration_hours": "0", "duration_minutes": "0"}, True, "时长应在 1 分钟至 10 小时"),
    ({"duration_hours": "10", "duration_minutes": "1"}, True, "时长应在 1 分钟至 10 小时"),
    ({"duration_hours": "", "duration_minutes": "两小时"}, True, "请填写整数"),
    ({"topic": "  "}, True, "请填写主题"),
    ({"held_on": "6月10日"}, True, "请按“年-月-日”填写日期"),
    ({}, False, "请至少选择一名参加人员"),
])
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, login, tree, db, fields, attendees, message):
    login(tree["sec1"])
    resp = post_session(client, tree["b1"].id, [tree["m1"].id] if attendees else [], **fields)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert ledger(db) == []


def test_minutes_only_is_fine(client, login, tree, db):
    login(tree["sec1"])
    resp = post_session(client, tree["b1"].id, [tree["m1"].id], duration_hours="", duration_minutes="150")
    assert resp.status_code == 302
    assert only_session(db).duration_seconds == 9000


def test_a_likely_duplicate_warns_and_can_be_confirmed(client, login, tree, db):
    login(tree["sec1"])
    assert post_session(client, tree["b1"].id, [tree["m1"].id]).status_code == 302
    resp = post_session(client, tree["b1"].id, [tree["m1"].id, tree["m1b"].id], topic="学习《干部任用条例》（二）")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "可能重复登记" in html
    assert "我已核对，这不是重复登记" in html
    assert len(ledger(db)) == 1

    # Another type on the same day is not a duplicate.
    assert post_session(client, tree["b1"].id, [tree["m1"].id], type="支委会", start_time="14:00").status_code == 302
    # Confirmed: saved.
    resp = post_session(client, tree["b1"].id, [tree["m1"].id], topic="学习《干部任用条例》（二）",
                        confirm_duplicate="y", start_time="19:00")
    assert resp.status_code == 302
    assert total(db, tree["m1"].id) == 3 * 9000


def test_edit_appends_compensating_rows_and_never_updates_old_ones(client, login, tree, make_user, db):
    m3 = make_user("member", tree["b1"].id, name="党员丁")
    login(tree["sec1"])
    post_session(client, tree["b1"].id, [tree["m1"].id, tree["m1b"].id])
    record = only_session(db)
    before = ledger(db)
    assert len(before) == 2

    # Shorter (2 h), 党员丙 did not attend after all, 党员丁 did.
    resp = post_session(client, None, [tree["m1"].id, m3.id], path=f"/sessions/{record.id}/edit",
                        duration_hours="2", duration_minutes="0", revision="1")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    after = ledger(db)
    assert after[:2] == before, "existing ledger rows must never change"
    new = [(r[1], r[3]) for r in after[2:]]
    assert sorted(new) == sorted([(tree["m1"].id, -1800), (tree["m1b"].id, -9000), (m3.id, 7200)])
    assert (total(db, tree["m1"].id), total(db, tree["m1b"].id), total(db, m3.id)) == (7200, 0, 7200)
    with db() as s:
        assert sorted(s.exec(select(OfflineAttendance.user_id)).all()) == sorted([tree["m1"].id, m3.id])
    assert audit_actions(db) == ["session.record", "session.update"]

    # Moving the date moves the credit: minus on the old day, plus on the new one.
    resp = post_session(client, None, [tree["m1"].id, m3.id], path=f"/sessions/{record.id}/edit",
                        duration_hours="2", duration_minutes="0", held_on="2025-06-12", revision="2")
    assert resp.status_code == 302
    rows = ledger(db, tree["m1"].id)
    assert [(r[3], r[4]) for r in rows[-2:]] == [(-7200, date(2025, 6, 10)), (7200, date(2025, 6, 12))]
    assert total(db, tree["m1"].id) == 7200
    assert ledger(db)[:len(after)] == after

    # Saving the same values again writes nothing.
    count = len(ledger(db))
    post_session(client, None, [tree["m1"].id, m3.id], path=f"/sessions/{record.id}/edit",
                 duration_hours="2", duration_minutes="0", held_on="2025-06-12", revision="3")
    assert len(ledger(db)) == count


def test_a_stale_form_is_refused(client, login, tree, db):
    login(tree["sec1"])
    post_session(client, tree["b1"].id, [tree["m1"].id])
    record = only_session(db)
    post_session(client, None, [tree["m1"].id], path=f"/sessions/{record.id}/edit", duration_minutes="0",
                 revision="1")
    resp = post_session(client, None, [tree["m1"].id, tree["m1b"].id], path=f"/sessions/{record.id}/edit",
                        duration_hours="3", duration_minutes="0", revision="1")
    assert resp.status_code == 400 and "已被修改" in resp.get_data(as_text=True)
    assert total(db, tree["m1b"].id) == 0 and total(db, tree["m1"].id) == 7200


def test_void_takes_the_credit_back_with_negative_rows(client, login, tree, db):
    login(tree["sec1"])
    post_session(client, tree["b1"].id, [tree["m1"].id, tree["m1b"].id])
    record = only_session(db)
    before = ledger(db)
    token = csrf_token(client, f"/sessions/{record.id}/void")
    resp = client.post(f"/sessions/{record.id}/void", data={"reason": "", "csrf_token": token})
    assert resp.status_code == 400 and "请填写作废理由" in resp.get_data(as_text=True)
    resp = client.post(f"/sessions/{record.id}/void", data={"reason": "重复登记", "csrf_token": token})
    assert resp.status_code == 302
    after = ledger(db)
    assert after[:2] == before
    assert sorted((r[1], r[3]) for r in after[2:]) == sorted([(tree["m1"].id, -9000), (tree["m1b"].id, -9000)])
    assert total(db, tree["m1"].id) == 0 and total(db, tree["m1b"].id) == 0
    assert audit_actions(db) == ["session.record", "session.void"]
    page = client.get(f"/sessions/{record.id}").get_data(as_text=True)
    assert "已作废" in page and "重复登记" in page
    # A voided session can be neither edited nor voided again.
    assert client.get(f"/sessions/{record.id}/edit").status_code == 302
    resp = post_session(client, None, [tree["m1"].id], path=f"/sessions/{record.id}/edit", revision="2")
    assert resp.status_code == 302 and len(ledger(db)) == 4
    # A voided session no longer counts as a duplicate.
    assert post_session(client, tree["b1"].id, [tree["m1"].id]).status_code == 302


def test_members_cannot_record(client, login, tree):
    login(tree["m1"])
    assert client.get("/sessions/").status_code == 403
    assert client.get(f"/sessions/new?org_id={tree['b1'].id}").status_code == 403


def test_admin_picks_a_branch(client, login, tree):
    login(tree["admin"])
    page = client.get("/sessions/new").get_data(as_text=True)
    assert "第一支部" in page and "第二支部" in page
    assert client.get("/sessions/new", query_string={"org_id": tree["b2"].id}).status_code == 200
