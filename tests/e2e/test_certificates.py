"""A member claims and downloads their certificate in Chromium; anyone can verify it."""

from __future__ import annotations

import hashlib

from sqlmodel import select

from lms.certificates import codes
from lms.certificates.models import Certificate
from tests.certificates.conftest import eligible, frozen  # noqa: F401  (fixtures)


def test_member_claims_downloads_and_verifies(page, live_server, make_user, make_org, synced, eligible, frozen,  # noqa: F811
                                              browser_login, shot, db, tmp_path):
    committee = make_org("示范单位机关党委", kind="党委")
    branch = make_org("机关第一党支部", parent_id=committee.id)
    member = make_user("member", branch.id, name="张晓明")
    from lms.content.models import Course

    with db() as s:
        course = s.exec(select(Course).where(Course.slug == "cadre-selection-regulations")).one()
    eligible.course(member, course.id)
    browser_login(page, member)

    page.goto(f"{live_server}/courses/{course.slug}")
    page.get_by_role("button", name="领取结业证书").click()
    assert page.get_by_role("heading", name="课程结业证书").is_visible()
    shot(page, "certificate-detail")

    with page.expect_download() as info:
        page.get_by_role("link", name="下载证书（PDF）").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf") and "张晓明" in download.suggested_filename
    saved = tmp_path / "mine.pdf"
    download.save_as(saved)
    with db() as s:
        cert = s.exec(select(Certificate)).one()
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == cert.sha256

    page.goto(f"{live_server}/certificates/")
    assert page.get_by_text("编号 2026-0001").is_visible()
    shot(page, "certificates-mine")

    # Someone else, not logged in, types the code from the paper.
    anon = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    p2 = anon.new_page()
    p2.goto(f"{live_server}/verify")
    p2.get_by_label("验证码").fill(codes.group(cert.code).lower().replace("-", " "))
    p2.get_by_role("button", name="验证").click()
    assert p2.locator(".verify-status").inner_text() == "有效"
    assert p2.get_by_text("张*明").is_visible()
    shot(p2, "certificate-verify")
    anon.close()
