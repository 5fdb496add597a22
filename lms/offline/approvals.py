"""A secretary's 集中学习 that credits only the secretary: pending until someone at the next level
approves it (then it is credited, within the daily cap) or rejects it (never credited). Who may
decide is the self-reports' rule (lms.hours.selfreports.reviewable_member), applied to the
recorder. Every decision is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import units
from lms.access import Scope
from lms.audit import services as audit
from lms.auth.models import User
from lms.hours.selfreports import reviewable_member
from lms.offline import checks, ledger
from lms.offline.models import OfflineSession
from lms.offline.queries import attendee_ids
from lms.offline.services import REASON_MAX, SessionError
from lms.orgs.models import Organization


@dataclass(frozen=True)
class PendingRow:
    record: OfflineSession
    member: User  # the recorder, the only attendee
    org: Organization


def _reviewable(scope: Scope):
    return sa.and_(reviewable_member(scope, OfflineSession.recorded_by_id), OfflineSession.status == "pending",
                   OfflineSession.voided_at.is_(None))


def pending_queue(*, session: Session, scope: Scope, limit: int = 200) -> list[PendingRow]:
    """Sessions awaiting this reviewer's decision, oldest first (never the reviewer's own)."""
    if not scope.is_manager:
        return []
    rows = session.exec(
        select(OfflineSession, User, Organization)
        .join(User, User.id == OfflineSession.recorded_by_id)
        .join(Organization, Organization.id == OfflineSession.org_id)
        .where(_reviewable(scope))
        .order_by(OfflineSession.created_at, OfflineSession.id)
        .limit(limit)
    )
    return [PendingRow(r, u, o) for r, u, o in rows]


def can_review(*, session: Session, scope: Scope, record: OfflineSession) -> bool:
    if not scope.is_manager or not record.is_pending:
        return False
    return session.exec(
        select(OfflineSession.id).join(User, User.id == OfflineSession.recorded_by_id)
        .where(OfflineSession.id == record.id, _reviewable(scope))
    ).first() is not None


def _get(session: Session, scope: Scope, record: OfflineSession) -> OfflineSession:
    if not can_review(session=session, scope=scope, record=record):
        raise NotFound()
    return record


def _decide(session: Session, record: OfflineSession, status: str, actor: User, at: datetime,
            reason: str = "") -> None:
    """pending → decided, exactly once even if two reviewers click at the same moment."""
    table = OfflineSession.__table__
    claimed = session.execute(
        sa.update(table)
        .where(table.c.id == record.id, table.c.status == "pending", table.c.voided_at.is_(None))
        .values(status=status, decided_by_id=actor.id, decided_at=at, reject_reason=reason,
                revision=record.revision + 1, updated_at=at)
    ).rowcount
    if claimed != 1:
        raise SessionError({"form": "该记录已经处理过了。"})
    session.refresh(record)


def _audit(session: Session, actor: User, record: OfflineSession, action: str, summary: str, **details) -> None:
    member = session.get(User, record.recorded_by_id)
    audit.record(
        session=session, actor=actor, action=action, target_type="offline_session", target_id=record.id,
        org_id=record.org_id, summary=summary,
        details={"member": member.name, "type": record.type, "topic": record.topic,
                 "date": record.held_on.isoformat(), "duration": units.duration_text(record.duration_seconds),
                 **details},
    )


def approve(*, session: Session, scope: Scope, actor: User, record: OfflineSession, at: datetime) -> int:
    """Approve and credit the recorder (SessionError past the daily cap: the caller rolls back)."""
    record = _get(session, scope, record)
    ids = attendee_ids(session=session, record=record)
    _decide(session, record, "approved", actor, at)
    target = ledger.target_for(record, ids)
    message = checks.cap_error(session=session, deltas=ledger.deltas(session, record.id, target))
    if message:
        raise SessionError({"form": f"不能通过：{message}"})
    written = ledger.sync_ledger(session, record, target, actor, f"{record.ledger_note}（{actor.name} 审批通过）"[:500])
    member = session.get(User, record.recorded_by_id)
    _audit(session, actor, record, "session.approve",
           f"批准 {member.name} 登记的集中学习“{record.topic}”（{record.held_on.isoformat()}，仅本人）")
    return written


def reject(*, session: Session, scope: Scope, actor: User, record: OfflineSession, reason: str,
           at: datetime) -> None:
    record = _get(session, scope, record)
    reason = (reason or "").strip()
    if not reason:
        raise SessionError({"reason": "请填写不通过的理由。"})
    if len(reason) > REASON_MAX:
        raise SessionError({"reason": f"理由不超过 {REASON_MAX} 字。"})
    _decide(session, record, "rejected", actor, at, reason)
    member = session.get(User, record.recorded_by_id)
    _audit(session, actor, record, "session.reject",
           f"退回 {member.name} 登记的集中学习“{record.topic}”（{record.held_on.isoformat()}）", reason=reason)
