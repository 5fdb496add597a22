"""An offline study session (支部党员大会, 党课 …) and who attended it.

The session row and its attendance describe the *current* state; the 学时 credited for it live in
the ledger (source 'offline', offline_session_id), where every change is a new compensating row.
"""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default

SESSION_TYPES = ("支部党员大会", "支委会", "党小组会", "党课", "主题党日", "集中轮训", "其他")
# approved: credited. pending: a secretary's session crediting only themself, credited once
# someone at the next level approves (as their self-reports are). rejected: never credited.
SESSION_STATUSES = ("approved", "pending", "rejected")
SESSION_STATUS_LABELS = {"approved": "已计入", "pending": "待审批", "rejected": "未通过"}


def span_of(start: time | None, seconds: int) -> tuple[int, int]:
    """[start, end) of a session in seconds after the local midnight of its day; the whole day when
    the start time is unknown (records from before it was asked for)."""
    if start is None:
        return 0, 24 * 3600
    begin = start.hour * 3600 + start.minute * 60
    return begin, begin + seconds


def span_text(start: time | None, seconds: int) -> str:
    begin, end = span_of(start, seconds)
    return f"{begin // 3600:02d}:{begin % 3600 // 60:02d}–{end // 3600:02d}:{end % 3600 // 60:02d}"


class OfflineSession(SQLModel, table=True):
    __tablename__ = "offline_session"
    __table_args__ = (
        # The list of an organisation's sessions and the duplicate check (same org, same day).
        sa.Index("ix_offline_session_org_date", "org_id", "held_on"),
        sa.CheckConstraint("duration_seconds > 0", name="duration_positive"),
        sa.CheckConstraint("status IN ('approved', 'pending', 'rejected')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    type: str = Field(max_length=20)  # one of SESSION_TYPES
    topic: str = Field(max_length=200)  # 主题
    held_on: date  # local date of the session
    # Local start time. None only on sessions recorded before it was asked for: unknown, so for
    # the overlap check such a session takes the whole day.
    start_time: time | None = Field(default=None, sa_type=sa.Time)
    duration_seconds: int
    place: str = Field(default="", max_length=200)  # 地点
    recorded_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    revision: int = Field(default=1)  # bumped by every edit; the form carries it (no lost updates)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="user.id")
    void_reason: str = Field(default="", max_length=500)
    status: str = Field(default="approved", max_length=10, sa_column_kwargs={"server_default": "approved"})
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")  # who approved or rejected
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    @property
    def is_pending(self) -> bool:
        return self.status == "pending" and not self.is_voided

    @property
    def is_rejected(self) -> bool:
        return self.status == "rejected"

    @property
    def status_label(self) -> str:
        return SESSION_STATUS_LABELS.get(self.status, self.status)

    @property
    def span_seconds(self) -> tuple[int, int]:
        return span_of(self.start_time, self.duration_seconds)

    @property
    def time_text(self) -> str:
        """"09:00–11:30", or that the start is unknown (older records)."""
        if self.start_time is None:
            return "开始时间未填写，按全天计"
        return span_text(self.start_time, self.duration_seconds)

    @property
    def ledger_note(self) -> str:
        return f"{self.type}：{self.topic}"


class OfflineAttendance(SQLModel, table=True):
    """Who attended (the current list; the ledger keeps the history of what was credited)."""

    __tablename__ = "offline_attendance"

    session_id: int = Field(foreign_key="offline_session.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
