"""Quiz and exam attempts: which questions were drawn, in which option order, what was answered."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default


class Attempt(SQLModel, table=True):
    """One sitting of a lesson quiz or a course exam by one member."""

    __tablename__ = "quiz_attempt"
    # `target` is "lesson:<id>" or "exam:<course id>": numbering is per member and target, and the
    # unique key stops two concurrent starts from both becoming attempt n+1.
    __table_args__ = (sa.UniqueConstraint("user_id", "target", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # lesson | exam
    target: str = Field(max_length=40)
    user_id: int = Field(foreign_key="user.id", index=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    lesson_id: int | None = Field(default=None, foreign_key="lesson.id", index=True)
    number: int = Field(default=1)  # 1st, 2nd … attempt of this member at this target
    started_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # exams only
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expired: bool = Field(default=False)  # graded on what was saved because time ran out
    question_count: int = Field(default=0)
    correct_count: int | None = Field(default=None)
    score: int | None = Field(default=None)  # percent, rounded down
    pass_score: int = Field(default=80)  # the pass mark in force when the attempt started
    passed: bool = Field(default=False)


class AttemptQuestion(SQLModel, table=True):
    """A question as drawn into one attempt: its position, shuffled option order and saved answer."""

    __tablename__ = "quiz_attempt_question"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="quiz_attempt.id", index=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    position: int = Field(default=0)
    # Displayed option i is the question's option option_order[i] (a permutation of its indexes).
    option_order: list = Field(default_factory=list, sa_type=sa.JSON)
    # Canonical saved answer: original letters, [true|false] or [text]; None while unanswered.
    answer: list | None = Field(default=None, sa_type=sa.JSON)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    correct: bool | None = Field(default=None)  # set when the attempt is graded
