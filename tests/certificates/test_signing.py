"""The QR code's signed statement: checked offline by the CLI, the standalone script and (e2e) the page."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from lms import clock
from lms.certificates import codes, offline, pdf, services, signing
from lms.certificates.models import Certificate
from tests.certificates.conftest import claim, qr_texts

pytest.importorskip("zxingcpp")
pytest.importorskip("pypdfium2")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BASE_URL": "https://xuexi.example.org"}


@pytest.fixture
def issued(client, db, login, tree, eligible, course_id, frozen):
    eligible.course(tree["m1"], course_id)
    login(tree["m1"])
    claim(client, kind="course", course_id=course_id)
    with db() as s:
        return s.exec(select(Certificate)).one()


def _fragment_parts(text: str) -> list[str]:
    return text.split("#s=", 1)[1].split(".")


def _statement(text: str) -> offline.Statement:
    url, _sep, fragment = text.partition("#s=")
    return offline.Statement.decode(offline.unb64u(fragment.split(".")[0]), offline.canonical_code(url.rsplit("/", 1)[1]))


def _tampered(text: str, **changes) -> str:
    """The same QR text with the statement edited and the old signature kept."""
    url = text.split("#", 1)[0]
    data, sig, kid = _fragment_parts(text)
    edited = dataclasses.replace(_statement(text), **changes)
    return f"{url}#s={offline.b64u(edited.encode())}.{sig}.{kid}"


def _other_key_text(text: str, *, claim_our_id: bool = False) -> str:
    """The same statement signed by a key that is not the deployment's."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    url = text.split("#", 1)[0]
    kid = _fragment_parts(text)[2]
    forged = offline.sign_qr(url, _statement(text), Ed25519PrivateKey.generate())
    return forged.rsplit(".", 1)[0] + f".{kid}" if claim_our_id else forged


def _pdf_with_qr(app, cert, qr_text: str) -> bytes:
    """The certificate rendered again through the real path, with this QR text."""
    with app.app_context():
        return pdf.render_pdf([dataclasses.replace(services.page_for(cert), qr_text=qr_text)])


def test_the_qr_code_carries_a_signed_statement_of_the_certificate(app, issued, tmp_path):
    (text,) = qr_texts(issued.pdf, tmp_path)
    assert text.startswith(f"https://xuexi.example.org/verify/{codes.group(issued.code)}#s=")
    with app.app_context():
        keys = signing.public_keys()
    result = offline.check_qr(text, keys)
    assert result.ok, result.message
    s = result.statement
    assert (s.code, s.kind, s.holder, s.issued_on, s.issuer) == (
        issued.code, "course", services.mask_name(issued.holder_name), date(2026, 6, 15), "测试党委")
    assert s.hours == services.units.number_text(issued.hours)
    assert issued.holder_name not in offline.unb64u(_fragment_parts(text)[0]).decode()


def test_the_key_is_made_once_under_instance_with_owner_only_access(app, issued):
    path = signing.keyring_path(app)[0]
    assert path == Path(app.instance_path) / "cert_signing_keys.json"
    assert path.stat().st_mode & 0o777 == 0o600
    ring = json.loads(path.read_text())["keys"]
    assert len(ring) == 1 and ring[0]["private"] and ring[0]["retired"] is None
    with app.app_context():
        assert signing.current_key().key_id == ring[0]["id"]


def test_cli_accepts_the_issued_pdf_and_checks_its_stored_sha256(app, issued, tmp_path):
    f = tmp_path / "cert.pdf"
    f.write_bytes(issued.pdf)
    out = app.test_cli_runner().invoke(args=["lms", "certificates", "verify", str(f)])
    assert out.exit_code == 0, out.output
    assert "签名有效" in out.output and f"持证人：{services.mask_name(issued.holder_name)}" in out.output
    assert "测试党委" in out.output
    assert "2026年6月15日" in out.output and "课程结业证书" in out.output
    assert "与签发时保存的 SHA-256 一致" in out.output and "有效。" in out.output


@pytest.mark.parametrize("edit, message", [
    ({"holder": "李*四"}, "与签名不符"),
    ({"hours": "99"}, "与签名不符"),
])
def test_cli_rejects_a_pdf_whose_qr_statement_was_edited(app, issued, tmp_path, edit, message):
    (text,) = qr_texts(issued.pdf, tmp_path)
    f = tmp_path / "edited.pdf"
    f.write_bytes(_pdf_with_qr(app, issued, _tampered(text, **edit)))
    out = app.test_cli_runner().invoke(args=["lms", "certificates", "verify", str(f)])
    assert out.exit_code == 1
    assert "签名无效" in out.output and message in out.output
    assert "与签发时保存的 SHA-256 不一致" in out.output


def test_cli_rejects_statements_signed_by_another_key(app, issued, tmp_path):
    (text,) = qr_texts(issued.pdf, tmp_path)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["lms", "certificates", "verify", "--text", _other_key_text(text)])
    assert out.exit_code == 1 and "不是发证平台公布的密钥" in out.output
    out = runner.invoke(args=["lms", "certificates", "verify", "--text", _other_key_text(text, claim_our_id=True)])
    assert out.exit_code == 1 and "与签名不符" in out.output
    out = runner.invoke(args=["lms", "certificates", "verify", "--text", text])
    assert out.exit_code == 0 and "签名有效" in out.output


def test_a_statement_for_another_code_does_not_verify_under_this_url(app, issued, tmp_path):
    (text,) = qr_texts(issued.pdf, tmp_path)
    other = codes.group(codes.new_code())
    moved = text.replace(codes.group(issued.code), other)
    with app.app_context():
        result = offline.check_qr(moved, signing.public_keys())
    assert not result.ok and "验证码或内容与签名不符" in result.message


def test_cli_says_when_a_valid_signature_belongs_to_a_revoked_certificate(app, db, issued, tmp_path):
    with db() as s:
        cert = s.get(Certificate, issued.id)
        cert.revoked_at = clock.now()
        s.add(cert)
        s.commit()
    (text,) = qr_texts(issued.pdf, tmp_path)
    out = app.test_cli_runner().invoke(args=["lms", "certificates", "verify", "--text", text])
    assert out.exit_code == 1 and "签名有效" in out.output and "已撤销" in out.output


def _script(client, tmp_path) -> tuple[str, str]:
    """The published script and key file, saved where no lms package is importable."""
    script = tmp_path / "verify_certificate.py"
    script.write_bytes(client.get("/verify/verify_certificate.py").data)
    keys = tmp_path / "keys.pem"
    keys.write_bytes(client.get("/verify/keys.pem").data)
    return str(script), str(keys)


def _run(script: str, *args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", script, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_the_standalone_script_needs_only_the_public_keys(client, app, issued, tmp_path):
    script, keys = _script(client, tmp_path)
    good = tmp_path / "good.pdf"
    good.write_bytes(issued.pdf)
    (text,) = qr_texts(issued.pdf, tmp_path)
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(_pdf_with_qr(app, issued, _tampered(text, issuer="另一个党委")))

    ok = _run(script, "--key", keys, str(good), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "签名有效" in ok.stdout and "测试党委" in ok.stdout and services.mask_name(issued.holder_name) in ok.stdout

    bad = _run(script, "--key", keys, str(edited), cwd=tmp_path)
    assert bad.returncode == 1 and "签名无效" in bad.stdout and "与签名不符" in bad.stdout
    assert "未能证实，不可采信" in bad.stdout and "未能证实" not in ok.stdout

    foreign = _run(script, "--key", keys, "--text", _other_key_text(text), cwd=tmp_path)
    assert foreign.returncode == 1 and "不是发证平台公布的密钥" in foreign.stdout

    scanned = _run(script, "--key", keys, "--text", text, cwd=tmp_path)
    assert scanned.returncode == 0 and "签名有效" in scanned.stdout

    missing = _run(script, "--key", str(tmp_path / "none.pem"), str(good), cwd=tmp_path)
    assert missing.returncode == 2 and "无法读取公钥文件" in missing.stderr


def test_rotation_keeps_old_certificates_verifiable(app, client, db, login, tree, eligible, issued, tmp_path):
    (old_text,) = qr_texts(issued.pdf, tmp_path)
    clock.freeze(datetime(2026, 7, 1, 2, 0, tzinfo=UTC))
    out = app.test_cli_runner().invoke(args=["lms", "certificates", "rotate-key", "--yes"])
    assert out.exit_code == 0, out.output
    assert "已停用密钥" in out.output and "新密钥" in out.output
    eligible.year(tree["m1"], 2026, 40 * 3600)
    claim(client, kind="annual", year=2026)
    with db() as s:
        new_cert = s.exec(select(Certificate).where(Certificate.kind == "annual")).one()
    (new_text,) = qr_texts(new_cert.pdf, tmp_path)
    assert _fragment_parts(new_text)[2] != _fragment_parts(old_text)[2]

    with app.app_context():
        ring = signing.keys()
        keys = signing.public_keys()
    assert [k.current for k in ring] == [False, True]
    assert ring[0].private is None  # the retired private key is gone
    assert (keys[0].created, keys[0].retired, keys[1].created, keys[1].retired) == (
        date(2026, 6, 15), date(2026, 7, 1), date(2026, 7, 1), None)
    assert offline.check_qr(old_text, keys).ok and offline.check_qr(new_text, keys).ok

    listing = app.test_cli_runner().invoke(args=["lms", "certificates", "keys"])
    assert f"{ring[0].key_id}  启用 2026-06-15  停用 2026-07-01" in listing.output
    assert f"{ring[1].key_id}  启用 2026-07-01  停用 至今（在用）" in listing.output

    # The published file carries both keys and their validity: the script checks both certificates.
    pem = client.get("/verify/keys.pem").get_data(as_text=True)
    assert f"# key {ring[0].key_id} valid 2026-06-15 .. 2026-07-01" in pem
    assert f"# key {ring[1].key_id} valid 2026-07-01 .. now" in pem
    published = offline.parse_keys(pem)
    assert [(k.key_id, k.created, k.retired) for k in published] == [
        (k.key_id, k.created, k.retired) for k in keys]


def test_a_retired_key_vouches_for_nothing_issued_after_its_retirement():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = offline.PublicKey(raw, date(2026, 1, 1), date(2026, 7, 1))
    url = "https://xuexi.example.org/verify/" + codes.group("A" * 18)

    def signed(day):
        return offline.sign_qr(url, offline.Statement("A" * 18, "annual", "张*明", "32", day, "测试党委"), private)

    # Before its creation is fine (a batch reprint of older certificates), up to its retirement day too.
    for day in (date(2025, 12, 1), date(2026, 7, 1)):
        assert offline.check_qr(signed(day), [key]).ok
    late = offline.check_qr(signed(date(2026, 7, 2)), [key])
    assert not late.ok and "已于 2026-07-01 停用" in late.message


def test_the_verification_page_publishes_keys_and_fingerprints(client, app, issued):
    html = client.get(f"/verify/{codes.group(issued.code)}").get_data(as_text=True)
    with app.app_context():
        key = signing.current_key()
    assert f'data-kid="{key.key_id}"' in html and f'data-public="{key.public_b64}"' in html
    assert key.fingerprint_grouped in html and "js/signature.js" in html
    page = client.get("/verify/keys")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert key.fingerprint_grouped in text and "BEGIN PUBLIC KEY" in text and "verify_certificate.py" in text


def test_a_configured_keyring_is_shared_and_must_exist(app_config, tmp_path):
    from lms import create_app

    shared = tmp_path / "shared" / "keys.json"
    a = create_app({**app_config, "CERT_SIGNING_KEYRING": str(shared), "INSTANCE_PATH": str(tmp_path / "a")})
    with a.app_context(), pytest.raises(signing.KeyringError, match="未找到配置的证书签名密钥文件"):
        signing.current_key()
    out = a.test_cli_runner().invoke(args=["lms", "certificates", "rotate-key", "--yes"])
    assert out.exit_code == 0 and shared.exists(), out.output
    b = create_app({**app_config, "CERT_SIGNING_KEYRING": str(shared), "INSTANCE_PATH": str(tmp_path / "b")})
    statement = offline.Statement("A" * 18, "course", "张*", "2", date(2026, 6, 15), "测试党委")
    with a.app_context():
        text_a = signing.qr_text("https://x/verify/" + "A" * 18, statement)
    with b.app_context():
        text_b = signing.qr_text("https://x/verify/" + "A" * 18, statement)
        assert offline.check_qr(text_a, signing.public_keys()).ok
    assert text_a == text_b  # one key for every server (Ed25519 signatures are deterministic)


def test_a_damaged_keyring_is_a_clear_error(app, tmp_path):
    with app.app_context():
        signing.current_key()
        path = signing.keyring_path()[0]
        path.write_text("{not json", encoding="utf-8")
        with pytest.raises(signing.KeyringError, match="格式有误"):
            signing.keys()


def test_a_damaged_or_missing_signature_says_so(app, issued, tmp_path):
    (text,) = qr_texts(issued.pdf, tmp_path)
    with app.app_context():
        keys = signing.public_keys()
    url, _sep, fragment = text.partition("#")
    assert "已损坏或被改动" in offline.check_qr(f"{url}#{fragment[:-30]}", keys).message.replace("签名内容", "")
    assert "已损坏或被改动" in offline.check_qr(f"{url}#s=%%%.x.y", keys).message
    unsigned = offline.check_qr(url, keys)
    assert not unsigned.ok and "没有签名" in unsigned.message


def test_a_batch_pdf_has_every_page_signed(app, client, db, tree, eligible, issued, tmp_path):
    eligible.year(tree["m1"], 2026, 40 * 3600)
    claim(client, kind="annual", year=2026)
    with db() as s:
        certs = list(s.exec(select(Certificate).order_by(Certificate.id)))
    with app.app_context():
        joined = services.combined_pdf(certs)
    f = tmp_path / "batch.pdf"
    f.write_bytes(joined)
    out = app.test_cli_runner().invoke(args=["lms", "certificates", "verify", str(f)])
    assert out.exit_code == 0, out.output
    assert out.output.count("签名有效") == 2 and "年度学习培训合格证明" in out.output
    assert "多份证书合并打印" in out.output
