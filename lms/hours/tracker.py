"""Server-measured online study: study sessions, heartbeats and the 防挂机 presence check.

The browser only says "still here" with the session token it was given; the server measures the
time since the previous beat and decides what counts. Nothing the client sends is a duration.

Rules (interval = BEAT_INTERVAL_SECONDS):
- a beat within 2 × interval of the previous one credits the real elapsed time, in whole seconds
  (the fraction carries over to the next beat);
- a longer gap (sleep, a closed laptop, a hidden page) starts a new segment and credits nothing;
- a beat less than a second after the previous one changes nothing (its time counts with the next);
- one member has one current session: opening a lesson issues a new token, and beats carrying an
  older (or someone else's) token credit nothing and answer "superseded";
- credit for a lesson stops at the lesson's 学时 for the year; a credit that crosses local
  midnight is split between the two dates (and years);
- after a random 15–25 minutes of credited study a presence check is due; a beat more than
  PRESENCE_CHECK_TIMEOUT_SECONDS after it was issued credits nothing until it is answered.

The beat does constant work: read the member's session row (primary key), a conditional UPDATE of
it (WHERE version = the version read, so two concurrent beats cannot both count), and an upsert
of the day's roll-up row in the ledger.
"""

from __future__ import annotations

import hmac
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from lms import clock
from lms.content.models import Lesson
from lms.hours import services
from lms.hours.models import StudySession

MIN_BEAT_GAP = 1.0  # seconds: closer beats change nothing


@dataclass(frozen=True)
class TrackerSettings:
    interval: int = 30
    check_min: int = 900
    check_max: int = 1500
    check_timeout: int = 60

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TrackerSettings:
        lo = int(config["PRESENCE_CHECK_MIN_SECONDS"])
        return cls(
            interval=int(config["BEAT_INTERVAL_SECONDS"]),
            check_min=lo,
            check_max=max(lo, int(config["PRESENCE_CHECK_MAX_SECONDS"])),
            check_timeout=int(config["PRESENCE_CHECK_TIMEOUT_SECONDS"]),
        )

    def draw_check(self) -> int:
        return random.randint(self.check_min, self.check_max)


@dataclass(frozen=True)
class BeatResult:
    # studying | new_segment | capped | check_due | paused_presence | superseded
    state: str
    credited: int = 0  # seconds credited by this beat
    lesson_seconds: int = 0  # online seconds for this lesson in the current year
    cap_seconds: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "credited": self.credited,
            "lesson_seconds": self.lesson_seconds,
            "cap_seconds": self.cap_seconds,
        }


# The beat's statements are built once, with bind parameters: constructing them per request
# (the upsert's `excluded` columns especially) cost more than executing them.
_SESSION = StudySession.__table__
_SELECT_SESSION = sa.select(_SESSION).where(_SESSION.c.user_id == sa.bindparam("b_user"))
_UPDATE_BEAT = (
    sa.update(_SESSION)
    .where(_SESSION.c.user_id == sa.bindparam("b_user"), _SESSION.c.version == sa.bindparam("b_version"))
    .values(
        version=sa.bindparam("b_new_version"),
        last_beat_at=sa.bindparam("b_anchor", type_=_SESSION.c.last_beat_at.type),
        credit_year=sa.bindparam("b_credit_year"),
        year_credited=sa.bindparam("b_year_credited"),
        since_check_seconds=sa.bindparam("b_since_check"),
        check_issued_at=sa.bindparam("b_check_issued_at", type_=_SESSION.c.check_issued_at.type),
    )
)


def _row(session: Session, user_id: int):
    """The member's session row (a Core row: attribute access, nothing tracked by the ORM)."""
    return session.execute(_SELECT_SESSION, {"b_user": user_id}).first()


def _token_ok(row: StudySession | None, token: str | None) -> bool:
    return row is not None and bool(token) and hmac.compare_digest(row.token.encode(), str(token).encode())


def _check_overdue(row: StudySession, at: datetime, settings: TrackerSettings) -> bool:
    return row.check_issued_at is not None and (at - row.check_issued_at).total_seconds() > settings.check_timeout


def _lesson_seconds_now(row: StudySession, at: datetime) -> int:
    return row.year_credited if clock.local_date(at).year == row.credit_year else 0


def _state(row: StudySession, lesson_seconds: int, *, check_pending: bool | None = None,
           new_segment: bool = False) -> str:
    if row.check_issued_at is not None if check_pending is None else check_pending:
        return "check_due"
    if lesson_seconds >= row.cap_seconds:
        return "capped"
    return "new_segment" if new_segment else "studying"


# ---------------------------------------------------------------- start

def start_session(*, session: Session, user_id: int, lesson: Lesson, at: datetime,
                  settings: TrackerSettings):
    """Open (or take over) the member's study session on a lesson: a new token, anchored now.

    Any other tab or device holding the previous token is superseded. The presence-check state
    carries over, so reopening the page does not dodge a pending check.
    """
    year = clock.local_date(at).year
    credited = services.lesson_year_seconds(session=session, user_id=user_id, lesson_id=lesson.id, year=year)
    values = {
        "token": secrets.token_urlsafe(32),
        "lesson_id": lesson.id,
        "course_id": lesson.course_id,
        "started_at": at,
        "last_beat_at": at,
        "cap_seconds": services.lesson_cap_seconds(lesson.hours),
        "credit_year": year,
        "year_credited": credited,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = StudySession.__table__
    stmt = insert(table).values(
        user_id=user_id, version=0, since_check_seconds=0, next_check_seconds=settings.draw_check(), **values
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id"], set_={**values, "version": table.c.version + 1}
    )
    session.execute(stmt)
    row = _row(session, user_id)
    assert row is not None
    return row, BeatResult(_state(row, credited), 0, credited, row.cap_seconds)


# ---------------------------------------------------------------- beat

def _split_by_local_date(start: datetime, seconds: int) -> list[tuple[Any, int]]:
    """[(local date, seconds)] of the interval [start, start + seconds), split at local midnights."""
    parts = []
    cursor, left = start, seconds
    zone = clock.zone()
    while left > 0:
        local = cursor.astimezone(zone)
        next_midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
        # Whole seconds up to midnight (the first part keeps any sub-second remainder).
        room = int((next_midnight - cursor).total_seconds() + 0.999999)
        take = min(left, max(room, 1))
        parts.append((local.date(), take))
        cursor += timedelta(seconds=take)
        left -= take
    return parts


def credit_beat(*, session: Session, user_id: int, token: str | None, at: datetime,
                settings: TrackerSettings) -> BeatResult:
    row = _row(session, user_id)
    if not _token_ok(row, token):
        return BeatResult("superseded")
    assert row is not None
    lesson_now = _lesson_seconds_now(row, at)
    if _check_overdue(row, at, settings):
        return BeatResult("paused_presence", 0, lesson_now, row.cap_seconds)

    gap = (at - row.last_beat_at).total_seconds()
    if gap < MIN_BEAT_GAP:  # too fast (or a clock step back): nothing to record yet
        return BeatResult(_state(row, lesson_now), 0, lesson_now, row.cap_seconds)

    credit_year, year_credited = row.credit_year, row.year_credited
    credited_parts: list[tuple[Any, int]] = []
    new_segment = gap > 2 * settings.interval
    if new_segment:
        anchor = at
    else:
        whole = int(min(gap, 2 * settings.interval))
        anchor = row.last_beat_at + timedelta(seconds=whole)  # the fraction carries to the next beat
        for day, seconds in _split_by_local_date(row.last_beat_at, whole):
            if day.year != credit_year:
                if day.year < credit_year:
                    continue
                credit_year, year_credited = day.year, 0
            take = max(0, min(seconds, row.cap_seconds - year_credited))
            if take < seconds:
                anchor = at  # capped: nothing more to carry
            if take:
                year_credited += take
                credited_parts.append((day, take))
    credited = sum(s for _, s in credited_parts)

    since_check = row.since_check_seconds + credited
    check_issued_at = row.check_issued_at
    if check_issued_at is None and since_check >= row.next_check_seconds:
        check_issued_at = at

    result = session.execute(
        _UPDATE_BEAT,
        {
            "b_user": user_id,
            "b_version": row.version,
            "b_new_version": row.version + 1,
            "b_anchor": anchor,
            "b_credit_year": credit_year,
            "b_year_credited": year_credited,
            "b_since_check": since_check,
            "b_check_issued_at": check_issued_at,
        },
    )
    if result.rowcount != 1:  # a concurrent beat (or a new tab) got there first: it counted these seconds
        return BeatResult("studying", 0, lesson_now, row.cap_seconds)
    for day, seconds in credited_parts:
        services.upsert_online(
            session=session, user_id=user_id, lesson_id=row.lesson_id, course_id=row.course_id,
            local_date=day, seconds=seconds, at=at,
        )
    lesson_seconds = year_credited if clock.local_date(at).year == credit_year else 0
    state = _state(row, lesson_seconds, check_pending=check_issued_at is not None, new_segment=new_segment)
    return BeatResult(state, credited, lesson_seconds, row.cap_seconds)


# ---------------------------------------------------------------- presence check

def answer_presence(*, session: Session, user_id: int, token: str | None, at: datetime,
                    settings: TrackerSettings) -> BeatResult:
    """The member clicked the 防挂机 check. A late answer resumes crediting from now, not before."""
    row = _row(session, user_id)
    if not _token_ok(row, token):
        return BeatResult("superseded")
    assert row is not None
    lesson_now = _lesson_seconds_now(row, at)
    if row.check_issued_at is None:
        return BeatResult(_state(row, lesson_now), 0, lesson_now, row.cap_seconds)
    values: dict[str, Any] = {
        "version": row.version + 1,
        "check_issued_at": None,
        "since_check_seconds": 0,
        "next_check_seconds": settings.draw_check(),
    }
    if _check_overdue(row, at, settings):
        values["last_beat_at"] = at
    table = StudySession.__table__
    session.execute(
        sa.update(table).where(table.c.user_id == user_id, table.c.version == row.version).values(**values)
    )
    return BeatResult(_state(row, lesson_now, check_pending=False), 0, lesson_now, row.cap_seconds)


def current_session(*, session: Session, user_id: int):
    return _row(session, user_id)
