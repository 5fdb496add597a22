#!/usr/bin/env python3
"""Offline check of a certificate's signed QR statement: this file also runs on its own.

    pip install cryptography pypdfium2 zxing-cpp
    python verify_certificate.py --key keys.pem 证书.pdf
    python verify_certificate.py --key keys.pem --text "https://…/verify/ABCD-…#s=…"

It imports nothing from the app (only the standard library, `cryptography`, and for reading a PDF
`pypdfium2` and `zxing-cpp`), so a verifier can download it from the verification page (/verify/keys)
with the public keys and check a certificate with no network. The app's own
`flask lms certificates verify` and lms/certificates/signing.py use the same functions.

The QR text is the verification URL with the statement in its fragment (a phone camera still opens
the URL, and browsers never send the fragment to the server):

    https://host/verify/ABCD-EFGH-JKMN-PQRS-TV#s=<statement>.<signature>.<key id>

statement: base64url (no padding) of UTF-8 lines "1" (the format), kind (c: 课程结业证书, a: 年度学习
培训合格证明), masked holder, 学时, issue date (YYYYMMDD, local) and issuer; signature: base64url of the
Ed25519 signature of the code (canonical, from the URL), a line break and those statement bytes, so
the code is signed but carried once; key id: the first 8 hex digits of the SHA-256 of the raw 32-byte
public key (its fingerprint). The QR code stays at version 10–12 (error correction M).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

VERSION = "1"
FIELDS = ("kind", "holder", "hours", "issued_on", "issuer")  # the code comes from the URL
KIND_CODES = {"course": "c", "annual": "a"}
KIND_LABELS = {"course": "课程结业证书", "annual": "年度学习培训合格证明"}
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----\s+([A-Za-z0-9+/=\s]+?)-----END PUBLIC KEY-----")
# In the published key file, a comment line before each key: "# key 1a2b3c4d valid 2026-01-05 .. 2026-09-30"
_VALIDITY = re.compile(r"^#\s*key\s+([0-9a-f]{8})\s+valid\s+(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2}|now)\s*$",
                       re.M)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(raw_public: bytes) -> str:
    """The SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(raw_public).hexdigest()


def key_id(raw_public: bytes) -> str:
    return fingerprint(raw_public)[:8]


def grouped(hex_text: str) -> str:
    return " ".join(hex_text[i:i + 4] for i in range(0, len(hex_text), 4))


def canonical_code(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


@dataclass(frozen=True)
class Statement:
    """What the QR code's signature vouches for."""

    code: str  # canonical, ungrouped
    kind: str  # course | annual
    holder: str  # masked: 张*明
    hours: str  # 学时 as printed
    issued_on: date
    issuer: str

    def encode(self) -> bytes:
        """The statement as carried in the QR code (without the code, which is in the URL)."""
        values = (KIND_CODES[self.kind], self.holder, self.hours, self.issued_on.strftime("%Y%m%d"), self.issuer)
        # One field per line: a line break inside a value would shift the fields, so it is flattened.
        return "\n".join((VERSION, *(" ".join(str(v).split()) for v in values))).encode("utf-8")

    def signed_bytes(self) -> bytes:
        return self.code.encode("ascii") + b"\n" + self.encode()

    @classmethod
    def decode(cls, data: bytes, code: str) -> Statement:
        lines = data.decode("utf-8").split("\n")
        if len(lines) != 1 + len(FIELDS) or lines[0] != VERSION:
            raise ValueError("unknown statement format")
        values = dict(zip(FIELDS, lines[1:], strict=True))
        kinds = {v: k for k, v in KIND_CODES.items()}
        if values["kind"] not in kinds or not re.fullmatch(r"\d{8}", values["issued_on"]):
            raise ValueError("unknown kind or date")
        values["kind"] = kinds[values["kind"]]
        d = values["issued_on"]
        values["issued_on"] = date(int(d[:4]), int(d[4:6]), int(d[6:]))
        return cls(code=code, **values)

    def lines(self) -> list[tuple[str, str]]:
        """What is signed, for people (Chinese labels)."""
        code = "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))
        d = self.issued_on
        return [
            ("验证码", code),
            ("证书类别", KIND_LABELS.get(self.kind, self.kind)),
            ("持证人", self.holder),
            ("学时", f"{self.hours} 学时"),
            ("签发日期", f"{d.year}年{d.month}月{d.day}日"),
            ("发证单位", self.issuer),
        ]


@dataclass(frozen=True)
class PublicKey:
    raw: bytes  # 32 bytes
    created: date | None = None  # validity, when known (the published key file says it)
    retired: date | None = None

    @property
    def key_id(self) -> str:
        return key_id(self.raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)


def sign_qr(url: str, statement: Statement, private_key) -> str:
    """The QR text: the URL, and the statement signed with an Ed25519 private key (cryptography)."""
    from cryptography.hazmat.primitives import serialization

    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = private_key.sign(statement.signed_bytes())
    return f"{url}#s={b64u(statement.encode())}.{b64u(signature)}.{key_id(raw)}"


@dataclass(frozen=True)
class Result:
    ok: bool
    message: str  # in Chinese
    statement: Statement | None = None
    key: PublicKey | None = None
    url: str = ""


def check_qr(text: str, keys: list[PublicKey]) -> Result:
    """Check a scanned QR text against the given public keys, without any network."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = (text or "").strip()
    url, sep, fragment = text.partition("#")
    if not sep or not fragment.startswith("s="):
        return Result(False, "无法离线核验：二维码中没有签名（可能是早期签发的证书），请联网访问验证网址核验。", url=url)
    code = canonical_code(url.rstrip("/").rsplit("/", 1)[-1]) if "/verify/" in url else ""
    if len(code) != 18 or any(c not in CODE_ALPHABET for c in code):
        return Result(False, "签名无效：二维码网址中没有有效的证书验证码。", url=url)
    parts = fragment[2:].split(".")
    try:
        if len(parts) != 3:
            raise ValueError("three parts expected")
        data, signature, kid = unb64u(parts[0]), unb64u(parts[1]), parts[2]
        statement = Statement.decode(data, code)
    except (ValueError, UnicodeDecodeError, TypeError):
        return Result(False, "签名无效：二维码中的签名内容已损坏或被改动，无法读取。", url=url)
    key = next((k for k in keys if k.key_id == kid), None)
    if key is None:
        return Result(False, f"签名无效：签名所用的密钥（编号 {kid}）不是发证平台公布的密钥，不能证明证书由该平台签发。",
                      statement, url=url)
    try:
        Ed25519PublicKey.from_public_bytes(key.raw).verify(signature, statement.signed_bytes())
    except (InvalidSignature, ValueError):
        return Result(False, "签名无效：二维码中的验证码或内容与签名不符，可能被改动过，或不是用发证平台的密钥签署的。",
                      statement, key, url)
    # A key may sign certificates issued before it was made (a batch reprint of old certificates),
    # but a retired key vouches for nothing issued after its retirement.
    if key.retired and statement.issued_on > key.retired:
        return Result(False, f"签名无效：密钥 {kid} 已于 {key.retired.isoformat()} 停用，不能证明此后签发的证书。",
                      statement, key, url)
    return Result(True, "签名有效：以下内容由发证平台的密钥签署，未被改动。", statement, key, url)


def parse_keys(text: str) -> list[PublicKey]:
    """Public keys out of PEM text (one or more PUBLIC KEY blocks, as published at /verify/keys.pem),
    with their validity where the file states it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    validity = {m.group(1): (m.group(2), m.group(3)) for m in _VALIDITY.finditer(text)}
    keys = []
    for m in _PEM.finditer(text):
        pem = f"-----BEGIN PUBLIC KEY-----\n{m.group(1).strip()}\n-----END PUBLIC KEY-----\n".encode("ascii")
        public = serialization.load_pem_public_key(pem)
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        created, retired = validity.get(key_id(raw), (None, None))
        keys.append(PublicKey(raw, date.fromisoformat(created) if created else None,
                              date.fromisoformat(retired) if retired and retired != "now" else None))
    return keys


def qr_texts_of_pdf(path: Path, dpi: int = 200) -> list[str]:
    """The QR codes' texts on every page of a PDF: rendered with PDFium, read with zxing-cpp."""
    import pypdfium2
    import zxingcpp

    texts = []
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        for page in pdf:
            image = page.render(scale=dpi / 72).to_pil()
            texts += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    finally:
        pdf.close()
    return texts


def report(result: Result) -> str:
    lines = [result.message]
    if result.statement is not None and not result.ok:
        lines.append("  以下是二维码中声称的内容，未能证实，不可采信：")
    if result.statement is not None:
        lines += [f"  {label}：{value}" for label, value in result.statement.lines()]
    if result.key is not None:
        lines.append(f"  签名密钥：{result.key.key_id}（指纹 SHA-256 {grouped(result.key.fingerprint)}）")
    if result.url:
        lines.append(f"  联网核验网址：{result.url}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="离线核验证书二维码中的签名（只需发证平台公布的公钥）。")
    parser.add_argument("pdf", nargs="?", help="证书 PDF 文件")
    parser.add_argument("--text", help="扫描二维码得到的文字（代替 PDF 文件）")
    parser.add_argument("--key", action="append", required=True,
                        help="公钥文件（PEM，如从验证页面下载的 keys.pem），可重复")
    args = parser.parse_args(argv)
    if bool(args.pdf) == bool(args.text):
        parser.error("请给出一个证书 PDF 文件，或用 --text 给出扫描到的文字（二者选一）。")
    keys = []
    for name in args.key:
        try:
            keys += parse_keys(Path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            print(f"无法读取公钥文件 {name}：{exc}", file=sys.stderr)
            return 2
    if not keys:
        print("公钥文件中没有找到公钥（应为 PEM 格式的 PUBLIC KEY）。", file=sys.stderr)
        return 2
    if args.text:
        texts = [args.text]
    else:
        try:
            texts = qr_texts_of_pdf(Path(args.pdf))
        except Exception as exc:  # noqa: BLE001 - a file that is no PDF, unreadable, …
            print(f"无法读取 PDF 文件 {args.pdf}：{exc}", file=sys.stderr)
            return 2
        if not texts:
            print("PDF 中没有找到可读取的二维码。", file=sys.stderr)
            return 1
    ok = True
    for text in texts:
        result = check_qr(text, keys)
        ok = ok and result.ok
        print(report(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
