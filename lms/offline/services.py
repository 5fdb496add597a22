"""集中学习: recording, editing and voiding sessions, always through compensating ledger rows
(reading them is queries.py).

The ledger is never updated: the amount credited for a session is the sum of its ledger rows per
(member, local date). Recording, editing and voiding all compute the *target* amounts and append
one row per difference (positive for new or longer attendance, negative for removed attendees,
shorter sessions or a voided session). Running the same change twice writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import units
from lms.access import Scope
from lms.audit import services as audit
from lms.auth.models import User
from lms.offline import checks, ledger
from lms.offline.models import (
    SESSION_STATUS_LABELS,
    SESSION_TYPES,
    OfflineAttendance,
    OfflineSession,
    span_of,
)
from lms.offline.queries import (
    attendee_ids,
    attendees,
    find_duplicates,
    get_record,
    require_manager,
    roster,
    similar_topics,
)
from lms.orgs import services as orgs
from lms.orgs.models import Organization

MIN_MINUTES, MAX_MINUTES = 1, 600
TOPIC_MAX, PLACE_MAX, REASON_MAX = 200, 200, 500


class SessionError(ValueError):
    """Bad input, as {field name: Chinese message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


class DuplicateWarning(Exception):
    """A likely duplicate exists; the caller may confirm and save anyway."""

    def __init__(self, similar: list[OfflineSession]):
        super().__init__("可能重复登记")
        self.similar = similar


@dataclass
class SessionData:
    type: str
    topic: str
    held_on: date | None
    minutes: int | None
    place: str
    attendee_ids: list[int] = field(default_factory=list)
    start: time | None = None  # 开始时间 (local); required for every session recorded or edited now


# ---------------------------------------------------------------- validation


def _validate(data: SessionData, *, today: date, allowed_ids: set[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    data.topic = (data.topic or "").strip()
    data.place = (data.place or "").strip()
    if data.type not in SESSION_TYPES:
        errors["type"] = "请选择类型。"
    if not data.topic:
        errors["topic"] = "请填写主题。"
    elif len(data.topic) > TOPIC_MAX:
        errors["topic"] = f"主题不超过 {TOPIC_MAX} 字。"
    if len(data.place) > PLACE_MAX:
        errors["place"] = f"地点不超过 {PLACE_MAX} 字。"
    if data.held_on is None:
        errors["held_on"] = "请填写日期。"
    elif data.held_on > today:
        errors["held_on"] = "日期不能晚于今天：集中学习应在学习之后登记。"
    elif data.held_on.year < 2000:
        errors["held_on"] = "日期有误。"
    if data.minutes is None or not MIN_MINUTES <= data.minutes <= MAX_MINUTES:
        errors["duration"] = f"时长应在 {MIN_MINUTES} 分钟至 {MAX_MINUTES // 60} 小时（{MAX_MINUTES} 分钟）之间。"
    if data.start is None:
        errors["start_time"] = "请填写开始时间，如 09:00。"
    elif "duration" not in errors and span_of(data.start, data.minutes * 60)[1] > 24 * 3600:
        errors["start_time"] = (f"{data.start:%H:%M} 开始、时长 {units.duration_text(data.minutes * 60)} 将跨过午夜："
                                "集中学习按一天登记，请分两天分别登记。")
    ids = list(dict.fromkeys(data.attendee_ids))
    if not ids:
        errors["attendees"] = "请至少选择一名参加人员。"
    elif set(ids) - allowed_ids:
        # Only possible with a doctored form: someone outside the organisation's roster.
        raise NotFound()
    data.attendee_ids = ids
    return errors


def needs_approval(actor: User, ids) -> bool:
    """A secretary's session that credits the secretary and no one else goes to the next level, as
    their self-reports do (lms.hours.selfreports.reviewable_member: anyone with the secretary in
    scope but the secretary)."""
    return actor.role == "secretary" and set(ids) == {actor.id}


def _check(session: Session, *, ids, data: SessionData, deltas: dict, exclude_id: int | None = None) -> None:
    """No member in two sessions at once; no member over the daily cap. SessionError otherwise."""
    message = checks.overlap_error(session=session, member_ids=ids, held_on=data.held_on, start=data.start,
                                   seconds=data.minutes * 60, exclude_id=exclude_id)
    if message:
        raise SessionError({"start_time": message})
    message = checks.cap_error(session=session, deltas=deltas)
    if message:
        raise SessionError({"duration": message})


def _names(session: Session, ids) -> list[str]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.exec(select(User.name).where(User.id.in_(ids)).order_by(User.name)))


# ---------------------------------------------------------------- writing


def record_session(*, session: Session, scope: Scope, actor: User, org: Organization, data: SessionData,
                   today: date, at: datetime, confirm_duplicate: bool = False) -> OfflineSession:
    """Record a session and credit every attendee. Raises SessionError or DuplicateWarning."""
    require_manager(scope)
    org = orgs.get_org(session=session, scope=scope, org_id=org.id)
    allowed = {u.id for u in roster(session=session, scope=scope, org=org)}
    errors = _validate(data, today=today, allowed_ids=allowed)
    if errors:
        raise SessionError(errors)
    if not confirm_duplicate:
        similar = find_duplicates(session=session, org_id=org.id, held_on=data.held_on, type=data.type,
                                  topic=data.topic)
        if similar:
            raise DuplicateWarning(similar)
    # A pending session credits nothing yet; its approval is checked against the cap again.
    status = "pending" if needs_approval(actor, data.attendee_ids) else "approved"
    _check(session, ids=data.attendee_ids, data=data,
           deltas={(uid, data.held_on): data.minutes * 60 for uid in data.attendee_ids})
    record = OfflineSession(
        org_id=org.id, type=data.type, topic=data.topic, held_on=data.held_on, start_time=data.start,
        duration_seconds=data.minutes * 60, place=data.place, recorded_by_id=actor.id,
        created_at=at, updated_at=at, status=status,
    )
    session.add(record)
    session.flush()
    session.add_all(OfflineAttendance(session_id=record.id, user_id=uid) for uid in data.attendee_ids)
    session.flush()
    ledger.sync_ledger(session, record, ledger.target_for(record, data.attendee_ids), actor, record.ledger_note)
    audit.record(
        session=session, actor=actor, action="session.record", target_type="offline_session",
        target_id=record.id, org_id=org.id,
        summary=f"登记集中学习：{record.type}“{record.topic}”，{record.held_on.isoformat()}，"
                f"{units.duration_text(record.duration_seconds)}，{len(data.attendee_ids)} 人"
                + ("（仅本人，待上级审批）" if status == "pending" else ""),
        details={"type": record.type, "topic": record.topic, "date": record.held_on.isoformat(),
                 "start_time": f"{record.start_time:%H:%M}",
                 "duration": units.duration_text(record.duration_seconds), "place": record.place,
                 "count": len(data.attendee_ids), "attendees": _names(session, data.attendee_ids)},
    )
    return record


def editable_attendees(*, session: Session, scope: Scope, record: OfflineSession) -> tuple[list[User], set[int]]:
    """The choices when editing: the active roster plus current attendees in scope (e.g. since
    deactivated); and the ids of attendees the editor cannot see (moved away), kept unchanged."""
    org = orgs.get_org(session=session, scope=scope, org_id=record.org_id)
    current = set(attendee_ids(session=session, record=record))
    choices = {u.id: u for u in roster(session=session, scope=scope, org=org)}
    for u in attendees(session=session, scope=scope, record=record):
        choices.setdefault(u.id, u)
    hidden = current - set(choices)
    return sorted(choices.values(), key=lambda u: (u.org_id != org.id, u.name, u.id)), hidden


def update_session(*, session: Session, scope: Scope, actor: User, record: OfflineSession, data: SessionData,
                   revision: int | None, today: date, at: datetime,
                   confirm_duplicate: bool = False) -> dict:
    """Change a live session; the ledger gets compensating rows. Returns what changed (audit details)."""
    require_manager(scope)
    record = get_record(session=session, scope=scope, session_id=record.id)
    if record.is_voided:
        raise SessionError({"form": "该记录已作废，不能再修改。"})
    if record.is_rejected:
        raise SessionError({"form": "该记录未通过审批，不能再修改。"})
    if revision is not None and revision != record.revision:
        raise SessionError({"form": "该记录在您打开后已被修改，请刷新页面后重新填写。"})
    choices, hidden = editable_attendees(session=session, scope=scope, record=record)
    errors = _validate(data, today=today, allowed_ids={u.id for u in choices})
    if errors:
        raise SessionError(errors)
    if not confirm_duplicate and (data.held_on != record.held_on or data.type != record.type
                                  or not similar_topics(data.topic, record.topic)):
        similar = find_duplicates(session=session, org_id=record.org_id, held_on=data.held_on, type=data.type,
                                  topic=data.topic, exclude_id=record.id)
        if similar:
            raise DuplicateWarning(similar)
    new_ids = set(data.attendee_ids) | hidden
    # Still (or now) a secretary's session for themself alone: back to the next level for approval.
    pending = needs_approval(actor, new_ids) or (record.status == "pending" and new_ids == {record.recorded_by_id})
    status = "pending" if pending else "approved"
    target = {} if pending else {(uid, data.held_on): data.minutes * 60 for uid in new_ids}
    _check(session, ids=new_ids, data=data, deltas=ledger.deltas(session, record.id, target), exclude_id=record.id)

    # Claim the revision: a concurrent edit or void of the same session loses cleanly.
    table = OfflineSession.__table__
    claimed = session.execute(
        sa.update(table)
        .where(table.c.id == record.id, table.c.revision == record.revision, table.c.voided_at.is_(None))
        .values(revision=record.revision + 1, updated_at=at)
    ).rowcount
    if claimed != 1:
        raise SessionError({"form": "该记录在您打开后已被修改或作废，请刷新页面后重新填写。"})
    session.refresh(record)

    old_ids = set(attendee_ids(session=session, record=record))
    changes: dict[str, list] = {}
    for name, old, new in (
        ("type", record.type, data.type),
        ("topic", record.topic, data.topic),
        ("date", record.held_on.isoformat(), data.held_on.isoformat()),
        ("start_time", f"{record.start_time:%H:%M}" if record.start_time else "未填写", f"{data.start:%H:%M}"),
        ("duration", units.duration_text(record.duration_seconds), units.duration_text(data.minutes * 60)),
        ("place", record.place, data.place),
    ):
        if old != new:
            changes[name] = [old, new]
    record.type, record.topic, record.held_on = data.type, data.topic, data.held_on
    record.duration_seconds, record.place = data.minutes * 60, data.place
    record.start_time = data.start
    if record.status != status:
        changes["status"] = [record.status_label, SESSION_STATUS_LABELS[status]]
        record.status = status
    session.add(record)
    for uid in old_ids - new_ids:
        session.delete(session.get(OfflineAttendance, (record.id, uid)))
    session.add_all(OfflineAttendance(session_id=record.id, user_id=uid) for uid in new_ids - old_ids)
    session.flush()
    written = ledger.sync_ledger(session, record, ledger.target_for(record, new_ids), actor, f"更正 {record.ledger_note}")

    added, removed = _names(session, new_ids - old_ids), _names(session, old_ids - new_ids)
    details: dict = {"changes": changes}
    if added:
        details["added"] = added
    if removed:
        details["removed"] = removed
    details["count"] = len(new_ids)
    if changes or added or removed:
        audit.record(
            session=session, actor=actor, action="session.update", target_type="offline_session",
            target_id=record.id, org_id=record.org_id,
            summary=f"修改集中学习：{record.type}“{record.topic}”（{record.held_on.isoformat()}），"
                    f"更正台账 {written} 条",
            details=details,
        )
    return {**details, "written": written}


def void_session(*, session: Session, scope: Scope, actor: User, record: OfflineSession, reason: str,
                 at: datetime) -> int:
    """Void a session: every attendee's credit is taken back by a negative row. Returns rows written."""
    require_manager(scope)
    record = get_record(session=session, scope=scope, session_id=record.id)
    reason = (reason or "").strip()
    if not reason:
        raise SessionError({"reason": "请填写作废理由。"})
    if len(reason) > REASON_MAX:
        raise SessionError({"reason": f"作废理由不超过 {REASON_MAX} 字。"})
    table = OfflineSession.__table__
    claimed = session.execute(
        sa.update(table)
        .where(table.c.id == record.id, table.c.voided_at.is_(None))
        .values(voided_at=at, voided_by_id=actor.id, void_reason=reason, revision=record.revision + 1,
                updated_at=at)
    ).rowcount
    if claimed != 1:
        raise SessionError({"form": "该记录已经作废。"})
    session.refresh(record)
    written = ledger.sync_ledger(session, record, {}, actor, f"作废 {record.ledger_note}（{reason}）"[:500])
    audit.record(
        session=session, actor=actor, action="session.void", target_type="offline_session",
        target_id=record.id, org_id=record.org_id,
        summary=f"作废集中学习：{record.type}“{record.topic}”（{record.held_on.isoformat()}），"
                f"冲减台账 {written} 条",
        details={"reason": reason, "count": written},
    )
    return written
