from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default


class AuditEvent(SQLModel, table=True):
    """One secretary or admin action. Rows are only ever added, never edited."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)  # None: a CLI/system action
    action: str = Field(max_length=50, index=True)  # "member.create", "roster.import", "session.record" …
    target_type: str = Field(max_length=30)  # "user", "organization", "import" …
    target_id: int | None = Field(default=None)
    # The organisation the target belongs to: admins see the events of their subtree.
    org_id: int = Field(foreign_key="organization.id", index=True)
    summary: str = Field(max_length=500)  # Chinese, human readable
    details: dict = Field(default_factory=dict, sa_type=sa.JSON)
