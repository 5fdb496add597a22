"""Which questions an attempt draws: a lesson's quiz, a course's exam pool, the exam draw.

The two never meet (issue 13): a lesson quiz draws only its lesson's quiz questions, an exam only
its course's pool (Question.exam_pool, from exam.yaml), so a lesson-quiz review never shows an
exam question."""

from __future__ import annotations

from sqlmodel import Session, select

from lms.content.models import Lesson, Question
from lms.quiz.models import Attempt, AttemptQuestion


def _active_questions(session: Session, *conditions) -> list[Question]:
    stmt = (
        select(Question)
        .join(Lesson, Lesson.id == Question.lesson_id)
        .where(Question.retired_at.is_(None), Lesson.retired_at.is_(None), *conditions)
        .order_by(Lesson.order, Question.order)
    )
    return list(session.exec(stmt))


def lesson_questions(*, session: Session, lesson_id: int) -> list[Question]:
    return _active_questions(session, Question.lesson_id == lesson_id, Question.exam_pool.is_(False))


def exam_pool(*, session: Session, course_id: int) -> list[Question]:
    return _active_questions(session, Lesson.course_id == course_id, Question.exam_pool.is_(True))


def required_lessons(*, session: Session, course_id: int) -> list[Lesson]:
    return list(
        session.exec(
            select(Lesson)
            .where(Lesson.course_id == course_id, Lesson.required.is_(True), Lesson.retired_at.is_(None))
            .order_by(Lesson.order)
        )
    )


def draw_exam(*, session: Session, user_id: int, target: str, bank: list[Question], count: int, rng) -> list[Question]:
    """`count` questions at random from the bank, those unseen in this member's earlier attempts
    at the target first, in random order."""
    seen = set(
        session.exec(
            select(AttemptQuestion.question_id)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .where(Attempt.user_id == user_id, Attempt.target == target)
        )
    )
    unseen = [q for q in bank if q.id not in seen]
    again = [q for q in bank if q.id in seen]
    rng.shuffle(unseen)
    rng.shuffle(again)
    drawn = (unseen + again)[:count]
    rng.shuffle(drawn)
    return drawn
