"""Where a member stands with a lesson quiz or a course exam (the cards on the content pages and
the result page): attempts used and left, best score, passed, whether answers may be shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lms import progress, units
from lms.content.models import Course, Lesson, Question
from lms.quiz.attempts import attempts_at, is_expired
from lms.quiz.bank import required_lessons
from lms.quiz.models import Attempt


@dataclass
class LessonQuizSummary:
    question_count: int
    pass_score: int
    submitted: list[Attempt]
    open_attempt: Attempt | None
    needed_seconds: int = 0  # the lesson's 学时 in seconds: the study time its completion needs
    missing_seconds: int = 0  # study time still needed (0 once reached)

    @property
    def missing_minutes(self) -> int:
        """The study time still needed, in whole minutes rounded up (so "还需学习 1 分钟" until it is 0)."""
        return -(-self.missing_seconds // 60)

    @property
    def best_score(self) -> int | None:
        return max((a.score for a in self.submitted), default=None)

    @property
    def passed(self) -> bool:
        return any(a.passed for a in self.submitted)

    @property
    def last(self) -> Attempt | None:
        return self.submitted[-1] if self.submitted else None


def lesson_summary(*, session: Session, user_id: int, lesson: Lesson, course: Course) -> LessonQuizSummary:
    attempts = attempts_at(session, user_id, f"lesson:{lesson.id}")
    count = session.exec(
        select(sa.func.count(Question.id)).where(Question.lesson_id == lesson.id, Question.retired_at.is_(None),
                                                 Question.exam_pool.is_(False))
    ).one()
    return LessonQuizSummary(
        question_count=count,
        pass_score=course.quiz_pass_score,
        submitted=[a for a in attempts if a.submitted_at is not None],
        open_attempt=next((a for a in attempts if a.submitted_at is None), None),
        needed_seconds=units.lesson_cap_seconds(lesson.hours),
        missing_seconds=progress.missing_study_seconds(session=session, user_id=user_id, lesson=lesson),
    )


@dataclass
class ExamSummary:
    course: Course
    attempts: list[Attempt]
    missing_lessons: int
    now: datetime

    @property
    def enabled(self) -> bool:
        return self.course.exam_questions > 0

    @property
    def used(self) -> int:
        return len(self.attempts)

    @property
    def left(self) -> int:
        return max(0, self.course.exam_max_attempts - self.used)

    @property
    def submitted(self) -> list[Attempt]:
        return [a for a in self.attempts if a.submitted_at is not None]

    @property
    def open_attempt(self) -> Attempt | None:
        return next((a for a in self.attempts if a.submitted_at is None), None)

    @property
    def open_expired(self) -> bool:
        return self.open_attempt is not None and is_expired(self.open_attempt, self.now)

    @property
    def best_score(self) -> int | None:
        return max((a.score for a in self.submitted), default=None)

    @property
    def passed(self) -> bool:
        return any(a.passed for a in self.attempts)

    @property
    def locked(self) -> bool:
        return self.missing_lessons > 0

    @property
    def can_start(self) -> bool:
        return self.enabled and not self.locked and not self.passed and self.open_attempt is None and self.left > 0

    @property
    def reveal(self) -> bool:
        """Correct answers are shown once the member has passed or has no attempt left."""
        return self.passed or (self.left == 0 and self.open_attempt is None)


def exam_summary(*, session: Session, user_id: int, course: Course, now: datetime) -> ExamSummary:
    required = required_lessons(session=session, course_id=course.id)
    done = progress.completed_lesson_ids(session=session, user_id=user_id, lesson_ids=[lesson.id for lesson in required])
    return ExamSummary(
        course=course,
        attempts=attempts_at(session, user_id, f"exam:{course.id}"),
        missing_lessons=len(required) - len(done),
        now=now,
    )


def best_exam_scores(*, session: Session, user_id: int, course_ids) -> dict[int, int]:
    """course id → the member's best submitted exam score (courses with no submitted exam are absent)."""
    course_ids = list(course_ids)
    if not course_ids:
        return {}
    rows = session.exec(
        select(Attempt.course_id, sa.func.max(Attempt.score))
        .where(Attempt.user_id == user_id, Attempt.kind == "exam", Attempt.submitted_at.is_not(None),
               Attempt.course_id.in_(course_ids))
        .group_by(Attempt.course_id)
    )
    return {cid: int(score) for cid, score in rows if score is not None}
