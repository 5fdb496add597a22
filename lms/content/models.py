from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default


class Course(SQLModel, table=True):
    __tablename__ = "course"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=500)
    order: int = Field(default=0)
    category: str = Field(default="必修", max_length=10)
    body_md: str = Field(default="", sa_type=sa.Text)
    quiz_pass_score: int = Field(default=80)
    exam_questions: int = Field(default=0)
    exam_pass_score: int = Field(default=80)
    exam_time_limit_minutes: int = Field(default=30)
    exam_max_attempts: int = Field(default=3)
    content_hash: str = Field(default="", max_length=64)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)


class Lesson(SQLModel, table=True):
    __tablename__ = "lesson"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # "<course-slug>/<lesson-slug>", stable forever
    course_id: int = Field(foreign_key="course.id", index=True)
    slug: str = Field(max_length=100)
    title: str = Field(max_length=200)
    hours: float = Field(default=0.5)  # 学时, a display unit; seconds follow from the configuration
    order: int = Field(default=0)
    required: bool = Field(default=True)
    objectives: list = Field(default_factory=list, sa_type=sa.JSON)
    source: str = Field(default="", max_length=200)
    body_md: str = Field(default="", sa_type=sa.Text)
    content_hash: str = Field(default="", max_length=64)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)


class Question(SQLModel, table=True):
    """A question of a lesson's quiz, or (exam_pool) of its course's exam pool, attached to the lesson
    it tests. Lesson quizzes draw only exam_pool=False rows of their lesson, exams only exam_pool=True
    rows of their course, so no lesson-quiz review ever shows an exam question."""

    __tablename__ = "question"
    # qid is stable within the lesson's quiz file (q1 …) or the course's exam.yaml (e1 …).
    __table_args__ = (sa.UniqueConstraint("lesson_id", "exam_pool", "qid"),)

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: int = Field(foreign_key="lesson.id", index=True)
    qid: str = Field(max_length=50)  # stable within the lesson (quiz) or the course (exam pool)
    exam_pool: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    type: str = Field(max_length=10)  # single | multiple | judge | blank
    stem: str = Field(sa_type=sa.Text)
    options: list = Field(default_factory=list, sa_type=sa.JSON)
    answer: list = Field(default_factory=list, sa_type=sa.JSON)  # letters, [true|false] or accepted strings
    section: str = Field(default="", max_length=200)
    explanation: str = Field(default="", sa_type=sa.Text)
    order: int = Field(default=0)
    content_hash: str = Field(default="", max_length=64)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LessonVisit(SQLModel, table=True):
    """The first and latest time a member opened a lesson (for "continue where you left off")."""

    __tablename__ = "lesson_visit"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    lesson_id: int = Field(foreign_key="lesson.id", index=True)
    first_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    last_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
