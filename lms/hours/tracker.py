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

The beat does constant work: one UPDATE of the member's session row, by primary key, that checks
the login (lms/auth/claims.py) and the token, measures the time since the anchor, credits it and
records what it credited, all in SQL over the row's current values, and RETURNING that outcome;
then, only if it credited anything, one upsert of the day's roll-up row in the ledger (both
days' rows in the same statement when the credited span crosses local midnight). Because the
UPDATE computes from the values it writes over, concurrent beats need no read-then-write check:
the database serialises them on the row, and the second one finds the anchor the first one moved.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from lms import clock, units
from lms.content.models import Lesson
from lms.hours import services
from lms.hours.beat_sql import beat_statement
from lms.hours.models import StudySession


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

    def __post_init__(self) -> None:
        if not 0 < self.interval <= 3600:  # the credited span must fit within one day boundary
            raise ValueError("BEAT_INTERVAL_SECONDS must be between 1 and 3600")

    @property
    def max_gap_ms(self) -> int:
        return 2 * self.interval * 1000

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


SUPERSEDED = BeatResult("superseded")


def epoch_ms(at: datetime) -> int:
    return int(round(at.timestamp() * 1000))


def _state(*, check_pending: bool, lesson_seconds: int, cap_seconds: int, new_segment: bool = False) -> str:
    if check_pending:
        return "check_due"
    if lesson_seconds >= cap_seconds:
        return "capped"
    return "new_segment" if new_segment else "studying"


def _lesson_seconds(credit_year: int, year_credited: int, at: datetime) -> int:
    return year_credited if clock.local_date(at).year == credit_year else 0


_T = StudySession.__table__
_C = _T.c


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
        "anchor_ms": epoch_ms(at),
        "cap_seconds": units.lesson_cap_seconds(lesson.hours),
        "credit_year": year,
        "year_credited": credited,
        "last_gap_ms": 0,
        "credit_prev_day": 0,
        "credit_today": 0,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(_T).values(user_id=user_id, since_check_seconds=0, next_check_seconds=settings.draw_check(), **values)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=values).returning(*_T.c)
    row = session.execute(stmt).one()
    state = _state(check_pending=row.check_issued_ms is not None, lesson_seconds=credited, cap_seconds=row.cap_seconds)
    return row, BeatResult(state, 0, credited, row.cap_seconds)


# ---------------------------------------------------------------- beat

def credit_beat(*, session: Session, user_id: int, session_version: int, login_id: int, token: str | None,
                at: datetime, settings: TrackerSettings) -> BeatResult | None:
    """Credit one beat. None when nothing matched: the token is not this member's current one, or
    the login no longer holds (the caller tells the two apart, off the hot path)."""
    today = clock.local_date(at)
    now = epoch_ms(at)
    row = session.execute(beat_statement(session.get_bind().dialect.name), {
        "user": user_id,
        "version": session_version,
        "login": login_id,
        "token": token or "",
        "now": now,
        "timeout": settings.check_timeout * 1000,
        "max_gap": settings.max_gap_ms,
        "day_start": epoch_ms(clock.day_start(today)),
        "year": today.year,
        "prev_year": (today - timedelta(days=1)).year,
    }).first()
    if row is None:
        return None
    days = [(d, s) for d, s in ((today - timedelta(days=1), row.credit_prev_day), (today, row.credit_today)) if s]
    services.upsert_online_days(session=session, user_id=user_id, lesson_id=row.lesson_id,
                                course_id=row.course_id, days=days, at=at)
    lesson_seconds = _lesson_seconds(row.credit_year, row.year_credited, at)
    check_pending = row.check_issued_ms is not None
    if check_pending and now - row.check_issued_ms > settings.check_timeout * 1000:
        return BeatResult("paused_presence", 0, lesson_seconds, row.cap_seconds)
    state = _state(check_pending=check_pending, lesson_seconds=lesson_seconds, cap_seconds=row.cap_seconds,
                   new_segment=row.last_gap_ms > settings.max_gap_ms)
    return BeatResult(state, row.credit_prev_day + row.credit_today, lesson_seconds, row.cap_seconds)


# ---------------------------------------------------------------- presence check

_NOW = sa.bindparam("b_now", type_=sa.BigInteger())
_PAUSED = sa.and_(  # the pending presence check went unanswered too long
    _C.check_issued_ms.is_not(None), _NOW - _C.check_issued_ms > sa.bindparam("b_timeout", type_=sa.BigInteger())
)
_ANSWER = (
    sa.update(_T)
    .where(_C.user_id == sa.bindparam("b_user"), _C.token == sa.bindparam("b_token"))
    .values(
        # A late answer resumes crediting from now, not from before the check.
        anchor_ms=sa.case((_PAUSED, _NOW), else_=_C.anchor_ms),
        check_issued_ms=None,
        since_check_seconds=sa.case((_C.check_issued_ms.is_(None), _C.since_check_seconds), else_=0),
        next_check_seconds=sa.case(
            (_C.check_issued_ms.is_(None), _C.next_check_seconds), else_=sa.bindparam("b_next_check")
        ),
    )
    .returning(_C.cap_seconds, _C.credit_year, _C.year_credited)
)


def answer_presence(*, session: Session, user_id: int, token: str | None, at: datetime,
                    settings: TrackerSettings) -> BeatResult:
    """The member clicked the 防挂机 check (answering when none is pending changes nothing)."""
    row = session.execute(_ANSWER, {
        "b_user": user_id,
        "b_token": token or "",
        "b_now": epoch_ms(at),
        "b_timeout": settings.check_timeout * 1000,
        "b_next_check": settings.draw_check(),
    }).first()
    if row is None:
        return SUPERSEDED
    lesson_seconds = _lesson_seconds(row.credit_year, row.year_credited, at)
    state = _state(check_pending=False, lesson_seconds=lesson_seconds, cap_seconds=row.cap_seconds)
    return BeatResult(state, 0, lesson_seconds, row.cap_seconds)
