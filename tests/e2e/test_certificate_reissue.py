"""An admin revokes a certificate and re-issues it in Chromium; the member downloads the new one;
the public verification page shows the old one as 已撤销, linking to the new one; the offline check
(the app's standalone script with its published keys, and the page in the browser) accepts the new
PDF and rejects a copy whose QR statement was edited."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from sqlmodel import select

from lms import clock
from lms.certificates import codes, offline, services
from lms.certificates.models import Certificate
from tests.certificates.conftest import REQUIRED, eligible, frozen  # noqa: F401  (fixtures)
from tests.e2e.offline_check import check_offline, download_checker, render_edited


def test_admin_revokes_and_reissues_member_downloads_public_sees_history(  # noqa: F811
        page, live_server, app, make_user, make_org, eligible, frozen, browser_login, shot, db,  # noqa: F811
        tmp_path):
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

    # A verifier, logged out, downloads the offline checker and the published keys from the app: it
    # accepts the very PDF the member downloaded, and rejects a copy re-rendered with the holder's
    # name edited in the QR statement.
    anon = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    p2 = anon.new_page()
    run = download_checker(p2, live_server, tmp_path)
    good = check_offline(run, saved)
    assert good.returncode == 0 and "签名有效" in good.stdout, good.stdout + good.stderr
    assert f"验证码：{codes.group(new.code)}" in good.stdout and "持证人：张*明" in good.stdout
    (qr_text,) = offline.qr_texts_of_pdf(saved)
    bad = check_offline(run, render_edited(app, new, qr_text, tmp_path / "edited.pdf", holder="李*四"))
    assert bad.returncode == 1 and "签名无效" in bad.stdout and "持证人：李*四" in bad.stdout, bad.stdout

    # Anyone, logged out, checks the old code: 已撤销, with the date, the category and the new one.
    p2.goto(f"{live_server}/verify/{codes.group(old_code)}")
    assert p2.locator(".verify-status").inner_text() == "已撤销"
    result = p2.locator(".verify-result").inner_text()
    assert "2026年6月15日" in result and "信息有误" in result and "持证人姓名录入有误" not in result
    shot(p2, "certificate-verify-revoked")
    p2.get_by_role("link", name="编号 2026-0002").click()
    assert p2.locator(".verify-status").inner_text() == "有效"
    assert codes.group(new.code) in p2.url
    assert p2.locator("#offline-check").is_hidden()  # the link carries no signed statement
    # The new PDF's QR code opens this same page (at the configured public address; here the test
    # server's) with its signed statement in the fragment: checked in the browser.
    url, fragment = qr_text.split("#", 1)
    assert urlsplit(url).path == urlsplit(p2.url).path
    p2.goto(f"{p2.url}#{fragment}")
    status = p2.locator("#offline-check .offline-status")
    status.filter(has_text="签名").filter(has_not_text="正在").wait_for()
    assert status.inner_text().startswith("签名有效")
    assert p2.locator("#offline-check").get_by_text("张*明").is_visible()
    assert p2.locator(".verify-status").inner_text() == "有效"
    shot(p2, "certificate-verify-reissued-signature")
    anon.close()
    assert missing == []
