"""An admin revokes a certificate and re-issues it in Chromium; the member downloads the new one;
the public verification page shows the old one as 已撤销, linking to the new one."""

from __future__ import annotations

import hashlib

from sqlmodel import select

from lms import clock
from lms.certificates import codes, services
from lms.certificates.models import Certificate
from tests.certificates.conftest import REQUIRED, eligible, frozen  # noqa: F401  (fixtures)


def test_admin_revokes_and_reissues_member_downloads_public_sees_history(  # noqa: F811
        page, live_server, make_user, make_org, eligible, frozen, browser_login, shot, db, tmp_path):  # noqa: F811
    committee = make_org("示范单位机关党委", kind="党委")
    branch = make_org("机关第一党支部", parent_id=committee.id)
    member = make_user("member", branch.id, name="张晓明")
    admin = make_user("admin", committee.id, name="组织委员")
    eligible.year(member, 2026, REQUIRED + 4 * 3600)
    with db() as s:
        old = services.claim(session=s, user=member, kind="annual", year=2026, at=clock.now())
        s.commit()
        old_id, old_code, old_pdf = old.id, old.code, old.pdf

    missing: list[str] = []  # no page, style, script or image the admin loads answers 404
    page.context.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    # The admin revokes it: a category and a reason.
    page.set_viewport_size({"width": 1366, "height": 800})
    browser_login(page, admin)
    page.goto(f"{live_server}/certificates/{old_id}")
    page.get_by_label("信息有误").check()
    page.get_by_label("撤销原因").fill("持证人姓名录入有误，更正后重新签发")
    page.get_by_role("button", name="撤销此证书").click()
    banner = page.get_by_role("alert").filter(has_text="已撤销")
    assert "撤销类别：信息有误" in banner.inner_text()
    assert page.get_by_role("link", name="下载证书（PDF）").count() == 0
    shot(page, "certificate-revoked-admin")

    # … and re-issues it: a new certificate, new serial.
    page.get_by_role("button", name="重新签发证书").click()
    assert page.get_by_text("已重新签发，新证书编号 2026-0002").is_visible()
    assert page.get_by_role("link", name="编号 2026-0001").is_visible()  # 替代 the revoked one
    shot(page, "certificate-reissued-admin")
    with db() as s:
        new = s.exec(select(Certificate).where(Certificate.replaces_id == old_id)).one()
        assert s.get(Certificate, old_id).pdf == old_pdf
    assert new.serial == "2026-0002" and new.code != old_code

    # The member downloads the new one; the old one offers no download.
    member_ctx = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    mp = member_ctx.new_page()
    browser_login(mp, member)
    mp.goto(f"{live_server}/certificates/")
    items = mp.locator(".cert-item")
    assert items.count() == 2
    revoked_item = items.filter(has_text="编号 2026-0001")
    assert "已撤销" in revoked_item.inner_text() and revoked_item.get_by_role("link", name="下载 PDF").count() == 0
    shot(mp, "certificates-mine-after-reissue")
    with mp.expect_download() as info:
        items.filter(has_text="编号 2026-0002").get_by_role("link", name="下载 PDF").click()
    saved = tmp_path / "new.pdf"
    info.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == new.sha256
    mp.goto(f"{live_server}/certificates/{old_id}/pdf")  # typed or bookmarked: refused, with why
    assert mp.get_by_role("heading", name="此证书已撤销，不再提供下载").is_visible()
    mp.get_by_role("link", name="查看并下载新证书").click()
    assert mp.get_by_text("2026-0002").first.is_visible()
    member_ctx.close()

    # Anyone, logged out, checks the old code: 已撤销, with the date, the category and the new one.
    anon = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    p2 = anon.new_page()
    p2.goto(f"{live_server}/verify/{codes.group(old_code)}")
    assert p2.locator(".verify-status").inner_text() == "已撤销"
    result = p2.locator(".verify-result").inner_text()
    assert "2026年6月15日" in result and "信息有误" in result and "持证人姓名录入有误" not in result
    shot(p2, "certificate-verify-revoked")
    p2.get_by_role("link", name="编号 2026-0002").click()
    assert p2.locator(".verify-status").inner_text() == "有效"
    assert codes.group(new.code) in p2.url
    anon.close()
    assert missing == []
