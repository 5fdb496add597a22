"""Approvals: batch approve in one transaction, skipping decided ones; every decision audited."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from lms import clock
from lms.audit.models import AuditEvent
from lms.hours import selfreports
from lms.hours.models import LedgerEntry, SelfReport
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(datetime(2025, 5, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


@pytest.fixture
def reports(db, tree):
    def _submit(member, topic, minutes=60):
        with db() as s:
            return selfreports.submit_report(session=s, user_id=member.id, study_date=date(2025, 5, 18),
                                             minutes=minutes, topic=topic, place="家中，读书笔记", today=clock.today())

    return [_submit(tree["m1"], "自学《条例》第一章"), _submit(tree["m1b"], "自学《条例》第二章", 90),
            _submit(tree["m1"], "自学《条例》第三章", 30)]


def statuses(db):
    with db() as s:
        return {r.id: r.status for r in s.exec(select(SelfReport))}


def audit_events(db):
    with db() as s:
        return [(e.action, e.target_id, e.details.get("batch")) for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]


def batch(client, ids):
    data = MultiDict([("report_ids", str(i)) for i in ids] + [("csrf_token", csrf_token(client, "/hours/self-reports/review"))])
    return client.post("/hours/self-reports/approve-batch", data=data, follow_redirects=True)


def test_batch_approve_credits_each_and_audits_each(client, login, tree, reports, db):
    login(tree["sec1"])
    page = client.get("/hours/self-reports/review").get_data(as_text=True)
    assert 'data-select-all="report_ids"' in page and "批量通过所选" in page
    resp = batch(client, [reports[0].id, reports[1].id])
    assert "已批量通过 2 条申报" in resp.get_data(as_text=True)
    assert statuses(db) == {reports[0].id: "approved", reports[1].id: "approved", reports[2].id: "pending"}
    with db() as s:
        rows = sorted((e.user_id, e.seconds) for e in s.exec(select(LedgerEntry)))
    assert rows == sorted([(tree["m1"].id, 3600), (tree["m1b"].id, 5400)])
    assert audit_events(db) == [("self_report.approve", reports[0].id, True),
                                ("self_report.approve", reports[1].id, True)]

    # The member sees the outcome.
    other = client.application.test_client()
    other.post("/login", data={"login": tree["m1b"].login_name, "password": "pass1234", "csrf_token": csrf_token(other)})
    mine = other.get("/hours/self-reports").get_data(as_text=True)
    assert "已通过" in mine
    assert "<strong>1.5</strong> / 32 学时" in other.get("/hours/").get_data(as_text=True)


def test_already_decided_ones_are_skipped_with_a_message(client, app, login, tree, reports, db):
    # The admin approves one first, in another browser.
    admin = app.test_client()
    admin.post("/login", data={"login": tree["admin"].login_name, "password": "pass1234",
                               "csrf_token": csrf_token(admin)})
    token = csrf_token(admin, "/hours/self-reports/review")
    admin.post(f"/hours/self-reports/{reports[0].id}/approve", data={"csrf_token": token})

    login(tree["sec1"])
    html = batch(client, [r.id for r in reports]).get_data(as_text=True)
    assert "已批量通过 2 条申报" in html and "1 条申报已由他人处理过，已跳过" in html
    with db() as s:
        assert len(s.exec(select(LedgerEntry)).all()) == 3  # never twice for the same report
    assert [a for a, _, _ in audit_events(db)] == ["self_report.approve"] * 3


def test_nothing_ticked(client, login, tree, reports, db):
    login(tree["sec1"])
    assert "请先勾选要通过的申报" in batch(client, []).get_data(as_text=True)
    assert set(statuses(db).values()) == {"pending"}


def test_single_decisions_are_audited(client, login, tree, reports, db):
    login(tree["sec1"])
    token = csrf_token(client, "/hours/self-reports/review")
    client.post(f"/hours/self-reports/{reports[0].id}/approve", data={"csrf_token": token})
    client.post(f"/hours/self-reports/{reports[1].id}/reject", data={"csrf_token": token, "reason": "缺少佐证材料"})
    assert [(a, t) for a, t, _ in audit_events(db)] == [("self_report.approve", reports[0].id),
                                                         ("self_report.reject", reports[1].id)]
    with db() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "self_report.reject")).one()
        assert event.details["reason"] == "缺少佐证材料" and event.org_id == tree["b1"].id
