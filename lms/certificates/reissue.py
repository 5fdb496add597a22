"""Re-issue after revocation: an admin issues a new certificate (new code, new serial) for a member
who still qualifies, in place of a revoked one. The revoked certificate and its stored PDF stay as
they are; the new one points back at it (Certificate.replaces_id), and the verification page of the
old code links to the new one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from lms import units
from lms.auth.models import User
from lms.certificates import services
from lms.certificates.eligibility import Entitlement, entitlement_for
from lms.certificates.models import Certificate


def replacement_for(*, session: Session, cert: Certificate) -> Certificate | None:
    """The certificate issued in place of this (revoked) one, if any."""
    if cert.id is None:
        return None
    return session.exec(select(Certificate).where(Certificate.replaces_id == cert.id)).first()


def replaced(*, session: Session, cert: Certificate) -> Certificate | None:
    """The revoked certificate this one replaces, if any."""
    return session.get(Certificate, cert.replaces_id) if cert.replaces_id else None


def _entitlement(session: Session, cert: Certificate) -> Entitlement | None:
    return entitlement_for(session=session, user_id=cert.user_id, kind=cert.kind, course_id=cert.course_id,
                           year=cert.year)


def refusal(*, session: Session, cert: Certificate) -> str | None:
    """Why this certificate cannot be re-issued now, in words for the admin; None when it can."""
    if cert.revoked_at is None:
        return "只有已撤销的证书才能重新签发。"
    newer = replacement_for(session=session, cert=cert)
    if newer is not None:
        return f"该证书已重新签发，新证书编号 {newer.serial}。"
    current = services.current_for(session=session, user_id=cert.user_id, key=cert.subject_key)
    if current is not None:
        return f"该党员已有有效的同类证书（编号 {current.serial}），无需重新签发。"
    member = session.get(User, cert.user_id)
    if member is None or not member.active:
        return "该党员的账号已停用，不能重新签发。"
    if _entitlement(session, cert) is None:
        if cert.kind == "course":
            return "该党员目前未满足本课程的结业要求（学习时长或考核），不能重新签发。"
        return (f"该党员 {cert.year} 年度学时目前未达到 {units.required_hours_text()} 学时，不能重新签发。")
    return None


def reissue(*, session: Session, cert: Certificate, by: User, at: datetime) -> Certificate:
    """Issue a new certificate in place of a revoked one, from the member's current standing
    (the 学时 printed are today's figure). Audited as certificate.reissue."""
    reason = refusal(session=session, cert=cert)
    if reason is not None:
        raise services.CertificateError(reason)
    member = session.get(User, cert.user_id)
    return services.issue(session=session, user=member, entitlement=_entitlement(session, cert), issued_by=by,
                          at=at, replaces=cert)
