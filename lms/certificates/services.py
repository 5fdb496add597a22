"""Issuing, looking up, verifying and revoking certificates; batch print runs."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import clock, exports, textcheck, units
from lms.access import Scope
from lms.audit import services as audit
from lms.auth.models import User
from lms.certificates import codes, offline, pdf, render, signing, template_version
from lms.certificates.eligibility import Entitlement, entitlement_for, subject_key
from lms.certificates.models import REVOKE_CATEGORIES, Certificate, SerialCounter
from lms.orgs.models import Organization

log = logging.getLogger("lms.certificates")


class CertificateError(ValueError):
    """A refusal with a message for the user (in Chinese)."""


# --- issuing ----------------------------------------------------------------------------------


def issuer_for(*, session: Session, org: Organization) -> Organization:
    """The issuing organisation: the 党委 at the top of the holder's tree."""
    root_id = int(org.path.strip("/").split("/")[0]) if org.path.strip("/") else org.id
    return session.get(Organization, root_id) or org


def allocate_serial(*, session: Session, issuer_org_id: int, year: int) -> int:
    bump = (
        sa.update(SerialCounter)
        .where(SerialCounter.issuer_org_id == issuer_org_id, SerialCounter.year == year)
        .values(last=SerialCounter.last + 1)
        .returning(SerialCounter.last)
    )
    for _ in range(3):
        n = session.connection().execute(bump).scalar()
        if n is not None:
            return n
        try:
            with session.begin_nested():
                session.connection().execute(
                    sa.insert(SerialCounter).values(issuer_org_id=issuer_org_id, year=year, last=1)
                )
            return 1
        except IntegrityError:  # someone else inserted the year's row first: bump it
            continue
    raise RuntimeError("could not allocate a certificate serial number")


def _new_code(session: Session) -> str:
    while True:
        code = codes.new_code()
        if session.exec(select(Certificate.id).where(Certificate.code_digest == codes.digest(code))).first() is None:
            return code


def statement_for(cert: Certificate) -> offline.Statement:
    """What the QR code's signature vouches for (lms/certificates/offline.py)."""
    return offline.Statement(code=cert.code, kind=cert.kind, holder=mask_name(cert.holder_name),
                             hours=units.number_text(cert.hours), issued_on=clock.local_date(cert.issued_at),
                             issuer=cert.issuer_name)


def page_for(cert: Certificate) -> render.Page:
    return render.Page(
        kind=cert.kind,
        holder_name=cert.holder_name,
        org_name=cert.org_name,
        issuer_name=cert.issuer_name,
        subject=cert.subject,
        year=cert.year,
        hours_text=units.number_text(cert.hours),
        required_hours_text=units.required_hours_text(),
        completed_on=clock.local_date(cert.completed_at) if cert.completed_at else None,
        issued_on=clock.local_date(cert.issued_at),
        serial=cert.serial,
        code=cert.code,
        qr_text=signing.qr_text(render.verify_url(cert.code), statement_for(cert)),
    )


def find_existing(*, session: Session, user_id: int, kind: str, course_id: int | None = None,
                  year: int | None = None) -> Certificate | None:
    """The member's certificate for the subject: the valid one, else the latest revoked one."""
    key = subject_key(kind, course_id=course_id, year=year)
    return session.exec(
        select(Certificate).where(Certificate.user_id == user_id, Certificate.subject_key == key)
        .order_by(Certificate.revoked_at.is_not(None), sa.desc(Certificate.id))
    ).first()


def current_for(*, session: Session, user_id: int, key: str) -> Certificate | None:
    """The member's valid (not revoked) certificate for the subject key, if any."""
    return session.exec(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.subject_key == key, Certificate.revoked_at.is_(None))).first()


def issue(*, session: Session, user: User, entitlement: Entitlement, issued_by: User | None, at: datetime,
          replaces: Certificate | None = None) -> Certificate:
    """Issue the certificate once: render the PDF, store its bytes and SHA-256; audit it.

    Returns the existing certificate when there already is a valid one for this member and subject.
    `replaces` is the revoked certificate this one replaces (an admin's re-issue).
    """
    existing = current_for(session=session, user_id=user.id, key=entitlement.key)
    if existing is not None:
        return existing
    org = session.get(Organization, user.org_id)
    issuer = issuer_for(session=session, org=org)
    issue_year = clock.local_date(at).year
    serial_no = allocate_serial(session=session, issuer_org_id=issuer.id, year=issue_year)
    cert = Certificate(
        kind=entitlement.kind,
        subject_key=entitlement.key,
        user_id=user.id,
        org_id=org.id,
        issuer_org_id=issuer.id,
        course_id=entitlement.course.id if entitlement.course else None,
        year=entitlement.year,
        seconds=entitlement.seconds,
        hours=entitlement.hours,
        holder_name=user.name,
        org_name=org.name,
        issuer_name=issuer.name,
        subject=entitlement.subject,
        completed_at=entitlement.completed_at,
        serial_no=serial_no,
        serial=f"{issue_year}-{serial_no:04d}",
        code="",
        code_digest="",
        pdf=b"",
        sha256="",
        issued_at=at,
        issued_by_id=issued_by.id if issued_by else None,
        replaces_id=replaces.id if replaces else None,
        template_version=template_version.current(),
    )
    cert.code = _new_code(session)
    cert.code_digest = codes.digest(cert.code)
    cert.pdf = pdf.render_pdf([page_for(cert)])
    cert.sha256 = hashlib.sha256(cert.pdf).hexdigest()
    try:
        with session.begin_nested():
            session.add(cert)
    except IntegrityError:  # the same member claimed (or an admin re-issued) at the same moment
        existing = current_for(session=session, user_id=user.id, key=entitlement.key)
        if existing is None:
            raise
        return existing
    what = f"{cert.holder_name} 的{cert.kind_label}（{cert.serial}）"
    details = {"member": cert.holder_name, "subject": cert.subject, "serial": cert.serial}
    if replaces is not None:
        details["replaces"] = replaces.serial
    audit.record(
        session=session, actor=issued_by, action="certificate.reissue" if replaces else "certificate.issue",
        target_type="certificate", target_id=cert.id, org_id=cert.org_id,
        summary=f"重新签发{what}，替代已撤销的 {replaces.serial}" if replaces else f"签发{what}",
        details=details,
    )
    return cert


def claim(*, session: Session, user: User, kind: str, course_id: int | None = None, year: int | None = None,
          issued_by: User | None = None, at: datetime) -> Certificate:
    """A member's own claim, or a manager issuing for a member (issued_by): eligibility first."""
    existing = find_existing(session=session, user_id=user.id, kind=kind, course_id=course_id, year=year)
    if existing is not None:
        return existing
    ent = entitlement_for(session=session, user_id=user.id, kind=kind, course_id=course_id, year=year)
    if ent is None:
        if kind == "course":
            raise CertificateError("尚未完成该课程的全部学习和考核，暂不能领取结业证书。")
        raise CertificateError(f"{year} 年度学时尚未达到 {units.required_hours_text()} 学时，暂不能领取合格证明。")
    return issue(session=session, user=user, entitlement=ent, issued_by=issued_by or user, at=at)


def revoke(*, session: Session, cert: Certificate, by: User, reason: str, at: datetime,
           category: str | None = None) -> Certificate:
    reason = (reason or "").strip()
    if category not in REVOKE_CATEGORIES:
        raise CertificateError("请选择撤销类别。")
    if not reason:
        raise CertificateError("请填写撤销原因。")
    if len(reason) > 500:
        raise CertificateError("撤销原因不能超过 500 字。")
    if cert.revoked_at is not None:
        raise CertificateError("该证书已被撤销。")
    cert.revoked_at = at
    cert.revoked_by_id = by.id
    cert.revoke_reason = reason
    cert.revoke_category = category
    session.add(cert)
    session.flush()
    audit.record(
        session=session, actor=by, action="certificate.revoke", target_type="certificate", target_id=cert.id,
        org_id=cert.org_id, summary=f"撤销 {cert.holder_name} 的{cert.kind_label}（{cert.serial}）",
        details={"member": cert.holder_name, "serial": cert.serial, "category": REVOKE_CATEGORIES[category],
                 "reason": reason},
    )
    return cert


# --- looking up -------------------------------------------------------------------------------


def _in_scope(scope: Scope):
    return Certificate.user_id.in_(sa.select(User.id).where(scope.user_filter()))


def get_certificate(*, session: Session, scope: Scope, cert_id: int) -> Certificate:
    """A certificate the viewer may see: their own, or a member's in their subtree. Else 404."""
    cert = session.exec(select(Certificate).where(Certificate.id == cert_id, _in_scope(scope))).first()
    if cert is None:
        raise NotFound()
    return cert


def certificates_of(*, session: Session, user_id: int) -> list[Certificate]:
    return list(
        session.exec(select(Certificate).where(Certificate.user_id == user_id).order_by(sa.desc(Certificate.issued_at)))
    )


def certificates_in_scope(*, session: Session, scope: Scope, org_path: str | None = None, limit: int = 500,
                          flagged_only: bool = False):
    stmt = select(Certificate).where(_in_scope(scope))
    if flagged_only:  # 待复核: corrected below the requirement, not revoked
        stmt = stmt.where(Certificate.flagged_at.is_not(None), Certificate.revoked_at.is_(None))
    if org_path:
        stmt = stmt.where(
            Certificate.org_id.in_(sa.select(Organization.id).where(Organization.path.startswith(org_path, autoescape=True)))
        )
    return list(session.exec(stmt.order_by(sa.desc(Certificate.issued_at), sa.desc(Certificate.id)).limit(limit)))


# --- public verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    status: str  # valid | revoked | not_found
    cert: Certificate | None = None

    @property
    def label(self) -> str:
        return {"valid": "有效", "revoked": "已撤销", "not_found": "未找到"}[self.status]


def verify(*, session: Session, text: str) -> Verification:
    code = codes.normalise(text)
    if code is None:
        return Verification("not_found")
    cert = session.exec(select(Certificate).where(Certificate.code_digest == codes.digest(code))).first()
    if cert is None or not codes.matches(cert.code_digest, code):
        return Verification("not_found")
    return Verification("revoked" if cert.revoked_at else "valid", cert)


def mask_name(name: str) -> str:
    """张*明, 张*, 欧阳**明: the first and last characters, the rest hidden."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- downloads --------------------------------------------------------------------------------


def download_name(cert: Certificate) -> str:
    # No control, bidi or zero-width characters and no slashes: a line break in a (legacy) name must
    # not break the response header, nor an RTL override turn "…-2026-0001.pdf" around on screen.
    return textcheck.safe_filename(f"{cert.holder_name}-{cert.kind_label}-{cert.serial}.pdf")


def combined_pdf(certs: list[Certificate]) -> bytes:
    """One PDF, one certificate per page, rendered in a single WeasyPrint document."""
    return pdf.render_pdf([page_for(c) for c in certs])


def zip_of(certs: list[Certificate]) -> bytes:
    """A ZIP of the stored, individual PDFs (the very bytes each holder downloads), each stamped
    with its certificate's issue time in the configured zone (LMS_TIMEZONE)."""
    return exports.zip_files(
        (download_name(c), str(c.id), c.issued_at.astimezone(clock.zone()), c.pdf) for c in certs
    )
