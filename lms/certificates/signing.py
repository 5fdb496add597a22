"""The deployment's Ed25519 signing keys for the certificates' QR statements (lms/certificates/offline.py).

The keys are kept in a keyring file, not in the database:
- the private key must not travel with every database dump and backup, nor be readable by whoever
  can read the tables; a file with mode 0600 next to instance/secret_key is what we already trust;
- every app server needs the private key anyway, so a multi-server deployment shares one file
  (CERT_SIGNING_KEYRING on shared storage, or the same file deployed to each server) and rotation
  is one write of that file; the database would only hold a copy of the public half;
- a single server needs no setting: <instance>/cert_signing_keys.json is created on first use.

The file (JSON) lists every key the deployment ever used: its id (the first 8 hex digits of the
public key's SHA-256), the raw public key, when it was created and retired, and, for the current key
only, the private key. Rotating retires the current key, drops its private half and adds a new one;
old public keys stay, so certificates signed before a rotation still verify.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from lms import clock
from lms.certificates import offline

DEFAULT_FILE = "cert_signing_keys.json"


class KeyringError(RuntimeError):
    """The keyring cannot be used; the message (Chinese) says what to do."""


@dataclass(frozen=True)
class Key:
    key_id: str
    public: bytes  # raw, 32 bytes
    private: bytes | None  # raw, 32 bytes; only for the current key
    created: datetime
    retired: datetime | None

    @property
    def fingerprint(self) -> str:
        return offline.fingerprint(self.public)

    @property
    def fingerprint_grouped(self) -> str:
        return offline.grouped(self.fingerprint)

    @property
    def public_b64(self) -> str:
        return offline.b64u(self.public)

    @property
    def current(self) -> bool:
        return self.retired is None and self.private is not None

    def offline_key(self) -> offline.PublicKey:
        return offline.PublicKey(self.public, clock.local_date(self.created),
                                 clock.local_date(self.retired) if self.retired else None)

    def pem(self) -> str:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return Ed25519PublicKey.from_public_bytes(self.public).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def keyring_path(app=None) -> tuple[Path, bool]:
    """The keyring file, and whether it was configured (then it must exist: it is shared)."""
    app = app or current_app
    configured = app.config.get("CERT_SIGNING_KEYRING")
    if configured:
        return Path(configured), True
    return Path(app.instance_path) / DEFAULT_FILE, False


def _new_key(at: datetime) -> Key:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    priv = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    return Key(offline.key_id(raw), raw, priv, at, None)


def _dump(keys: list[Key]) -> str:
    return json.dumps({"keys": [{
        "id": k.key_id,
        "public": offline.b64u(k.public),
        "private": offline.b64u(k.private) if k.private else None,
        "created": k.created.isoformat(),
        "retired": k.retired.isoformat() if k.retired else None,
    } for k in keys]}, ensure_ascii=False, indent=2) + "\n"


def _parse(text: str, path: Path) -> list[Key]:
    try:
        keys = []
        for item in json.loads(text)["keys"]:
            public = offline.unb64u(item["public"])
            if len(public) != 32 or offline.key_id(public) != item["id"]:
                raise ValueError(f"key {item['id']}: the id does not match the public key")
            keys.append(Key(item["id"], public, offline.unb64u(item["private"]) if item.get("private") else None,
                            datetime.fromisoformat(item["created"]),
                            datetime.fromisoformat(item["retired"]) if item.get("retired") else None))
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyringError(f"证书签名密钥文件 {path} 格式有误（{exc}），请检查或从备份恢复。") from exc
    if sum(k.current for k in keys) != 1:
        raise KeyringError(f"证书签名密钥文件 {path} 中应恰有一个在用的密钥，请检查或从备份恢复。")
    return keys


def _write_new(path: Path, text: str) -> bool:
    """Create the file with this content atomically, unless it exists (another worker was first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keyring-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)


def _replace(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keyring-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


_cache: dict[Path, tuple[tuple[int, int], list[Key]]] = {}


def keys(app=None) -> list[Key]:
    """Every key, oldest first; the default keyring is created with a first key when missing."""
    path, configured = keyring_path(app)
    if not path.exists():
        if configured:
            raise KeyringError(
                f"未找到配置的证书签名密钥文件 {path}（LMS_CERT_SIGNING_KEYRING）。各服务器应共用同一文件；"
                "首次使用请在一台服务器上运行 flask lms certificates rotate-key 生成，再分发到各服务器。")
        _write_new(path, _dump([_new_key(clock.now())]))
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, _parse(path.read_text(encoding="utf-8"), path))
        _cache[path] = cached
    return list(cached[1])


def current_key(app=None) -> Key:
    return next(k for k in keys(app) if k.current)


def public_keys(app=None) -> list[offline.PublicKey]:
    return [k.offline_key() for k in keys(app)]


def rotate(at: datetime, app=None) -> tuple[Key, Key | None]:
    """Retire the current key (its private half is dropped) and start a new one: (new, retired)."""
    path, _configured = keyring_path(app)
    if not path.exists():
        key = _new_key(at)
        if _write_new(path, _dump([key])):
            return key, None
    old = keys(app)
    new = _new_key(at)
    retired = None
    kept = []
    for k in old:
        if k.current:
            retired = Key(k.key_id, k.public, None, k.created, at)
            kept.append(retired)
        else:
            kept.append(k)
    _replace(path, _dump([*kept, new]))
    return new, retired


def qr_text(url: str, statement: offline.Statement, app=None) -> str:
    """The QR code's text: the verification URL with the statement signed by the current key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = current_key(app)
    return offline.sign_qr(url, statement, Ed25519PrivateKey.from_private_bytes(key.private))


def published_pem(app=None) -> str:
    """Every public key as PEM, each after a comment line with its id and validity (local dates):
    what /verify/keys.pem serves and the offline script reads."""
    out = [f"# {current_app.config['SITE_NAME']}：证书签名公钥（Ed25519）。离线核验：python verify_certificate.py --key keys.pem 证书.pdf\n"]
    for k in keys(app):
        pub = k.offline_key()
        out.append(f"# key {k.key_id} valid {pub.created.isoformat()} .. {pub.retired.isoformat() if pub.retired else 'now'}\n"
                   f"# SHA-256 {k.fingerprint}\n{k.pem()}")
    return "".join(out)
