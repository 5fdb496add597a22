"""`flask lms certificates verify | keys | rotate-key`: the offline signature, from the server's side."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlmodel import select

from lms import clock
from lms.certificates import codes, offline, signing
from lms.certificates.models import Certificate
from lms.cli_support import fail
from lms.db import cli_session


@click.command("verify")
@with_appcontext
@click.argument("pdf", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--text", help="扫描二维码得到的文字（代替 PDF 文件）。")
def verify_command(pdf: Path | None, text: str | None) -> None:
    """核验证书：二维码中的签名（与离线脚本相同），以及数据库中的状态和 PDF 的 SHA-256。"""
    if (pdf is None) == (text is None):
        fail("请给出一个证书 PDF 文件，或用 --text 给出扫描到的文字（二者选一）。")
    try:
        keys = signing.public_keys()
    except signing.KeyringError as exc:
        fail(str(exc))
    if text is not None:
        texts = [text]
    else:
        try:
            texts = offline.qr_texts_of_pdf(pdf)
        except Exception as exc:  # noqa: BLE001 - not a PDF, unreadable, …
            fail(f"无法读取 PDF 文件 {pdf}：{exc}")
        if not texts:
            fail("PDF 中没有找到可读取的二维码。")
    with cli_session(write=False) as session:
        ok = _report(session, texts, keys, pdf)
    if not ok:
        raise SystemExit(1)


def _report(session, texts: list[str], keys: list[offline.PublicKey], pdf: Path | None) -> bool:
    ok = True
    for qr in texts:
        result = offline.check_qr(qr, keys)
        ok = ok and result.ok
        click.echo(offline.report(result))
        # The code in the URL is the one the holder shows; the statement's when the URL has none.
        code = codes.normalise(result.url.rsplit("/", 1)[-1]) or (result.statement.code if result.statement else None)
        cert = session.exec(select(Certificate).where(Certificate.code_digest == codes.digest(code))).first() \
            if code else None
        if cert is None:
            click.echo("  数据库：没有与该验证码对应的证书。")
            ok = False
            continue
        click.echo(f"  数据库：证书编号 {cert.serial}，" + ("已撤销。" if cert.revoked_at else "有效。"))
        ok = ok and cert.revoked_at is None
        if pdf is not None and len(texts) > 1:
            click.echo("  文件指纹：这是多份证书合并打印的 PDF，不与单份证书签发时保存的 SHA-256 比对。")
        elif pdf is not None:
            digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
            if digest == cert.sha256:
                click.echo("  文件指纹：与签发时保存的 SHA-256 一致，文件未被改动。")
            else:
                click.echo(f"  文件指纹：与签发时保存的 SHA-256 不一致（本文件 {digest}，签发时 {cert.sha256}），"
                           "文件不是签发的原件。")
                ok = False
    return ok


@click.command("keys")
@with_appcontext
def keys_command() -> None:
    """列出证书签名密钥及其有效期（公钥见 /verify/keys）。"""
    try:
        keys = signing.keys()
    except signing.KeyringError as exc:
        fail(str(exc))
    click.echo(f"密钥文件：{signing.keyring_path()[0]}")
    for k in keys:
        pub = k.offline_key()
        until = pub.retired.isoformat() if pub.retired else "至今（在用）"
        click.echo(f"{k.key_id}  启用 {pub.created.isoformat()}  停用 {until}  指纹 SHA-256 {k.fingerprint_grouped}")


@click.command("rotate-key")
@with_appcontext
@click.option("--yes", is_flag=True, help="不再确认。")
def rotate_key_command(yes: bool) -> None:
    """更换证书签名密钥：旧密钥停用（私钥删除，公钥保留以核验旧证书），此后签发的证书用新密钥。"""
    path, configured = signing.keyring_path()
    if path.exists() and not yes:
        click.confirm("更换后旧私钥将被删除，此后签发与重新生成的证书都用新密钥签名。继续吗？", abort=True)
    try:
        new, retired = signing.rotate(clock.now())
    except signing.KeyringError as exc:
        fail(str(exc))
    if retired is not None:
        click.echo(f"已停用密钥 {retired.key_id}（公钥保留，用它签名的证书仍可核验）。")
    click.echo(f"新密钥 {new.key_id}，指纹 SHA-256 {new.fingerprint_grouped}。")
    click.echo(f"密钥文件：{path}" + ("（多台服务器共用：请确认各服务器读到的是这一文件）" if configured else ""))
