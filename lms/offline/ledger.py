"""集中学习 and the ledger: what a session credits now, what it should credit, and the compensating
rows between the two (services.py and approvals.py write through these).

The ledger is never updated: the amount credited for a session is the sum of its ledger rows per
(member, local date); a change appends one row per difference.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from lms.auth.models import User
from lms.hours import services as hours
from lms.hours.models import LedgerEntry
from lms.offline.models import OfflineSession


def credited(session: Session, record_id: int) -> dict[tuple[int, date], int]:
    """What the ledger currently credits for a session: {(member, local date): seconds}."""
    rows = session.exec(
        select(LedgerEntry.user_id, LedgerEntry.local_date, sa.func.sum(LedgerEntry.seconds))
        .where(LedgerEntry.offline_session_id == record_id, LedgerEntry.source == "offline")
        .group_by(LedgerEntry.user_id, LedgerEntry.local_date)
    )
    return {(u, d): int(s) for u, d, s in rows if int(s) != 0}


def sync_ledger(session: Session, record: OfflineSession, target: dict[tuple[int, date], int],
                actor: User, note: str) -> int:
    """Append one row per difference between what is credited and `target`; returns rows written."""
    current = credited(session, record.id)
    written = 0
    for user_id, day in sorted(set(current) | set(target), key=lambda k: (k[1], k[0])):
        delta = target.get((user_id, day), 0) - current.get((user_id, day), 0)
        if delta:
            hours.add_entry(
                session=session, user_id=user_id, source="offline", seconds=delta, local_date=day,
                recorded_by_id=actor.id, reason=note, offline_session_id=record.id,
            )
            written += 1
    return written


def target_for(record: OfflineSession, ids) -> dict[tuple[int, date], int]:
    """What the session should credit: nothing while it awaits approval (or was rejected)."""
    if record.status != "approved":
        return {}
    return {(uid, record.held_on): record.duration_seconds for uid in ids}


def deltas(session: Session, record_id: int | None, target: dict[tuple[int, date], int]) -> dict:
    """{(member, day): seconds} the ledger would gain (or lose) to reach `target`."""
    current = credited(session, record_id) if record_id is not None else {}
    return {k: target.get(k, 0) - current.get(k, 0) for k in set(current) | set(target)}
