"""The admin's re-issue of a revoked certificate (the form is on the certificate's page, views.py)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import login_required

from lms import clock
from lms.certificates import bp, reissue, services
from lms.certificates.forms import ReissueForm
from lms.certificates.views import _admins_certificate, _detail_page, _me


@bp.route("/certificates/<int:cert_id>/reissue", methods=["POST"])
@login_required
def reissue_cert(cert_id: int):
    """An admin issues a new certificate in place of a revoked one (new code, new serial)."""
    session, cert = _admins_certificate(cert_id)
    form = ReissueForm()
    error = "页面已过期，请刷新后重试。"
    if form.validate_on_submit():
        try:
            new = reissue.reissue(session=session, cert=cert, by=_me(), at=clock.now())
        except services.CertificateError as exc:
            error = str(exc)
        else:
            session.commit()
            flash(f"已重新签发，新证书编号 {new.serial}。原证书仍显示为“已撤销”，并指向新证书。", "success")
            return redirect(url_for(".detail", cert_id=new.id))
    session.rollback()
    return _detail_page(cert, None, status=400, reissue_error=error)
