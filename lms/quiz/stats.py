"""Statistics for secretaries and admins: which questions members miss, who has attempted what.

Everything is one grouped query over the members in the manager's scope (lms.orgs Scope), so a
foreign branch's answers never count and there is no per-member loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from lms import question_types
from lms.access import Scope
from lms.auth.models import User
from lms.content.models import Course, Lesson, Question
from lms.quiz.models import Attempt, AttemptQuestion


@dataclass(frozen=True)
class QuestionStat:
    question: Question
    lesson: Lesson
    answered: int
    correct: int

    @property
    def rate(self) -> int | None:
        return round(100 * self.correct / self.answered) if self.answered else None

    @property
    def type_label(self) -> str:
        kind = question_types.get(self.question.type)
        return kind.short_label if kind else ""


def question_stats(*, session: Session, scope: Scope, course: Course) -> list[QuestionStat]:
    """Per question of the course (lesson quizzes and the exam pool alike): graded answers and correct
    ones by members in scope, worst first."""
    counts = {
        qid: (n, c or 0)
        for qid, n, c in session.exec(
            select(
                AttemptQuestion.question_id,
                sa.func.count(AttemptQuestion.id),
                sa.func.sum(sa.case((AttemptQuestion.correct.is_(True), 1), else_=0)),
            )
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .join(User, User.id == Attempt.user_id)
            .where(Attempt.course_id == course.id, Attempt.submitted_at.is_not(None), scope.user_filter())
            .group_by(AttemptQuestion.question_id)
        )
    }
    rows = session.exec(
        select(Question, Lesson)
        .join(Lesson, Lesson.id == Question.lesson_id)
        .where(Lesson.course_id == course.id, Question.retired_at.is_(None), Lesson.retired_at.is_(None))
        .order_by(Lesson.order, Question.order)
    ).all()
    stats = [QuestionStat(q, lesson, *counts.get(q.id, (0, 0))) for q, lesson in rows]
    # Worst first; questions nobody has answered yet go last.
    return sorted(stats, key=lambda s: (s.rate is None, s.rate if s.rate is not None else 0, -s.answered))


@dataclass(frozen=True)
class MemberStat:
    user: User
    lesson_attempts: int
    lessons_passed: int
    exam_attempts: int
    best_exam_score: int | None
    exam_passed: bool


def member_stats(*, session: Session, scope: Scope, course: Course) -> list[MemberStat]:
    """Per member in scope: quiz and exam attempts at this course, best exam score, passed."""
    grouped = session.exec(
        select(
            Attempt.user_id,
            Attempt.kind,
            sa.func.count(Attempt.id),
            sa.func.count(sa.distinct(sa.case((Attempt.passed.is_(True), Attempt.lesson_id)))),
            sa.func.max(Attempt.score),
            sa.func.max(sa.case((Attempt.passed.is_(True), 1), else_=0)),
        )
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.course_id == course.id, Attempt.submitted_at.is_not(None), scope.user_filter())
        .group_by(Attempt.user_id, Attempt.kind)
    ).all()
    by_user: dict[int, dict[str, tuple]] = {}
    for user_id, kind, n, lessons_passed, best, passed in grouped:
        by_user.setdefault(user_id, {})[kind] = (n, lessons_passed, best, bool(passed))
    users = session.exec(
        select(User).where(scope.user_filter(), User.active.is_(True)).order_by(User.org_id, User.name)
    ).all()
    out = []
    for user in users:
        lesson = by_user.get(user.id, {}).get("lesson", (0, 0, None, False))
        exam = by_user.get(user.id, {}).get("exam", (0, 0, None, False))
        out.append(
            MemberStat(
                user=user,
                lesson_attempts=lesson[0],
                lessons_passed=lesson[1],
                exam_attempts=exam[0],
                best_exam_score=exam[2],
                exam_passed=exam[3],
            )
        )
    return out
