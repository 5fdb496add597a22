"""An offline study session (支部党员大会, 党课 …) and who attended it.

The session row and its attendance describe the *current* state; the 学时 credited for it live in
the ledger (source 'offline', offline_session_id), where every change is a new compensating row.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default

SESSION_TYPES = ("支部党员大会", "支委会", "党小组会", "党课", "主题党日", "集中轮训", "其他")


class OfflineSession(SQLModel, table=True):
    __tablename__ = "offline_session"
    __table_args__ = (
        # The list of an organisation's sessions and the duplicate check (same org, same day).
        sa.Index("ix_offline_session_org_date", "org_id", "held_on"),
        sa.CheckConstraint("duration_seconds > 0", name="duration_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    type: str = Field(max_length=20)  # one of SESSION_TYPES
    topic: str = Field(max_length=200)  # 主题
    held_on: date  # local date of the session
    duration_seconds: int
    place: str = Field(default="", max_length=200)  # 地点
    recorded_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    revision: int = Field(default=1)  # bumped by every edit; the form carries it (no lost updates)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="user.id")
    void_reason: str = Field(default="", max_length=500)

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    @property
    def ledger_note(self) -> str:
        return f"{self.type}：{self.topic}"


class OfflineAttendance(SQLModel, table=True):
    """Who attended (the current list; the ledger keeps the history of what was credited)."""

    __tablename__ = "offline_attendance"

    session_id: int = Field(foreign_key="offline_session.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
