from __future__ import annotations

import hashlib

from sqlmodel import select

from lms.certificates.models import Certificate
from tests.certificates.conftest import HOUR, REQUIRED, claim


def _certs(db):
    with db() as s:
        return list(s.exec(select(Certificate).order_by(Certificate.id)))


def test_an_ineligible_member_gets_no_certificate(client, db, login, tree, eligible, course_id, frozen):
    login(tree["m1"])
    eligible.year(tree["m1"], 2026, REQUIRED - 1)  # one second short
    html = client.get("/certificates/").get_data(as_text=True)
    assert "暂无可领取的证书" in html
    resp = claim(client, kind="course", course_id=course_id, follow_redirects=True)
    assert "尚未完成该课程" in resp.get_data(as_text=True)
    resp = claim(client, kind="annual", year=2026, follow_redirects=True)
    assert "2026 年度学时尚未达到 32 学时" in resp.get_data(as_text=True)
    resp = claim(client, kind="annual", year=2027, follow_redirects=True)  # a future year
    assert "尚未达到" in resp.get_data(as_text=True)
    assert _certs(db) == []


def test_a_member_claims_a_course_certificate_once(client, db, login, tree, eligible, course_id, frozen):
    eligible.course(tree["m1"], course_id)
    login(tree["m1"])
    html = client.get("/certificates/").get_data(as_text=True)
    assert "《党政领导干部选拔任用工作条例》解读" in html and "领取" in html
    resp = claim(client, kind="course", course_id=course_id)
    assert resp.status_code == 302
    (cert,) = _certs(db)
    assert cert.holder_name == "党员甲" and cert.org_name == "第一支部" and cert.issuer_name == "测试党委"
    assert cert.serial == "2026-0001"
    assert cert.hours > 0 and cert.seconds == round(cert.hours * HOUR)
    # Claiming again returns the same certificate; nothing new is issued.
    resp = claim(client, kind="course", course_id=course_id)
    assert resp.headers["Location"].endswith(f"/certificates/{cert.id}")
    assert len(_certs(db)) == 1


def test_the_course_certificate_counts_the_lessons_hours(client, db, login, tree, eligible, course_id, frozen):
    from lms.content.models import Lesson

    with db() as s:
        lesson_hours = sum(h for h in s.exec(select(Lesson.hours).where(Lesson.course_id == course_id)))
    eligible.course(tree["m1"], course_id)
    login(tree["m1"])
    claim(client, kind="course", course_id=course_id)
    (cert,) = _certs(db)
    assert cert.hours == round(lesson_hours, 1)


def test_downloads_return_the_stored_bytes_every_time(client, db, login, tree, eligible, course_id, frozen):
    eligible.course(tree["m1"], course_id)
    login(tree["m1"])
    claim(client, kind="course", course_id=course_id)
    (cert,) = _certs(db)
    first = client.get(f"/certificates/{cert.id}/pdf")
    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in first.headers["Content-Disposition"]
    assert first.data.startswith(b"%PDF")
    assert hashlib.sha256(first.data).hexdigest() == cert.sha256
    # Eligibility changing later (or content edits) does not touch what was issued.
    eligible.courses.clear()
    second = client.get(f"/certificates/{cert.id}/pdf")
    assert second.data == first.data


def test_annual_certificate_needs_the_required_hours(client, db, login, tree, eligible, frozen):
    eligible.year(tree["m1"], 2025, REQUIRED + 30 * 60)  # 32.5 学时 last year
    eligible.year(tree["m1"], 2026, REQUIRED - 60)  # not yet this year
    login(tree["m1"])
    html = client.get("/certificates/").get_data(as_text=True)
    assert "2025年度" in html and "2026年度" not in html
    claim(client, kind="annual", year=2025)
    (cert,) = _certs(db)
    assert cert.kind == "annual" and cert.year == 2025 and cert.hours == 32.5
    assert cert.serial == "2026-0001"  # numbered in the year of issue


def test_serials_are_unique_per_issuer_and_year(app, db, make_org, make_user, tree, eligible, frozen):
    from lms import clock
    from lms.auth.models import User
    from lms.certificates import services

    other_committee = make_org("另一党委", kind="党委")
    other_branch = make_org("另一支部", parent_id=other_committee.id)
    outsider = make_user("member", other_branch.id, name="外单位党员")
    for u in (tree["m1"], tree["m1b"], tree["m2"], outsider):
        eligible.year(u, 2025)
        eligible.year(u, 2026)
    serials = {}
    with app.app_context():
        for uid, year in ((tree["m1"].id, 2025), (tree["m2"].id, 2025), (outsider.id, 2025), (tree["m1b"].id, 2025)):
            with db() as s:
                cert = services.claim(session=s, user=s.get(User, uid), kind="annual", year=year, at=clock.now())
                serials[uid] = (cert.issuer_name, cert.serial)
        clock.freeze(clock.now().replace(year=2027, month=1, day=5))
        with db() as s:
            cert = services.claim(session=s, user=s.get(User, tree["m1"].id), kind="annual", year=2026, at=clock.now())
            next_year = cert.serial
    assert serials[tree["m1"].id] == ("测试党委", "2026-0001")
    assert serials[tree["m2"].id] == ("测试党委", "2026-0002")
    assert serials[outsider.id] == ("另一党委", "2026-0001")
    assert serials[tree["m1b"].id] == ("测试党委", "2026-0003")
    assert next_year == "2027-0001"


def test_serials_stay_unique_when_issuers_race(app, tree):
    """Four threads allocating at once (each its own transaction) never share a number."""
    import threading

    from lms.certificates.services import allocate_serial
    from lms.db import cli_session

    got: list[int] = []
    errors: list[BaseException] = []

    def work():
        try:
            with app.app_context():
                for _ in range(10):
                    with cli_session() as s:
                        got.append(allocate_serial(session=s, issuer_org_id=tree["committee"].id, year=2026))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(got) == list(range(1, 41))
