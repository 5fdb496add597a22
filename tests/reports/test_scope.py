"""Scope: every new route (集中学习, 报表, 批量审批) answers 404 for a foreign branch's records and
changes nothing."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms import clock
from lms.access import scope_for
from lms.audit.models import AuditEvent
from lms.hours import selfreports
from lms.hours.models import LedgerEntry, SelfReport
from lms.offline import services as offline_services
from lms.offline.models import OfflineSession
from tests.conftest import PASSWORD, csrf_token

SESSION_FORM = {"type": "党课", "topic": "越权登记", "held_on": "2025-06-10", "duration_hours": "1",
                "duration_minutes": "0", "place": "", "revision": "1", "reason": "越权作废"}

# (method, path, extra form data). {b1}/{b2}: own / foreign branch; {s2}: a foreign session;
# {r1}/{r2}: own / foreign self report; {m1}/{m2}: own / foreign member; {c}: the committee.
ROUTES = [
    ("GET", "/sessions/{s2}", None),
    ("GET", "/sessions/{s2}/edit", None),
    ("POST", "/sessions/{s2}/edit", [("attendees", "{m2}")]),
    ("GET", "/sessions/{s2}/void", None),
    ("POST", "/sessions/{s2}/void", []),
    ("GET", "/sessions/?org_id={b2}", None),
    ("GET", "/sessions/new?org_id={b2}", None),
    ("POST", "/sessions/new?org_id={b2}", [("attendees", "{m2}")]),
    ("POST", "/sessions/new?org_id={b1}", [("attendees", "{m1}"), ("attendees", "{m2}")]),
    ("GET", "/reports/org/{b2}", None),
    ("GET", "/reports/org/{b2}?view=members", None),
    ("GET", "/reports/org/{c}", None),
    ("GET", "/reports/org/{b2}/export.csv", None),
    ("GET", "/reports/org/{b2}/export.xlsx", None),
    ("POST", "/hours/self-reports/approve-batch", [("report_ids", "{r2}")]),
    ("POST", "/hours/self-reports/approve-batch", [("report_ids", "{r1}"), ("report_ids", "{r2}")]),
]


@pytest.fixture
def foreign(tree, db):
    clock.freeze(datetime(2025, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    with db() as s:
        s2 = offline_services.record_session(
            session=s, scope=scope_for(session=s, user=tree["sec2"]), actor=tree["sec2"], org=tree["b2"],
            data=offline_services.SessionData(type="党课", topic="第二支部党课", held_on=date(2025, 6, 1), minutes=90,
                                      place="", attendee_ids=[tree["m2"].id], start=time(9, 0)),
            today=clock.today(), at=clock.now(),
        )
        r1 = selfreports.submit_report(session=s, user_id=tree["m1"].id, study_date=date(2025, 6, 2), minutes=30,
                                       topic="自学", place="家中", today=clock.today())
        r2 = selfreports.submit_report(session=s, user_id=tree["m2"].id, study_date=date(2025, 6, 2), minutes=30,
                                       topic="自学", place="家中", today=clock.today())
    return {"b1": tree["b1"].id, "b2": tree["b2"].id, "c": tree["committee"].id, "s2": s2.id, "r1": r1.id,
            "r2": r2.id, "m1": tree["m1"].id, "m2": tree["m2"].id}


def snapshot(db):
    with db() as s:
        return (
            s.scalar(sa.select(sa.func.count(LedgerEntry.id))),
            s.scalar(sa.select(sa.func.count(AuditEvent.id))),
            [(o.topic, o.duration_seconds, o.voided_at, o.revision) for o in s.exec(sa.select(OfflineSession)).scalars()],
            sorted(s.exec(sa.select(SelfReport.status)).scalars()),
        )


def call(client, method, path, extra, ids):
    path = path.format(**ids)
    if method == "GET":
        return client.get(path)
    data = [(k, v) for k, v in SESSION_FORM.items()] + [(k, v.format(**ids)) for k, v in extra]
    data.append(("csrf_token", csrf_token(client, "/account/password")))
    return client.post(path, data=MultiDict(data))


@pytest.mark.parametrize(("method", "path", "extra"), ROUTES, ids=[f"{m} {p} {i}" for i, (m, p, _) in enumerate(ROUTES)])
def test_secretary_gets_404_for_a_foreign_branch(client, tree, login, db, foreign, method, path, extra):
    before = snapshot(db)
    login(tree["sec1"])
    resp = call(client, method, path, extra, foreign)
    assert resp.status_code == 404
    assert "不在您的查看范围内" in resp.get_data(as_text=True)
    assert snapshot(db) == before


def test_admin_of_another_committee_gets_404(app, tree, make_org, make_user, db, foreign):
    other = make_org("另一党委", kind="党委")
    other_branch = make_org("另一支部", parent_id=other.id)
    admin = make_user("admin", other.id)
    outsider = make_user("member", other_branch.id)
    client = app.test_client()
    client.post("/login", data={"login": admin.login_name, "password": PASSWORD, "csrf_token": csrf_token(client)})
    ids = {**foreign, "b1": other_branch.id, "m1": outsider.id, "r1": foreign["r2"]}
    before = snapshot(db)
    for method, path, extra in ROUTES:
        assert call(client, method, path, extra, ids).status_code == 404, (method, path)
    assert snapshot(db) == before


def test_lists_show_only_the_own_branch(client, tree, login, foreign):
    login(tree["sec1"])
    assert "第二支部党课" not in client.get("/sessions/").get_data(as_text=True)
    review = client.get("/hours/self-reports/review").get_data(as_text=True)
    assert "党员甲" in review and "党员乙" not in review
    report = client.get(f"/reports/org/{tree['b1'].id}").get_data(as_text=True)
    assert "党员甲" in report and "党员乙" not in report
