"""Shared by the certificate browser tests: the offline check as a verifier gets it from the app (the
published keys.pem and the standalone script lms/certificates/offline.py, both downloaded from
/verify/keys), run on a PDF; and a certificate re-rendered with an edited statement in its QR code."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from lms.certificates import offline, pdf, services


def edited_qr(text: str, **changes) -> str:
    """The QR text with its signed statement changed (the signature and key id left as they were)."""
    url, _sep, fragment = text.partition("#s=")
    data, sig, kid = fragment.split(".")
    statement = offline.Statement.decode(offline.unb64u(data), offline.canonical_code(url.rsplit("/", 1)[1]))
    return f"{url}#s={offline.b64u(dataclasses.replace(statement, **changes).encode())}.{sig}.{kid}"


def download_checker(page, live_server: str, folder: Path) -> list[str]:
    """Download keys.pem and verify_certificate.py from the public keys page (the page stays open
    there); returns the command that runs the script with those keys, isolated from this project."""
    script, keys = folder / "verify_certificate.py", folder / "keys.pem"
    page.goto(f"{live_server}/verify/keys")
    for link, target in (("公钥文件 keys.pem", keys), ("核验脚本 verify_certificate.py", script)):
        with page.expect_download() as info:
            page.get_by_role("link", name=link).click()
        info.value.save_as(target)
    return [sys.executable, "-I", str(script), "--key", str(keys)]


def check_offline(command: list[str], pdf_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*command, str(pdf_path)], cwd=pdf_path.parent, capture_output=True, text=True,
                          timeout=120)


def render_edited(app, cert, text: str, target: Path, **changes) -> Path:
    """The certificate rendered as the app renders it, but with `text`'s statement edited in the QR."""
    with app.app_context():
        target.write_bytes(pdf.render_pdf([dataclasses.replace(services.page_for(cert),
                                                               qr_text=edited_qr(text, **changes))]))
    return target
