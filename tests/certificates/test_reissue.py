"""Revocation with a category, re-issue after revocation (new code, new serial, history both ways),
a revoked certificate's download refused, and every issue, re-issue and revocation audited."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from lms.audit.models import AuditEvent
from lms.certificates import codes
from lms.certificates.models import Certificate
from tests.certificates.conftest import REQUIRED, claim, post
from tests.pdf_checks import assert_pdf_quality


@pytest.fixture
def issued(client, db, login, tree, eligible, frozen, make_user):
    """张晓明 claims the 2026 annual certificate (34 学时), then logs out."""
    member = make_user("member", tree["b1"].id, name="张晓明")
    eligible.year(member, 2026, REQUIRED + 2 * 3600)
    login(member)
    assert claim(client, kind="annual", year=2026).status_code == 302
    _logout(client)
    with db() as s:
        return member, s.exec(select(Certificate)).one()


def _logout(client):
    from tests.conftest import csrf_token

    client.post("/logout", data={"csrf_token": csrf_token(client, "/certificates/")})


def _certs(db):
    with db() as s:
        return list(s.exec(select(Certificate).order_by(Certificate.id)))


def _events(db, action=None):
    with db() as s:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return list(s.exec(stmt))


def _revoke(client, cert, category="info", reason="姓名录入有误"):
    detail = f"/certificates/{cert.id}"
    return post(client, f"{detail}/revoke", {"category": category, "reason": reason}, token_from=detail)


def _reissue(client, cert):
    detail = f"/certificates/{cert.id}"
    return post(client, f"{detail}/reissue", {}, token_from=detail)


def test_revoking_needs_a_category_and_records_it_with_the_date(client, db, login, tree, issued):
    _, cert = issued
    login(tree["admin"])
    form = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    for label in ("学时核减", "信息有误", "重复颁发", "其他"):
        assert label in form
    resp = _revoke(client, cert, category="", reason="核减后不足")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "请选择撤销类别" in html and "核减后不足" in html  # what was typed stays
    assert _revoke(client, cert, category="nonsense").status_code == 400
    assert _certs(db)[0].revoked_at is None
    assert _revoke(client, cert, category="duplicate", reason="与 2026-0009 重复").status_code == 302
    (old,) = _certs(db)
    assert old.revoked_at is not None and old.revoke_category == "duplicate" and old.revoke_reason == "与 2026-0009 重复"
    (event,) = _events(db, "certificate.revoke")
    assert event.actor_id == tree["admin"].id and event.target_id == cert.id
    assert event.details["category"] == "重复颁发" and event.details["reason"] == "与 2026-0009 重复"
    log = client.get("/audit/").get_data(as_text=True)
    assert "撤销证书" in log and "重复颁发" in log


def test_the_public_page_of_a_revoked_certificate_gives_date_and_category_not_the_reason(client, db, login, tree,
                                                                                        issued):
    _, cert = issued
    login(tree["admin"])
    _revoke(client, cert, category="hours", reason="集中学习重复登记，核减 10 学时")
    _logout(client)
    html = client.get(f"/verify/{codes.group(cert.code)}").get_data(as_text=True)
    assert "已撤销" in html and "2026年6月15日" in html and "学时核减" in html
    assert "集中学习重复登记" not in html  # the free-text reason stays inside the app
    assert "替代证书" not in html  # not re-issued (yet)


def test_an_admin_reissues_when_the_member_still_qualifies(client, db, login, tree, issued, eligible):
    member, cert = issued
    login(tree["admin"])
    _revoke(client, cert, category="info")
    page = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert "重新签发证书" in page and "仍符合领取条件" in page
    resp = _reissue(client, cert)
    assert resp.status_code == 302
    old, new = _certs(db)
    assert resp.headers["Location"].endswith(f"/certificates/{new.id}")
    assert new.replaces_id == old.id and new.revoked_at is None
    assert new.code != old.code and new.code_digest != old.code_digest
    assert (old.serial, new.serial) == ("2026-0001", "2026-0002")
    assert new.user_id == member.id and new.subject_key == old.subject_key == "annual:2026"
    assert new.issued_by_id == tree["admin"].id
    # The revoked certificate is untouched: its bytes, fingerprint and revocation stay.
    assert old.pdf == cert.pdf and old.sha256 == cert.sha256 == hashlib.sha256(old.pdf).hexdigest()
    assert old.revoked_at is not None and old.revoke_category == "info"
    assert_pdf_quality(new.pdf)  # the re-issued PDF: qpdf --check, PDF/A-3b identification, subset fonts
    (event,) = _events(db, "certificate.reissue")
    assert event.actor_id == tree["admin"].id and event.target_id == new.id
    assert event.details["replaces"] == "2026-0001" and event.details["serial"] == "2026-0002"
    # History both ways on the detail pages.
    assert "编号 2026-0002" in client.get(f"/certificates/{old.id}").get_data(as_text=True)
    assert "编号 2026-0001" in client.get(f"/certificates/{new.id}").get_data(as_text=True)
    # A second re-issue is refused: it already has a replacement.
    resp = _reissue(client, old)
    assert resp.status_code == 400 and "已重新签发，新证书编号 2026-0002" in resp.get_data(as_text=True)
    assert len(_certs(db)) == 2
    _logout(client)

    # The public page of the old code says 已撤销 and links to the new one, which is 有效.
    html = client.get(f"/verify/{codes.group(old.code)}").get_data(as_text=True)
    link = f'/verify/{codes.group(new.code)}"'
    assert "已撤销" in html and "信息有误" in html and link in html and "编号 2026-0002" in html
    assert "有效" in client.get(f"/verify/{codes.group(new.code)}").get_data(as_text=True)


def test_reissue_is_refused_when_the_member_no_longer_qualifies(client, db, login, tree, issued, eligible):
    member, cert = issued
    login(tree["admin"])
    _revoke(client, cert, category="hours", reason="核减后不足")
    eligible.year(member, 2026, REQUIRED - 60)
    page = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert "2026 年度学时目前未达到 32 学时，不能重新签发" in page and "重新签发证书</button>" not in page
    resp = _reissue(client, cert)
    assert resp.status_code == 400 and "不能重新签发" in resp.get_data(as_text=True)
    assert len(_certs(db)) == 1 and _events(db, "certificate.reissue") == []


def test_only_admins_reissue_and_only_revoked_certificates(client, db, login, tree, issued):
    _, cert = issued
    login(tree["admin"])
    resp = _reissue(client, cert)  # still valid
    assert resp.status_code == 400 and "只有已撤销的证书才能重新签发" in resp.get_data(as_text=True)
    _revoke(client, cert)
    _logout(client)
    login(tree["sec1"])
    assert "重新签发证书" not in client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert _reissue(client, cert).status_code == 403
    assert len(_certs(db)) == 1


def test_a_member_cannot_reissue_by_claiming_again(client, db, login, tree, issued):
    member, cert = issued
    login(tree["admin"])
    _revoke(client, cert)
    _logout(client)
    login(member)
    assert "暂无可领取的证书" in client.get("/certificates/").get_data(as_text=True)
    resp = claim(client, kind="annual", year=2026)
    assert resp.headers["Location"].endswith(f"/certificates/{cert.id}")  # the revoked one, nothing new
    assert len(_certs(db)) == 1


def test_a_revoked_certificate_download_is_refused_with_why(client, db, login, tree, issued):
    member, cert = issued
    login(tree["admin"])
    _revoke(client, cert, category="info")
    _logout(client)
    login(member)
    resp = client.get(f"/certificates/{cert.id}/pdf")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 410 and resp.mimetype == "text/html"
    assert "此证书已撤销，不再提供下载" in html and "信息有误" in html and "2026-0001" in html
    assert "下载证书（PDF）" not in client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    _logout(client)
    login(tree["admin"])
    _reissue(client, cert)
    _logout(client)
    login(member)
    _, new = _certs(db)
    mine = client.get("/certificates/").get_data(as_text=True)
    assert "2026年6月15日撤销（信息有误），已由编号 2026-0002 的新证书替代" in mine
    html = client.get(f"/certificates/{cert.id}/pdf").get_data(as_text=True)
    assert f'href="/certificates/{new.id}"' in html and "查看并下载新证书" in html
    resp = client.get(f"/certificates/{new.id}/pdf")
    assert resp.status_code == 200 and hashlib.sha256(resp.data).hexdigest() == new.sha256
    assert _certs(db)[0].pdf == cert.pdf  # the stored bytes never change


def test_issuing_is_audited(client, db, login, tree, issued):
    member, cert = issued
    (event,) = _events(db, "certificate.issue")
    assert event.actor_id == member.id and event.target_id == cert.id and event.org_id == tree["b1"].id
    assert event.details == {"member": "张晓明", "subject": "2026年度", "serial": "2026-0001"}
    login(tree["admin"])
    log = client.get("/audit/", query_string={"action": "certificate.issue"}).get_data(as_text=True)
    assert "签发证书" in log and "张晓明" in log


def test_the_database_keeps_one_valid_certificate_per_subject(db, issued):
    """The partial unique index: a second valid row is refused; revoked rows may repeat."""
    _, cert = issued
    table = Certificate.__table__
    row = {c.name: getattr(cert, c.name) for c in table.columns if c.name != "id"}
    with db() as s:
        with pytest.raises(IntegrityError):
            s.execute(sa.insert(table).values(**{**row, "serial": "2026-0099", "code_digest": "x" * 64}))
        s.rollback()
        s.execute(sa.update(table).where(table.c.id == cert.id).values(revoked_at=cert.issued_at))
        for n in (1, 2):
            s.execute(sa.insert(table).values(**{**row, "serial": f"2026-009{n}", "code_digest": f"{n}" * 64,
                                                 "revoked_at": cert.issued_at}))
        s.execute(sa.insert(table).values(**{**row, "serial": "2026-0095", "code_digest": "5" * 64}))
        s.commit()
        assert s.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 4


def test_a_flagged_certificate_suggests_the_category_hours_reduced(client, db, login, tree, issued):
    _, cert = issued
    with db() as s:
        s.execute(sa.update(Certificate.__table__).where(Certificate.__table__.c.id == cert.id)
                  .values(flagged_at=cert.issued_at, flag_reason="学时更正后不足"))
        s.commit()
    login(tree["admin"])
    html = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="hours"|<input[^>]*value="hours"[^>]*checked', html)


def test_batch_printing_picks_the_replacement_not_the_revoked_one(app, client, db, login, tree, issued):
    from lms.access import scope_for
    from lms.auth.models import User
    from lms.certificates import batch

    member, cert = issued
    login(tree["admin"])
    _revoke(client, cert)
    with app.app_context(), db() as s:
        scope = scope_for(session=s, user=s.get(User, tree["admin"].id))
        (row,) = [r for r in batch.rows_for(session=s, scope=scope, org_id=tree["b1"].id, kind="annual",
                                            course_id=None, year=2026) if r.member.id == member.id]
        assert row.cert.id == cert.id and not row.printable
    _reissue(client, cert)
    with app.app_context(), db() as s:
        (row,) = [r for r in batch.rows_for(session=s, scope=scope, org_id=tree["b1"].id, kind="annual",
                                            course_id=None, year=2026) if r.member.id == member.id]
        assert row.cert.replaces_id == cert.id and row.printable
