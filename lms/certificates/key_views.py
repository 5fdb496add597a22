"""The published signing keys: on the verification page, at /verify/keys (with the PEM file and the
offline script to download). Public, no login, limited like the verification page."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Response, current_app, render_template

from lms.certificates import bp, offline, signing
from lms.extensions import limiter

log = logging.getLogger("lms.certificates")


def _verify_limit() -> str:
    return current_app.config.get("CERT_VERIFY_LIMIT", "30 per minute")


def _published_keys() -> list[signing.Key]:
    """The keys for a page; a keyring that cannot be read is logged, and the page says so."""
    try:
        return signing.keys()
    except signing.KeyringError:
        log.exception("certificate signing keyring")
        return []


@bp.context_processor
def _signing_keys():
    return {"signing_keys": _published_keys}


@bp.route("/verify/keys")
@limiter.limit(_verify_limit)
def signing_keys_page():
    return render_template("certificates/keys.html", keys=_published_keys())


@bp.route("/verify/keys.pem")
@limiter.limit(_verify_limit)
def signing_keys_pem():
    try:
        text = signing.published_pem()
    except signing.KeyringError:
        log.exception("certificate signing keyring")
        return Response("签名密钥暂不可用。\n", 503, mimetype="text/plain")
    return Response(text, mimetype="application/x-pem-file",
                    headers={"Content-Disposition": "attachment; filename=keys.pem"})


@bp.route("/verify/verify_certificate.py")
@limiter.limit(_verify_limit)
def offline_script():
    source = Path(offline.__file__).read_text(encoding="utf-8")
    return Response(source, mimetype="text/x-python",
                    headers={"Content-Disposition": "attachment; filename=verify_certificate.py"})
