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
- a session opens only with a study ticket from a lesson page view (lms/hours/tickets.py): fresh,
  this member's and lesson's, and newer than the one the session was last opened with; a start
  without one opens nothing, answers "no_ticket" and is kept as evidence (StudyEvent);
- after a random 15–25 minutes of credited study a presence check is due, and it is delivered at
  a random later beat (each beat delivers it with PRESENCE_CHECK_DELIVER_PERCENT chance); the page
  shows the challenge (click the number shown) and a beat more than PRESENCE_CHECK_TIMEOUT_SECONDS
  after it was issued credits nothing until it is answered. An answer sooner than
  PRESENCE_MIN_RESPONSE_MS after the issuing beat, or with the wrong number, is not presence
  (the row counts both);
- past BEAT_BURST early beats in a row a beat is refused ("too_many", HTTP 429);
- no day is credited more than DAILY_MAX_HOURS across all sources: start reads what the ledger
  holds for today into the row's day budget, the beat spends it ("day_capped" when it is spent);
- the 防挂机 answer is lms/hours/presence.py;
- when a start replaces a session, the old row is kept as a StudyStretch (the evidence the
  beat and the answers gathered in it) for 学时异常 review (lms/integrity).

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
from lms.content.models import Lesson, LessonVisit
from lms.hours import daily, services, tickets
from lms.hours.beat_sql import BEAT_BURST, beat_statement
from lms.hours.models import StudyEvent, StudySession, StudyStretch


@dataclass(frozen=True)
class TrackerSettings:
    interval: int = 30
    check_min: int = 900
    check_max: int = 1500
    check_timeout: int = 60
    deliver_percent: int = 50
    min_response_ms: int = 800
    ticket_max_age: int = 600
    secret: str = ""
    daily_max: int = 12 * 3600  # seconds: DAILY_MAX_HOURS across all sources

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TrackerSettings:
        lo = int(config["PRESENCE_CHECK_MIN_SECONDS"])
        return cls(
            interval=int(config["BEAT_INTERVAL_SECONDS"]),
            check_min=lo,
            check_max=max(lo, int(config["PRESENCE_CHECK_MAX_SECONDS"])),
            check_timeout=int(config["PRESENCE_CHECK_TIMEOUT_SECONDS"]),
            deliver_percent=int(config["PRESENCE_CHECK_DELIVER_PERCENT"]),
            min_response_ms=int(config["PRESENCE_MIN_RESPONSE_MS"]),
            ticket_max_age=int(config["STUDY_TICKET_MAX_AGE_SECONDS"]),
            secret=str(config["SECRET_KEY"]),
            daily_max=units.hours_to_seconds(float(config["DAILY_MAX_HOURS"])),
        )

    def __post_init__(self) -> None:
        if not 0 < self.interval <= 3600:  # the credited span must fit within one day boundary
            raise ValueError("BEAT_INTERVAL_SECONDS must be between 1 and 3600")

    @property
    def max_gap_ms(self) -> int:
        return 2 * self.interval * 1000

    def draw_check(self) -> int:
        return random.randint(self.check_min, self.check_max)

    def draw_delivery(self) -> int:
        """1 when this beat may deliver a due presence check."""
        return 1 if random.randrange(100) < self.deliver_percent else 0

    def challenge(self, user_id: int, issued_ms: int | None) -> dict | None:
        if issued_ms is None:
            return None
        return tickets.challenge(self.secret, user_id=user_id, issued_ms=issued_ms).as_json()


@dataclass(frozen=True)
class BeatResult:
    # studying | new_segment | capped | check_due | paused_presence | superseded | too_many
    # (and from start: no_ticket; from an answer: check_too_fast, check_wrong)
    state: str
    credited: int = 0  # seconds credited by this beat
    lesson_seconds: int = 0  # online seconds for this lesson in the current year
    cap_seconds: int = 0
    check: dict | None = None  # the pending presence check's challenge, for the page to show

    def as_json(self) -> dict[str, Any]:
        out = {
            "state": self.state,
            "credited": self.credited,
            "lesson_seconds": self.lesson_seconds,
            "cap_seconds": self.cap_seconds,
        }
        if self.check is not None:
            out["check"] = self.check
        return out


SUPERSEDED = BeatResult("superseded")
NO_TICKET = BeatResult("no_ticket")


def epoch_ms(at: datetime) -> int:
    return int(round(at.timestamp() * 1000))


def state_for(*, check_pending: bool, lesson_seconds: int, cap_seconds: int, new_segment: bool = False,
           day_full: bool = False) -> str:
    if check_pending:
        return "check_due"
    if lesson_seconds >= cap_seconds:
        return "capped"
    if day_full:
        return "day_capped"
    return "new_segment" if new_segment else "studying"


def day_full(row, today_start_ms: int) -> bool:
    """The day's cap across sources is reached (the row's budget is today's and spent)."""
    return row.budget_day_ms >= today_start_ms and row.day_budget <= 0


def lesson_seconds_at(credit_year: int, year_credited: int, at: datetime) -> int:
    return year_credited if clock.local_date(at).year == credit_year else 0


_T = StudySession.__table__
_C = _T.c


# ---------------------------------------------------------------- start

VISIT_SLACK_MS = 1000  # a visit recorded this long before the ticket's instant still counts


def ticket_problem(raw: str | None, *, user_id: int, lesson_id: int, at: datetime,
                   settings: TrackerSettings) -> tuple[tickets.Ticket | None, str | None]:
    """(the start's ticket, why it cannot open a session: a StudyEvent kind, or None)."""
    ticket = tickets.read(settings.secret, raw)
    if ticket is None:
        return None, "bad_ticket" if raw else "no_ticket"
    return ticket, _ticket_problem(ticket, user_id=user_id, lesson_id=lesson_id, at=at, settings=settings)


def _ticket_problem(ticket: tickets.Ticket, *, user_id: int, lesson_id: int, at: datetime,
                    settings: TrackerSettings) -> str | None:
    if ticket.user_id != user_id or ticket.lesson_id != lesson_id:
        return "bad_ticket"
    age = epoch_ms(at) - ticket.view_ms
    if age > settings.ticket_max_age * 1000 or age < -VISIT_SLACK_MS:
        return "stale_ticket"
    return None


def record_event(*, session: Session, user_id: int, kind: str, at: datetime, lesson_id: int | None,
                 ip: str) -> None:
    session.add(StudyEvent(user_id=user_id, kind=kind, at=at, lesson_id=lesson_id, ip=(ip or "")[:45]))
    session.flush()


def _snapshot(session: Session, old) -> None:
    """Keep the session being replaced as a StudyStretch, when anything happened in it."""
    if old is None or (old.session_credited == 0 and old.beat_n == 0 and old.presence_n == 0
                       and old.presence_fast == 0 and old.presence_wrong == 0):
        return
    ended = max(old.started_at, datetime.fromtimestamp(old.anchor_ms / 1000, tz=old.started_at.tzinfo))
    session.add(StudyStretch(
        user_id=old.user_id, lesson_id=old.lesson_id, course_id=old.course_id, started_at=old.started_at,
        ended_at=ended, ip=old.ip, no_visit=old.no_visit,
        capped=old.credit_year == clock.local_date(ended).year and old.year_credited >= old.cap_seconds,
        credited=old.session_credited, beat_n=old.beat_n, gap_sum_ms=old.gap_sum_ms, gap_sq_ms=old.gap_sq_ms,
        presence_n=old.presence_n, presence_ms_sum=old.presence_ms_sum, presence_ms_min=old.presence_ms_min,
        presence_fast=old.presence_fast, presence_wrong=old.presence_wrong,
    ))


def start_session(*, session: Session, user_id: int, lesson: Lesson, ticket: tickets.Ticket, at: datetime,
                  ip: str, settings: TrackerSettings):
    """Open (or take over) the member's study session on a lesson: a new token, anchored now.

    `ticket` is the checked ticket of the page view (ticket_problem gave None). Returns
    (row, result), or (None, NO_TICKET) when the ticket already opened a session. Any other tab or
    device holding the previous token is superseded. The presence-check state carries over, so
    reopening the page does not dodge a pending check. The replaced session is kept as evidence.
    """
    newer = sa.or_(_C.view_ms < ticket.view_ms, sa.and_(_C.view_ms == ticket.view_ms, _C.ticket_nonce != ticket.nonce))
    old = session.execute(sa.select(_T).where(_C.user_id == user_id).with_for_update()).first()
    if old is not None and not (old.view_ms < ticket.view_ms
                                or (old.view_ms == ticket.view_ms and old.ticket_nonce != ticket.nonce)):
        return None, NO_TICKET
    visit_at = session.execute(sa.select(LessonVisit.last_at).where(
        LessonVisit.user_id == user_id, LessonVisit.lesson_id == lesson.id)).scalar()
    no_visit = visit_at is None or epoch_ms(visit_at) < ticket.view_ms - VISIT_SLACK_MS
    today = clock.local_date(at)
    year = today.year
    credited = services.lesson_year_seconds(session=session, user_id=user_id, lesson_id=lesson.id, year=year)
    day_total = daily.credited_seconds_on(session=session, user_ids=[user_id], day=today)[user_id]
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
        "view_ms": ticket.view_ms,
        "ticket_nonce": ticket.nonce,
        "ip": (ip or "")[:45],
        "no_visit": no_visit,
        "last_beat_ms": epoch_ms(at),
        "budget_day_ms": epoch_ms(clock.day_start(today)),
        "day_budget": max(settings.daily_max - day_total, 0),
        **{k: 0 for k in ("session_credited", "beat_n", "gap_sum_ms", "gap_sq_ms", "early_beats", "presence_n",
                          "presence_ms_sum", "presence_fast", "presence_wrong")},
        "presence_ms_min": None,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(_T).values(user_id=user_id, since_check_seconds=0, next_check_seconds=settings.draw_check(), **values)
    # The guard again in the upsert: of two starts racing with one ticket, one opens the session.
    stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=values, where=newer).returning(*_T.c)
    row = session.execute(stmt).first()
    if row is None:
        return None, NO_TICKET
    if no_visit:
        record_event(session=session, user_id=user_id, kind="no_visit", at=at, lesson_id=lesson.id, ip=ip)
    _snapshot(session, old)
    state = state_for(check_pending=row.check_issued_ms is not None, lesson_seconds=credited, cap_seconds=row.cap_seconds,
                   day_full=day_full(row, row.budget_day_ms))
    return row, BeatResult(state, 0, credited, row.cap_seconds, settings.challenge(user_id, row.check_issued_ms))


# ---------------------------------------------------------------- beat

def credit_beat(*, session: Session, user_id: int, session_version: int, login_id: int, token: str | None,
                at: datetime, settings: TrackerSettings, final: bool = False) -> BeatResult | None:
    """Credit one beat. None when nothing matched: the token is not this member's current one, or
    the login no longer holds (the caller tells the two apart, off the hot path). A `final` beat
    (the page's sendBeacon as it is hidden: nobody reads its answer) delivers no check."""
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
        "deliver": 0 if final else settings.draw_delivery(),
        "day_start": epoch_ms(clock.day_start(today)),
        "prev_day_start": epoch_ms(clock.day_start(today - timedelta(days=1))),
        "daily_max": settings.daily_max,
        "year": today.year,
        "prev_year": (today - timedelta(days=1)).year,
    }).first()
    if row is None:
        return None
    days = [(d, s) for d, s in ((today - timedelta(days=1), row.credit_prev_day), (today, row.credit_today)) if s]
    services.upsert_online_days(session=session, user_id=user_id, lesson_id=row.lesson_id,
                                course_id=row.course_id, days=days, at=at)
    lesson_seconds = lesson_seconds_at(row.credit_year, row.year_credited, at)
    if row.early_beats > BEAT_BURST:
        return BeatResult("too_many", 0, lesson_seconds, row.cap_seconds)
    check_pending = row.check_issued_ms is not None
    # The challenge goes out once, with the beat that issued the check (and again only to a new
    # page view, from start): a script that answers whatever a beat brings gets one try, 5 ms later.
    check = settings.challenge(user_id, row.check_issued_ms) if row.check_issued_ms == now else None
    if check_pending and now - row.check_issued_ms > settings.check_timeout * 1000:
        return BeatResult("paused_presence", 0, lesson_seconds, row.cap_seconds, check)
    state = state_for(check_pending=check_pending, lesson_seconds=lesson_seconds, cap_seconds=row.cap_seconds,
                   new_segment=row.last_gap_ms > settings.max_gap_ms,
                   day_full=day_full(row, epoch_ms(clock.day_start(today))))
    return BeatResult(state, row.credit_prev_day + row.credit_today, lesson_seconds, row.cap_seconds, check)
