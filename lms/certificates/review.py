"""Certificates whose hours were corrected away: flagged for an admin's review, never revoked
silently.

`flag_if_short` runs after every ledger row that takes time away (hours.services.on_reduction,
registered by lms.certificates.init_app), in the writer's transaction. It asks eligibility (which
knows each certificate's requirement) whether the holder still qualifies; if not, the certificate
gets a flag with the reason and the date. An admin then clears the flag (`clear_flag`, audited) or
revokes the certificate through the usual revoke path.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lms import clock, units
from lms.audit import services as audit
from lms.auth.models import User
from lms.certificates import eligibility
from lms.certificates.models import Certificate
from lms.formatting import cn_date
from lms.hours import services as hours
from lms.hours.models import LedgerEntry


class FlagError(ValueError):
    """A refusal with a message for the user (in Chinese)."""


def _open_certificates(session: Session, user_id: int) -> list[Certificate]:
    """The member's valid certificates not already flagged (one indexed query, usually empty)."""
    return list(session.exec(
        select(Certificate).where(Certificate.user_id == user_id, Certificate.revoked_at.is_(None),
                                  Certificate.flagged_at.is_(None))
        .order_by(Certificate.id)
    ))


def _cause(entry: LedgerEntry) -> str:
    note = f"（{entry.note}）" if entry.note else ""
    return f"{cn_date(entry.local_date)}的{entry.source_label}冲减 {units.hours_text(-entry.seconds)} 学时{note}"


def flag_if_short(*, session: Session, entry: LedgerEntry, at: datetime | None = None) -> list[Certificate]:
    """After `entry` took time from its member: flag each of their valid certificates they no
    longer qualify for. Annual certificates of the entry's year are checked against the year's
    total; course certificates only when the entry names a lesson (course completion counts online
    study per lesson, which only such a row can change). Returns the certificates flagged."""
    certs = [c for c in _open_certificates(session, entry.user_id)
             if (c.kind == "annual" and c.year == entry.local_date.year)
             or (c.kind == "course" and entry.lesson_id is not None)]
    if not certs:
        return []
    at = at or clock.now()
    flagged = []
    for cert in certs:
        if cert.kind == "annual":
            if eligibility.annual_entitlement(session=session, user_id=cert.user_id, year=cert.year) is not None:
                continue
            total = hours.year_total_seconds(session=session, user_id=cert.user_id, year=cert.year)
            reason = (f"{_cause(entry)}后，{cert.year} 年度学时合计 {units.hours_text(total)} 学时，"
                      f"低于要求的 {units.required_hours_text()} 学时。")
        else:
            if eligibility.entitlement_for(session=session, user_id=cert.user_id, kind="course",
                                           course_id=cert.course_id) is not None:
                continue
            reason = f"{_cause(entry)}后，“{cert.subject}”已不再满足结业要求（学习时长或考核）。"
        cert.flagged_at, cert.flag_reason = at, reason[:500]
        session.add(cert)
        flagged.append(cert)
        audit.record(
            session=session, actor=None, action="certificate.flag", target_type="certificate",
            target_id=cert.id, org_id=cert.org_id,
            summary=f"{cert.holder_name} 的{cert.kind_label}（{cert.serial}）标记为待复核",
            details={"member": cert.holder_name, "reason": cert.flag_reason},
        )
    session.flush()
    return flagged


def clear_flag(*, session: Session, cert: Certificate, by: User, note: str, at: datetime) -> Certificate:
    """An admin keeps the certificate after review: the flag goes, the audit log keeps why."""
    note = (note or "").strip()
    if cert.revoked_at is not None:
        raise FlagError("该证书已被撤销。")
    if cert.flagged_at is None:
        raise FlagError("该证书没有待复核标记。")
    if not note:
        raise FlagError("请填写复核意见。")
    if len(note) > 500:
        raise FlagError("复核意见不能超过 500 字。")
    table = Certificate.__table__
    cleared = session.execute(
        sa.update(table).where(table.c.id == cert.id, table.c.flagged_at.is_not(None), table.c.revoked_at.is_(None))
        .values(flagged_at=None, flag_reason=None)
    ).rowcount
    if cleared != 1:
        raise FlagError("该证书的复核标记已被他人处理。")
    audit.record(
        session=session, actor=by, action="certificate.flag_clear", target_type="certificate", target_id=cert.id,
        org_id=cert.org_id, summary=f"解除 {cert.holder_name} 的{cert.kind_label}（{cert.serial}）的复核标记",
        details={"member": cert.holder_name, "reason": note, "flag": cert.flag_reason or ""},
    )
    session.refresh(cert)
    return cert


def flagged_of(*, session: Session, user_id: int) -> list[Certificate]:
    """A member's certificates under review (the member page's panel)."""
    return list(session.exec(
        select(Certificate).where(Certificate.user_id == user_id, Certificate.flagged_at.is_not(None),
                                  Certificate.revoked_at.is_(None))
        .order_by(sa.desc(Certificate.flagged_at))
    ))


def register() -> None:
    """Run the check after every ledger row that takes time away (called by init_app)."""
    hours.on_reduction(flag_if_short)
