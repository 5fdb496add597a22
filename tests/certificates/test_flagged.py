"""A correction that leaves a certificate's holder below its requirement flags the certificate for
an admin's review (in the same transaction); it is not revoked silently. The admin clears the flag
or revokes through the usual path."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate
from lms.hours import services as hours
from lms.offline.models import OfflineSession
from tests.certificates.conftest import HOUR, claim
from tests.conftest import csrf_token
from tests.offline.test_offline import post_session


def client_for(app, user):
    c = app.test_client()
    c.post("/login", data={"login": user.login_name, "password": "pass1234", "csrf_token": csrf_token(c)})
    return c


def cert_of(db, user):
    with db() as s:
        return s.exec(select(Certificate).where(Certificate.user_id == user.id)).one()


def actions(db):
    with db() as s:
        return [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]


def credit(db, user, seconds, day):
    with db() as s:
        hours.add_entry(session=s, user_id=user.id, source="adjustment", seconds=seconds, local_date=day,
                        recorded_by_id=None, reason="往期补记")
        s.commit()


def annual_certificate(app, db, tree, member):
    """34 学时 in 2026 (10 of them a 集中学习 recorded by the secretary), and the year's certificate."""
    sec = client_for(app, tree["sec1"])
    resp = post_session(sec, tree["b1"].id, [member.id], held_on="2026-06-10", duration_hours="10",
                        duration_minutes="0", topic="党章专题学习")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    credit(db, member, 12 * HOUR, date(2026, 3, 1))
    credit(db, member, 12 * HOUR, date(2026, 4, 1))
    c = client_for(app, member)
    assert claim(c, kind="annual", year="2026").status_code == 302
    with db() as s:
        record = s.exec(select(OfflineSession)).one()
    return sec, record


def test_voiding_the_hours_behind_a_certificate_flags_it(app, db, tree, frozen):
    m1 = tree["m1"]
    sec, record = annual_certificate(app, db, tree, m1)
    assert cert_of(db, m1).flagged_at is None

    token = csrf_token(sec, f"/sessions/{record.id}/void")
    assert sec.post(f"/sessions/{record.id}/void", data={"reason": "当天未组织", "csrf_token": token}).status_code == 302
    cert = cert_of(db, m1)
    assert cert.flagged_at is not None and cert.revoked_at is None
    assert cert.flag_reason.startswith("2026年6月10日的集中学习冲减 10 学时")
    assert "2026 年度学时合计 24 学时，低于要求的 32 学时" in cert.flag_reason
    assert "certificate.flag" in actions(db)

    # Still valid to the public (not silently revoked) …
    code = cert.code
    verify = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "有效" in verify and "已撤销" not in verify
    # … but flagged where an admin looks: the list, its filter, the certificate and the member page.
    admin = client_for(app, tree["admin"])
    listing = admin.get("/certificates/manage").get_data(as_text=True)
    assert "status-badge flagged" in listing and "低于要求的 32 学时" in listing
    assert cert.serial in admin.get("/certificates/manage?flagged=1").get_data(as_text=True)
    page = admin.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert "有效（待复核）" in page and "解除复核标记" in page and "撤销此证书" in page
    member_page = admin.get(f"/orgs/members/{m1.id}").get_data(as_text=True)
    assert "待复核的证书（1）" in member_page and cert.serial in member_page
    log = admin.get("/audit/").get_data(as_text=True)
    assert "证书标记待复核" in log and "系统" in log


def test_an_admin_clears_the_flag_or_revokes(app, db, tree, frozen):
    m1 = tree["m1"]
    sec, record = annual_certificate(app, db, tree, m1)
    token = csrf_token(sec, f"/sessions/{record.id}/void")
    sec.post(f"/sessions/{record.id}/void", data={"reason": "重复登记", "csrf_token": token})
    cert = cert_of(db, m1)

    # Only admins clear; a note is required.
    assert sec.post(f"/certificates/{cert.id}/clear-flag", data={"note": "x", "csrf_token": token}).status_code == 403
    admin = client_for(app, tree["admin"])
    token = csrf_token(admin, f"/certificates/{cert.id}")
    resp = admin.post(f"/certificates/{cert.id}/clear-flag", data={"note": "", "csrf_token": token})
    assert resp.status_code == 400 and "请填写复核意见" in resp.get_data(as_text=True)
    assert cert_of(db, m1).flagged_at is not None
    resp = admin.post(f"/certificates/{cert.id}/clear-flag", data={"note": "已线下核实，另有补学记录", "csrf_token": token})
    assert resp.status_code == 302
    assert cert_of(db, m1).flagged_at is None and actions(db)[-1] == "certificate.flag_clear"
    assert "status-badge flagged" not in admin.get("/certificates/manage").get_data(as_text=True)

    # A further correction (a negative 调整) while still short flags it again; then it is revoked.
    resp = admin.post(f"/hours/members/{m1.id}/adjust", data={
        "minutes": "-60", "local_date": "2026-06-12", "reason": "扣减", "csrf_token": csrf_token(admin, f"/hours/members/{m1.id}")})
    assert resp.status_code == 302
    cert = cert_of(db, m1)
    assert cert.flagged_at is not None and "调整冲减 1 学时（扣减）" in cert.flag_reason
    resp = admin.post(f"/certificates/{cert.id}/revoke", data={"reason": "学时不足", "category": "hours",
                                                                   "csrf_token": token})
    assert resp.status_code == 302
    cert = cert_of(db, m1)
    assert cert.revoked_at is not None and not cert.flagged
    assert "待复核的证书" not in admin.get(f"/orgs/members/{m1.id}").get_data(as_text=True)


def test_a_correction_that_leaves_the_requirement_met_flags_nothing(app, db, tree, frozen):
    m1 = tree["m1"]
    annual_certificate(app, db, tree, m1)  # 34 学时
    admin = client_for(app, tree["admin"])
    resp = admin.post(f"/hours/members/{m1.id}/adjust", data={
        "minutes": "-120", "local_date": "2026-06-12", "reason": "扣减", "csrf_token": csrf_token(admin, f"/hours/members/{m1.id}")})
    assert resp.status_code == 302
    assert cert_of(db, m1).flagged_at is None  # exactly 32 学时 left
    # A correction in another year leaves this year's certificate alone too.
    credit(db, m1, 5 * HOUR, date(2025, 5, 1))
    credit(db, m1, -5 * HOUR, date(2025, 5, 1))
    assert cert_of(db, m1).flagged_at is None and "certificate.flag" not in actions(db)
