"""The 学时 ledger, the member's current study session, and 个人自学申报."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default
from lms.hours.sources import BY_KEY, LedgerSource, check_sql

REPORT_STATUSES = ("pending", "approved", "rejected")
REPORT_STATUS_LABELS = {"pending": "待审批", "approved": "已通过", "rejected": "未通过"}


class LedgerEntry(SQLModel, table=True):
    """One credited amount of study time. Totals are sums of these rows.

    Online study is rolled up into one row per (member, lesson, local date), upserted by the
    tracker; every other source is append-only, and corrections are new rows.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        # The online roll-up key (a partial unique index: other sources are append-only).
        sa.Index(
            "uq_ledger_entry_online_day",
            "user_id",
            "lesson_id",
            "local_date",
            unique=True,
            sqlite_where=sa.text("source = 'online'"),
            postgresql_where=sa.text("source = 'online'"),
        ),
        # A member's year: totals, the month chart and the entry list; covering (source, seconds)
        # so a branch report reads each member's year from the index alone (see bench/reports_bench.py).
        sa.Index("ix_ledger_entry_user_year", "user_id", "year", "local_date", "source", "seconds"),
        # Scope/year aggregations over many members (reports): covering, so PostgreSQL can
        # answer "sum per member and source for a year" from the index alone.
        sa.Index("ix_ledger_entry_year_user", "year", "user_id", "source", "seconds"),
        sa.CheckConstraint(check_sql(), name="source"),  # the registry in lms/hours/sources.py
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    source: str = Field(max_length=16)
    seconds: int  # may be negative for an 调整
    local_date: date  # in the configured zone
    year: int  # local_date.year, stored for indexed year sums
    lesson_id: int | None = Field(default=None, foreign_key="lesson.id")
    course_id: int | None = Field(default=None, foreign_key="course.id")
    offline_session_id: int | None = Field(default=None, foreign_key="offline_session.id", index=True)  # lms/offline
    self_report_id: int | None = Field(default=None, foreign_key="self_report.id", index=True)
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    note: str = Field(default="", max_length=500)  # topic, reason of an 调整
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)

    @property
    def source_info(self) -> LedgerSource:
        return BY_KEY[self.source]

    @property
    def source_label(self) -> str:
        return self.source_info.label


class StudySession(SQLModel, table=True):
    """A member's one current study session (one row per member: the latest page opened wins).

    A beat is one UPDATE of this row that measures, credits and records its own outcome
    (lms/hours/tracker.py). Instants the beat computes with are integer milliseconds since the
    Unix epoch, so the arithmetic is the same plain integer SQL on SQLite and PostgreSQL.
    """

    __tablename__ = "study_session"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    token: str = Field(max_length=64)
    lesson_id: int = Field(foreign_key="lesson.id")
    course_id: int = Field(foreign_key="course.id")
    started_at: datetime = Field(sa_type=UTCDateTime)
    anchor_ms: int = Field(sa_type=sa.BigInteger)  # the instant the next beat is measured from
    cap_seconds: int  # the lesson's 学时 in seconds: no more per lesson and year
    credit_year: int  # the year year_credited refers to
    year_credited: int = Field(default=0)  # online seconds for this lesson in credit_year
    since_check_seconds: int = Field(default=0)  # credited since the last 防挂机 check
    next_check_seconds: int = Field(default=900)  # when the next check is due (random, server-side)
    check_issued_ms: int | None = Field(default=None, sa_type=sa.BigInteger)
    # What the latest beat did (read back with RETURNING, which sees only the new values):
    last_gap_ms: int = Field(default=0, sa_type=sa.BigInteger)  # time since the anchor it found
    credit_prev_day: int = Field(default=0)  # seconds it credited to the local day before today
    credit_today: int = Field(default=0)  # seconds it credited to today
    # The page view that opened it (the study ticket, lms/hours/tickets.py): a ticket opens one
    # session only, so a start needs a ticket newer than the one used last.
    view_ms: int = Field(default=0, sa_type=sa.BigInteger)
    ticket_nonce: str = Field(default="", max_length=32)
    ip: str = Field(default="", max_length=45)  # the start's remote address
    no_visit: bool = Field(default=False)  # the ticket's page view left no lesson visit
    # Evidence kept by the same statements (the beat's UPDATE, the presence answer), copied into a
    # StudyStretch when the session is replaced: credited seconds, the counted beats' gaps
    # (count, sum, sum of squares: their spread), beats that came early in a row, and the
    # presence answers (accepted: count, summed and fastest response; refused as too fast; wrong).
    session_credited: int = Field(default=0)
    beat_n: int = Field(default=0)
    gap_sum_ms: int = Field(default=0, sa_type=sa.BigInteger)
    gap_sq_ms: int = Field(default=0, sa_type=sa.BigInteger)
    early_beats: int = Field(default=0)  # beats in a row less than a second after the one before
    last_beat_ms: int = Field(default=0, sa_type=sa.BigInteger)
    # The day's cap across sources (DAILY_MAX_HOURS): what the day beginning at budget_day_ms
    # (local midnight, ms) may still take; set at start from the ledger, spent by the beats.
    budget_day_ms: int = Field(default=0, sa_type=sa.BigInteger)
    day_budget: int = Field(default=0)
    presence_n: int = Field(default=0)
    presence_ms_sum: int = Field(default=0, sa_type=sa.BigInteger)
    presence_ms_min: int | None = Field(default=None, sa_type=sa.BigInteger)
    presence_fast: int = Field(default=0)
    presence_wrong: int = Field(default=0)


STRETCH_STATUSES = ("open", "cleared", "voided")


class StudyStretch(SQLModel, table=True):
    """One ended study session (the row it replaced), kept as evidence for 学时异常 review
    (lms/integrity). A reviewer may clear it or 不予认定 it (a compensating ledger row)."""

    __tablename__ = "study_stretch"
    __table_args__ = (
        sa.Index("ix_study_stretch_user_ended", "user_id", "ended_at"),
        sa.Index("ix_study_stretch_ended", "ended_at"),
        sa.CheckConstraint("status IN ('open', 'cleared', 'voided')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    lesson_id: int = Field(foreign_key="lesson.id")
    course_id: int = Field(foreign_key="course.id")
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)  # the last credited moment
    ip: str = Field(default="", max_length=45)
    no_visit: bool = Field(default=False)
    capped: bool = Field(default=False)  # the lesson's 学时 was full when it ended
    credited: int = Field(default=0)
    beat_n: int = Field(default=0)
    gap_sum_ms: int = Field(default=0, sa_type=sa.BigInteger)
    gap_sq_ms: int = Field(default=0, sa_type=sa.BigInteger)
    presence_n: int = Field(default=0)
    presence_ms_sum: int = Field(default=0, sa_type=sa.BigInteger)
    presence_ms_min: int | None = Field(default=None, sa_type=sa.BigInteger)
    presence_fast: int = Field(default=0)
    presence_wrong: int = Field(default=0)
    status: str = Field(default="open", max_length=8)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str = Field(default="", max_length=500)
    ledger_entry_id: int | None = Field(default=None, foreign_key="ledger_entry.id")


class StudyEvent(SQLModel, table=True):
    """A study start the server refused (no, a forged, stale or used ticket) or let through
    without a lesson visit behind its ticket: evidence for 学时异常 review."""

    __tablename__ = "study_event"
    __table_args__ = (
        sa.Index("ix_study_event_user_at", "user_id", "at"),
        sa.CheckConstraint("status IN ('open', 'cleared')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=16)  # no_ticket | bad_ticket | stale_ticket | used_ticket | no_visit
    at: datetime = Field(sa_type=UTCDateTime)
    lesson_id: int | None = Field(default=None, foreign_key="lesson.id")
    ip: str = Field(default="", max_length=45)
    status: str = Field(default="open", max_length=8)


class SelfReport(SQLModel, table=True):
    """个人自学申报: pending until a secretary in scope approves (→ a ledger row) or rejects it."""

    __tablename__ = "self_report"
    __table_args__ = (
        sa.Index("ix_self_report_status_user", "status", "user_id"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    study_date: date
    minutes: int
    topic: str = Field(max_length=200)
    place: str = Field(max_length=500)  # place or evidence
    status: str = Field(default="pending", max_length=16)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)

    @property
    def status_label(self) -> str:
        return REPORT_STATUS_LABELS.get(self.status, self.status)
