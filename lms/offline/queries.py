"""集中学习 records, read: scoped look-ups and lists, attendees, the ledger rows a record wrote,
and the likely-duplicate check. Writing (record, edit, void) is in services.py.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import Forbidden, NotFound

from lms.access import Scope
from lms.auth.models import User
from lms.hours.models import LedgerEntry
from lms.offline.models import OfflineAttendance, OfflineSession
from lms.orgs import services as orgs
from lms.orgs.models import Organization

SIMILARITY = 0.6  # topics at least this alike (difflib ratio, after normalising) count as the same


# ---------------------------------------------------------------- reading, scoped


def require_manager(scope: Scope) -> None:
    """403 unless the scope is a secretary's or an admin's."""
    if not scope.is_manager:
        raise Forbidden()


def get_record(*, session: Session, scope: Scope, session_id: int) -> OfflineSession:
    """A session of an organisation in scope, else 404."""
    require_manager(scope)
    record = session.exec(
        select(OfflineSession)
        .join(Organization, Organization.id == OfflineSession.org_id)
        .where(OfflineSession.id == session_id, scope.org_filter())
    ).first()
    if record is None:
        raise NotFound()
    return record


def roster(*, session: Session, scope: Scope, org: Organization) -> list[User]:
    """Active members of the organisation's subtree (what the attendance list offers)."""
    return orgs.members_in_scope(session=session, scope=scope, org_id=org.id, status="active")


def attendee_ids(*, session: Session, record: OfflineSession) -> list[int]:
    return list(
        session.exec(select(OfflineAttendance.user_id).where(OfflineAttendance.session_id == record.id))
    )


def attendees(*, session: Session, scope: Scope, record: OfflineSession) -> list[User]:
    """Current attendees that the viewer may see (members moved out of scope are counted, not named)."""
    return list(
        session.exec(
            select(User)
            .join(OfflineAttendance, OfflineAttendance.user_id == User.id)
            .where(OfflineAttendance.session_id == record.id, scope.user_filter())
            .order_by(User.name, User.id)
        )
    )


@dataclass(frozen=True)
class SessionRow:
    record: OfflineSession
    org: Organization
    attendees: int


def list_sessions(*, session: Session, scope: Scope, org_id: int | None = None, year: int | None = None,
                  limit: int = 500) -> list[SessionRow]:
    """Sessions of organisations in scope, newest first, with their attendee counts (one query)."""
    require_manager(scope)
    counts = (
        select(OfflineAttendance.session_id, sa.func.count().label("n"))
        .group_by(OfflineAttendance.session_id)
        .subquery()
    )
    stmt = (
        select(OfflineSession, Organization, sa.func.coalesce(counts.c.n, 0))
        .join(Organization, Organization.id == OfflineSession.org_id)
        .outerjoin(counts, counts.c.session_id == OfflineSession.id)
        .where(scope.org_filter())
    )
    if org_id is not None:
        org = orgs.get_org(session=session, scope=scope, org_id=org_id)
        stmt = stmt.where(Organization.path.startswith(org.path, autoescape=True))
    if year is not None:
        stmt = stmt.where(OfflineSession.held_on >= date(year, 1, 1), OfflineSession.held_on <= date(year, 12, 31))
    stmt = stmt.order_by(sa.desc(OfflineSession.held_on), sa.desc(OfflineSession.id)).limit(limit)
    return [SessionRow(r, o, int(n)) for r, o, n in session.exec(stmt)]


@dataclass(frozen=True)
class LedgerLine:
    entry: LedgerEntry
    member: User


def ledger_lines(*, session: Session, scope: Scope, record: OfflineSession) -> list[LedgerLine]:
    """Every ledger row written for this session (the correction history), members in scope."""
    rows = session.exec(
        select(LedgerEntry, User)
        .join(User, User.id == LedgerEntry.user_id)
        .where(LedgerEntry.offline_session_id == record.id, scope.user_filter())
        .order_by(LedgerEntry.id)
    )
    return [LedgerLine(e, u) for e, u in rows]


# ---------------------------------------------------------------- duplicates


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"[\W_]+", "", text)


def similar_topics(a: str, b: str) -> bool:
    x, y = _normalise(a), _normalise(b)
    if not x or not y:
        return x == y
    if x == y or (min(len(x), len(y)) >= 2 and (x in y or y in x)):
        return True
    return difflib.SequenceMatcher(None, x, y).ratio() >= SIMILARITY


def find_duplicates(*, session: Session, org_id: int, held_on: date, type: str, topic: str,
                    exclude_id: int | None = None) -> list[OfflineSession]:
    """Live sessions of the same organisation, day and type with a similar topic."""
    stmt = select(OfflineSession).where(
        OfflineSession.org_id == org_id,
        OfflineSession.held_on == held_on,
        OfflineSession.type == type,
        OfflineSession.voided_at.is_(None),
    )
    if exclude_id is not None:
        stmt = stmt.where(OfflineSession.id != exclude_id)
    return [s for s in session.exec(stmt.order_by(OfflineSession.id)) if similar_topics(s.topic, topic)]


# ---------------------------------------------------------------- the ledger-sanity checks' reads


def sessions_attended_on(*, session: Session, user_ids, held_on: date,
                         exclude_id: int | None = None) -> list[tuple[OfflineSession, int]]:
    """(session, member) for every live session on that day (recorded or awaiting approval, not
    voided or rejected) that any of the members attends: what a new session must not overlap."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    stmt = (
        select(OfflineSession, OfflineAttendance.user_id)
        .join(OfflineAttendance, OfflineAttendance.session_id == OfflineSession.id)
        .where(OfflineAttendance.user_id.in_(ids), OfflineSession.held_on == held_on,
               OfflineSession.voided_at.is_(None), OfflineSession.status != "rejected")
        .order_by(OfflineSession.id, OfflineAttendance.user_id)
    )
    if exclude_id is not None:
        stmt = stmt.where(OfflineSession.id != exclude_id)
    return [(s, uid) for s, uid in session.exec(stmt)]


# ---------------------------------------------------------------- one member's year (学习档案)


@dataclass(frozen=True)
class Attended:
    record: OfflineSession
    credited_seconds: int  # what the ledger holds for this member and session (corrections included)


def attended_sessions(*, session: Session, user_id: int, year: int) -> list[Attended]:
    """The credited (approved, not voided) sessions of `year` the member attends, oldest first,
    each with the member's ledger seconds for it. The caller decides who may ask."""
    credited = (
        select(LedgerEntry.offline_session_id, sa.func.sum(LedgerEntry.seconds).label("seconds"))
        .where(LedgerEntry.user_id == user_id, LedgerEntry.offline_session_id.is_not(None))
        .group_by(LedgerEntry.offline_session_id)
        .subquery()
    )
    rows = session.exec(
        select(OfflineSession, sa.func.coalesce(credited.c.seconds, 0))
        .join(OfflineAttendance, OfflineAttendance.session_id == OfflineSession.id)
        .outerjoin(credited, credited.c.offline_session_id == OfflineSession.id)
        .where(OfflineAttendance.user_id == user_id, OfflineSession.voided_at.is_(None),
               OfflineSession.status == "approved",
               OfflineSession.held_on >= date(year, 1, 1), OfflineSession.held_on <= date(year, 12, 31))
        .order_by(OfflineSession.held_on, OfflineSession.start_time, OfflineSession.id)
    )
    return [Attended(r, int(n)) for r, n in rows]
