"""A member's written answer to one 思考题 of a lesson (学习心得)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default

STATUSES = ("draft", "submitted")
STATUS_LABELS = {"draft": "草稿", "submitted": "已提交"}


class NoteAnswer(SQLModel, table=True):
    """One answer per member, lesson and 思考题 (its number in the lesson's list).

    The question is read from the lesson's body when the page is shown; `prompt` keeps the text the
    member answered, so the list still shows the right question after the lesson is revised. A
    draft is the member's own; a submitted answer is what the branch secretary reads. `year` is
    the study year of the last save (of the submission once submitted), for the per-year lists.
    """

    __tablename__ = "note_answer"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "lesson_id", "item"),
        sa.Index("ix_note_answer_user_year", "user_id", "year"),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        sa.CheckConstraint("item > 0", name="item_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    lesson_id: int = Field(foreign_key="lesson.id", index=True)
    item: int  # 1-based number of the 思考题 in the lesson's list
    prompt: str = Field(default="", sa_type=sa.Text)
    body: str = Field(default="", sa_type=sa.Text)  # plain text, at most MAX_CHARS characters
    status: str = Field(default="draft", max_length=10)
    year: int
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]
