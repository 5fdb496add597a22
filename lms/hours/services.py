"""The 学时 ledger: writing entries, and the sums everything else reads (other slices use these).

Durations are integer seconds; 学时 is a display unit (lms.units). The year of an
entry is the calendar year of its local date in the configured zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from lms import clock, units
from lms.content.models import Course, Lesson
from lms.hours.models import LedgerEntry
from lms.hours.sources import BY_KEY, LEDGER_SOURCES, LedgerSource

ONLINE_CONFLICT_WHERE = sa.text("source = 'online'")


# ---------------------------------------------------------------- writing

def add_entry(
    *,
    session: Session,
    user_id: int,
    source: str,
    seconds: int,
    local_date: date,
    recorded_by_id: int | None,
    reason: str = "",
    lesson_id: int | None = None,
    course_id: int | None = None,
    offline_session_id: int | None = None,
    self_report_id: int | None = None,
) -> LedgerEntry:
    """Append one ledger row (集中学习, 个人自学申报, 调整). Online study goes through `upsert_online`."""
    if source not in BY_KEY or BY_KEY[source].by_tracker:
        raise ValueError(f"add_entry cannot write source {source!r}")
    if not isinstance(seconds, int):
        raise TypeError("seconds must be an int")
    entry = LedgerEntry(
        user_id=user_id,
        source=source,
        seconds=seconds,
        local_date=local_date,
        year=local_date.year,
        lesson_id=lesson_id,
        course_id=course_id,
        offline_session_id=offline_session_id,
        self_report_id=self_report_id,
        recorded_by_id=recorded_by_id,
        note=(reason or "")[:500],
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    return entry


_UPSERT_ONLINE: dict[tuple[str, int], Any] = {}


def _upsert_online_stmt(dialect: str, rows: int):
    """INSERT … VALUES (one row per day) ON CONFLICT (the online-day partial unique index)
    DO UPDATE seconds = seconds + excluded.seconds.

    Built once per (dialect, number of days) with bind parameters; SQLite ≥ 3.24 and PostgreSQL
    share the syntax."""
    stmt = _UPSERT_ONLINE.get((dialect, rows))
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        t = LedgerEntry.__table__
        values = [
            {
                "user_id": sa.bindparam("b_user"),
                "source": "online",
                "seconds": sa.bindparam(f"b_seconds{i}"),
                "local_date": sa.bindparam(f"b_date{i}", type_=t.c.local_date.type),
                "year": sa.bindparam(f"b_year{i}"),
                "lesson_id": sa.bindparam("b_lesson"),
                "course_id": sa.bindparam("b_course"),
                "note": "",
                "created_at": sa.bindparam("b_created", type_=t.c.created_at.type),
                "updated_at": sa.bindparam("b_updated", type_=t.c.updated_at.type),
            }
            for i in range(rows)
        ]
        # One row as keywords: SQLAlchemy caches that compilation, while a multi-VALUES insert is
        # compiled on every call (~0.5 ms, more than the beat's own statement). Two rows happen
        # once a day per member (a span across midnight).
        stmt = insert(t).values(**values[0]) if rows == 1 else insert(t).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "lesson_id", "local_date"],
            index_where=ONLINE_CONFLICT_WHERE,
            set_={"seconds": t.c.seconds + stmt.excluded.seconds, "updated_at": stmt.excluded.updated_at},
        )
        _UPSERT_ONLINE[(dialect, rows)] = stmt
    return stmt


def upsert_online_days(
    *, session: Session, user_id: int, lesson_id: int, course_id: int, days: list[tuple[date, int]], at: datetime
) -> None:
    """Add seconds to the member's online roll-up rows for (lesson, local date), for each
    (local date, seconds) in `days` (distinct dates): one statement, however many days."""
    if not days:
        return
    params: dict[str, Any] = {
        "b_user": user_id, "b_lesson": lesson_id, "b_course": course_id, "b_created": at, "b_updated": at,
    }
    for i, (day, seconds) in enumerate(days):
        params.update({f"b_seconds{i}": seconds, f"b_date{i}": day, f"b_year{i}": day.year})
    session.execute(_upsert_online_stmt(session.get_bind().dialect.name, len(days)), params)


def upsert_online(
    *, session: Session, user_id: int, lesson_id: int, course_id: int, local_date: date, seconds: int, at: datetime
) -> None:
    """Add seconds to the member's online roll-up row for (lesson, local date): one statement."""
    upsert_online_days(session=session, user_id=user_id, lesson_id=lesson_id, course_id=course_id,
                       days=[(local_date, seconds)], at=at)


# ---------------------------------------------------------------- reading (used by other slices)

def year_total_seconds(*, session: Session, user_id: int, year: int) -> int:
    total = session.exec(
        select(sa.func.coalesce(sa.func.sum(LedgerEntry.seconds), 0)).where(
            LedgerEntry.user_id == user_id, LedgerEntry.year == year
        )
    ).one()
    return int(total)


def year_totals(*, session: Session, user_ids_select, year: int) -> dict[int, dict[str, int]]:
    """{user_id: {source: seconds}} for every member in `user_ids_select` (a SELECT of user ids) with entries."""
    rows = session.exec(
        select(LedgerEntry.user_id, LedgerEntry.source, sa.func.sum(LedgerEntry.seconds))
        .where(LedgerEntry.year == year, LedgerEntry.user_id.in_(user_ids_select))
        .group_by(LedgerEntry.user_id, LedgerEntry.source)
    )
    out: dict[int, dict[str, int]] = {}
    for user_id, source, seconds in rows:
        out.setdefault(user_id, {})[source] = int(seconds)
    return out


def day_total_seconds(*, session: Session, user_id: int, day: date) -> int:
    """Everything the ledger credits the member on one local date, every source."""
    total = session.exec(select(sa.func.coalesce(sa.func.sum(LedgerEntry.seconds), 0)).where(
        LedgerEntry.user_id == user_id, LedgerEntry.year == day.year, LedgerEntry.local_date == day)).one()
    return int(total)


def lesson_year_seconds(*, session: Session, user_id: int, lesson_id: int, year: int) -> int:
    total = session.exec(
        select(sa.func.coalesce(sa.func.sum(LedgerEntry.seconds), 0)).where(
            LedgerEntry.user_id == user_id,
            LedgerEntry.year == year,
            LedgerEntry.source == "online",
            LedgerEntry.lesson_id == lesson_id,
        )
    ).one()
    return int(total)


# ---------------------------------------------------------------- a member's year (我的学时)

@dataclass(frozen=True)
class YearSummary:
    year: int
    total: int
    required: int
    by_source: dict[str, int]
    by_course: list[tuple[Course | None, int]]
    by_month: list[dict[str, int]]  # index 0 = January: {source: seconds}
    pace: units.Pace

    @property
    def percent(self) -> int:
        return units.percent_of(self.total, self.required)

    @property
    def source_rows(self) -> list[tuple[LedgerSource, int]]:
        return [(s, self.by_source.get(s.key, 0)) for s in LEDGER_SOURCES]


def year_summary(*, session: Session, user_id: int, year: int, today: date) -> YearSummary:
    base = (LedgerEntry.user_id == user_id, LedgerEntry.year == year)
    by_source = {
        s: int(n)
        for s, n in session.exec(
            select(LedgerEntry.source, sa.func.sum(LedgerEntry.seconds)).where(*base).group_by(LedgerEntry.source)
        )
    }
    course_rows = session.exec(
        select(LedgerEntry.course_id, sa.func.sum(LedgerEntry.seconds))
        .where(*base, LedgerEntry.source == "online")
        .group_by(LedgerEntry.course_id)
    ).all()
    courses = {
        c.id: c for c in session.exec(select(Course).where(Course.id.in_([cid for cid, _ in course_rows if cid])))
    }
    by_course = sorted(
        ((courses.get(cid), int(n)) for cid, n in course_rows if n),
        key=lambda row: (row[0].order if row[0] else 1_000_000, row[0].slug if row[0] else ""),
    )
    month = sa.extract("month", LedgerEntry.local_date)
    by_month: list[dict[str, int]] = [{} for _ in range(12)]
    for m, source, n in session.exec(
        select(month, LedgerEntry.source, sa.func.sum(LedgerEntry.seconds)).where(*base).group_by(month, LedgerEntry.source)
    ):
        by_month[int(m) - 1][source] = int(n)
    total = sum(by_source.values())
    required = units.required_seconds()
    return YearSummary(
        year=year,
        total=total,
        required=required,
        by_source=by_source,
        by_course=by_course,
        by_month=by_month,
        pace=units.pace_for(total=total, required=required, year=year, today=today),
    )


@dataclass(frozen=True)
class EntryRow:
    entry: LedgerEntry
    lesson_title: str | None
    course_title: str | None
    recorded_by: str | None


def year_entries(*, session: Session, user_id: int, year: int, limit: int = 300) -> list[EntryRow]:
    from lms.auth.models import User

    recorder = sa.orm.aliased(User)
    rows = session.exec(
        select(LedgerEntry, Lesson.title, Course.title, recorder.name)
        .outerjoin(Lesson, Lesson.id == LedgerEntry.lesson_id)
        .outerjoin(Course, Course.id == LedgerEntry.course_id)
        .outerjoin(recorder, recorder.id == LedgerEntry.recorded_by_id)
        .where(LedgerEntry.user_id == user_id, LedgerEntry.year == year)
        .order_by(sa.desc(LedgerEntry.local_date), sa.desc(LedgerEntry.id))
        .limit(limit)
    )
    return [EntryRow(e, lt, ct, rb) for e, lt, ct, rb in rows]


def entry_years(*, session: Session, user_id: int, current: int) -> list[int]:
    years = set(
        session.exec(select(LedgerEntry.year).where(LedgerEntry.user_id == user_id).group_by(LedgerEntry.year))
    )
    years.add(current)
    return sorted((y for y in years if y <= current), reverse=True)
