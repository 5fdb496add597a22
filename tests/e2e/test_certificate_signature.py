"""The signed QR statement in Chromium: the verification page checks it in the browser (WebCrypto
Ed25519, no request), and the offline script accepts the downloaded PDF and rejects an edited one."""

from __future__ import annotations

from sqlmodel import select

from lms.certificates import codes, offline
from lms.certificates.models import Certificate
from tests.certificates.conftest import eligible, frozen  # noqa: F401  (fixtures)
from tests.e2e.offline_check import check_offline, download_checker, edited_qr, render_edited
from tests.e2e.test_browse import serious_violations


def test_the_signature_is_checked_offline_in_the_browser_and_by_the_script(
        page, live_server, app, make_user, make_org, synced, eligible, frozen, browser_login, shot, db,  # noqa: F811
        tmp_path):
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
    with page.expect_download() as info:
        page.get_by_role("link", name="下载证书（PDF）").click()
    saved = tmp_path / "mine.pdf"
    info.value.save_as(saved)
    with db() as s:
        cert = s.exec(select(Certificate)).one()

    # The offline script, as a verifier downloads it with the keys, accepts the member's PDF…
    run = download_checker(page, live_server, tmp_path)
    shot(page, "certificate-signing-keys")
    assert serious_violations(page) == []
    good = check_offline(run, saved)
    assert good.returncode == 0 and "签名有效" in good.stdout and "持证人：张*明" in good.stdout, good.stderr
    # …and rejects the same certificate rendered with an edited statement in its QR code.
    (text,) = offline.qr_texts_of_pdf(saved)
    bad = check_offline(run, render_edited(app, cert, text, tmp_path / "edited.pdf", hours="40"))
    assert bad.returncode == 1 and "签名无效" in bad.stdout and "学时：40 学时" in bad.stdout

    # The phone opens the QR text's URL: the page checks the fragment in the browser.
    anon = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    p2 = anon.new_page()
    here = f"{live_server}/verify/{codes.group(cert.code)}"
    fragment = text.split("#", 1)[1]
    requests: list[str] = []
    p2.on("request", lambda r: requests.append(r.url))
    p2.goto(f"{here}#{fragment}")
    p2.wait_for_load_state("networkidle")
    # This Chromium has WebCrypto Ed25519 (so the check below is the real one, not the fallback).
    assert p2.evaluate("""() => crypto.subtle.importKey('raw', new Uint8Array(32).fill(7), {name: 'Ed25519'},
                                                         false, ['verify']).then(() => true, () => false)""")
    status = p2.locator("#offline-check .offline-status")
    status.filter(has_text="签名").wait_for()
    assert status.inner_text().startswith("签名有效")
    assert p2.locator("#offline-check").get_by_text("张*明").is_visible()
    shot(p2, "certificate-verify-signature")
    assert serious_violations(p2) == []
    # No round trip: besides the page itself, only its static files were requested.
    assert [u for u in requests if u != here and "/static/" not in u and not u.endswith("favicon.ico")] == []

    # The fragment edited in the address bar (no reload): checked again.
    p2.evaluate("h => { location.hash = h; }", edited_qr(text, holder="李*四").split("#", 1)[1])
    status.filter(has_text="签名无效").wait_for()
    assert "与签名不符" in status.inner_text()
    assert p2.get_by_text("未能证实，不可采信").is_visible()
    shot(p2, "certificate-verify-signature-edited")
    p2.goto("about:blank")

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    statement = offline.Statement.decode(offline.unb64u(fragment[2:].split(".")[0]), cert.code)
    foreign = offline.sign_qr(here, statement, Ed25519PrivateKey.generate())
    p2.goto(foreign)
    status.filter(has_text="签名无效").wait_for()
    assert "不是本平台公布的密钥" in status.inner_text()
    anon.close()

    # A browser without Ed25519 says it cannot check offline (the online result above still stands).
    old = page.context.browser.new_context(locale="zh-CN")
    old.add_init_script("crypto.subtle.importKey = () => Promise.reject(new DOMException('no', 'NotSupportedError'));")
    p3 = old.new_page()
    p3.goto(f"{here}#{fragment}")
    p3.locator("#offline-check.unsupported").wait_for()
    assert "不支持 Ed25519" in p3.locator("#offline-check .offline-status").inner_text()
    assert p3.locator(".verify-status").inner_text() == "有效"
    old.close()


def test_the_page_refuses_a_retired_key_for_later_certificates(page, live_server, app):
    """A keyring with a retired key (its private half kept here only): the browser accepts what it
    signed up to its retirement day and refuses a statement dated after it."""
    import json
    from datetime import date
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    def raw(private):
        return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    new_private = new.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    ring = {"keys": [
        {"id": offline.key_id(raw(old)), "public": offline.b64u(raw(old)), "private": None,
         "created": "2026-01-01T00:00:00+00:00", "retired": "2026-07-01T04:00:00+00:00"},
        {"id": offline.key_id(raw(new)), "public": offline.b64u(raw(new)), "private": offline.b64u(new_private),
         "created": "2026-07-01T04:00:00+00:00", "retired": None},
    ]}
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    (Path(app.instance_path) / "cert_signing_keys.json").write_text(json.dumps(ring), encoding="utf-8")

    code = "A" * 18
    here = f"{live_server}/verify/{codes.group(code)}"
    status = page.locator("#offline-check .offline-status")
    for day, expected in ((date(2026, 7, 1), "签名有效"), (date(2026, 7, 2), "已于 2026-07-01 停用")):
        statement = offline.Statement(code, "annual", "张*明", "32", day, "测试党委")
        page.goto("about:blank")
        page.goto(offline.sign_qr(here, statement, old))
        status.filter(has_text="签名").filter(has_not_text="正在").wait_for()
        assert expected in status.inner_text()
