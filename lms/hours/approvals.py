"""Deciding 个人自学申报 with an audit trail: one at a time or a batch in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session
from werkzeug.exceptions import NotFound

from lms.access import Scope
from lms.audit import services as audit
from lms.auth.models import User
from lms.hours import selfreports
from lms.hours.models import SelfReport

MAX_BATCH = 500


def _audit(session: Session, actor: User, report: SelfReport, action: str, summary: str, **details) -> None:
    member = session.get(User, report.user_id)
    audit.record(
        session=session, actor=actor, action=action, target_type="self_report", target_id=report.id,
        org_id=member.org_id, summary=summary,
        details={"member": member.name, "date": report.study_date.isoformat(), "minutes": report.minutes,
                 "topic": report.topic, **details},
    )


def approve(*, session: Session, actor: User, report: SelfReport, at: datetime, batch: bool = False) -> bool:
    """Approve (→ a ledger row) and audit; False if someone decided it first."""
    if not selfreports.approve(session=session, report=report, decided_by_id=actor.id, at=at):
        return False
    member = session.get(User, report.user_id)
    _audit(session, actor, report, "self_report.approve",
           f"批准 {member.name} 的自学申报“{report.topic}”（{report.minutes} 分钟）",
           **({"batch": True} if batch else {}))
    return True


def reject(*, session: Session, actor: User, report: SelfReport, at: datetime, reason: str) -> bool:
    if not selfreports.reject(session=session, report=report, decided_by_id=actor.id, at=at, reason=reason):
        return False
    member = session.get(User, report.user_id)
    _audit(session, actor, report, "self_report.reject",
           f"退回 {member.name} 的自学申报“{report.topic}”", reason=reason.strip())
    return True


@dataclass
class BatchResult:
    approved: list[SelfReport] = field(default_factory=list)
    skipped: list[SelfReport] = field(default_factory=list)  # already decided by the time we got there


def approve_batch(*, session: Session, scope: Scope, actor: User, report_ids: list[int], at: datetime) -> BatchResult:
    """Approve every listed report in the caller's transaction. Any id outside the reviewer's scope
    (or unknown) → 404 and nothing is approved; already decided ones are skipped."""
    ids = list(dict.fromkeys(report_ids))[:MAX_BATCH]
    reports = {r.id: r for r in (selfreports.get_for_review(session=session, scope=scope, report_id=i) for i in ids)}
    if len(reports) != len(ids):
        raise NotFound()
    result = BatchResult()
    for rid in ids:
        report = reports[rid]
        if report.status == "pending" and approve(session=session, actor=actor, report=report, at=at, batch=True):
            result.approved.append(report)
        else:
            result.skipped.append(report)
    return result

