"""Attempts: reading one with its questions, starting a lesson quiz or an exam, closing one whose
time ran out, and grading (which happens here and only here).

A submit or an expiry claims the attempt with a conditional UPDATE (… WHERE submitted_at IS
NULL), so a double submit grades once; the attempt row is also locked (SELECT … FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite) while answers are saved (lms.quiz.answering).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import progress, question_types
from lms.content.models import Course, Lesson, Question
from lms.question_types import LETTERS
from lms.quiz import grading
from lms.quiz.bank import draw_exam, exam_pool, lesson_questions, required_lessons
from lms.quiz.models import Attempt, AttemptQuestion

_rng = random.SystemRandom()


class QuizError(Exception):
    """A refusal with a message for the member (Chinese) and an HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


# --- reading -----------------------------------------------------------------------------


@dataclass
class Item:
    """One question as it appears in one attempt."""

    aq: AttemptQuestion
    question: Question
    number: int

    @property
    def qtype(self) -> question_types.QuestionType | None:
        return question_types.get(self.question.type)

    @property
    def options(self) -> list[tuple[str, str, str]]:
        """(form value, displayed letter, text) in the attempt's shuffled order."""
        return [
            (str(pos), LETTERS[pos], self.question.options[idx])
            for pos, idx in enumerate(self.aq.option_order)
        ]

    @property
    def type_label(self) -> str:
        return self.qtype.label if self.qtype else ""

    def saved_values(self) -> set[str]:
        return grading.display_values(self.question.type, self.aq.option_order, self.aq.answer)

    # Review only (after grading): never rendered while the attempt is open.
    def given_text(self) -> str:
        return self._text(self.aq.answer)

    def key_text(self) -> str:
        return self._text(self.question.answer)

    def _text(self, answer: list | None) -> str:
        if not answer:
            return "未作答"
        if self.qtype is None:
            return " / ".join(str(a) for a in answer)
        return self.qtype.answer_text(self.question.options, self.aq.option_order, answer)


def get_attempt(*, session: Session, user_id: int, attempt_id: int, lock: bool = False) -> Attempt:
    """The member's own attempt; another member's is a 404."""
    stmt = select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    attempt = session.exec(stmt).first()
    if attempt is None:
        raise NotFound()
    return attempt


def attempt_items(*, session: Session, attempt: Attempt) -> list[Item]:
    rows = session.exec(
        select(AttemptQuestion, Question)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.attempt_id == attempt.id)
        .order_by(AttemptQuestion.position)
    ).all()
    return [Item(aq=aq, question=q, number=i) for i, (aq, q) in enumerate(rows, start=1)]


def attempts_at(session: Session, user_id: int, target: str) -> list[Attempt]:
    """The member's attempts at one target ("lesson:<id>" or "exam:<course id>"), oldest first."""
    return list(
        session.exec(
            select(Attempt).where(Attempt.user_id == user_id, Attempt.target == target).order_by(Attempt.number)
        )
    )


# --- starting ----------------------------------------------------------------------------


def _create(session: Session, *, attempt: Attempt, questions: list[Question], rng) -> Attempt:
    attempt.question_count = len(questions)
    session.add(attempt)
    session.flush()
    for pos, q in enumerate(questions):
        order = list(range(len(q.options)))
        rng.shuffle(order)
        session.add(AttemptQuestion(attempt_id=attempt.id, question_id=q.id, position=pos, option_order=order))
    session.flush()
    return attempt


def start_lesson_attempt(*, session: Session, user_id: int, lesson: Lesson, course: Course, now: datetime,
                         rng=None) -> Attempt:
    """An open attempt at the lesson quiz (the unfinished one if there is one)."""
    target = f"lesson:{lesson.id}"
    attempts = attempts_at(session, user_id, target)
    for a in attempts:
        if a.submitted_at is None:
            return a
    questions = lesson_questions(session=session, lesson_id=lesson.id)
    if not questions:
        raise QuizError("本课暂无测验题目。", 404)
    attempt = Attempt(
        kind="lesson", target=target, user_id=user_id, course_id=course.id, lesson_id=lesson.id,
        number=len(attempts) + 1, started_at=now, pass_score=course.quiz_pass_score,
    )
    return _create(session, attempt=attempt, questions=questions, rng=rng or _rng)


def start_exam_attempt(*, session: Session, user_id: int, course: Course, now: datetime, rng=None) -> Attempt:
    """A new exam attempt, or the one still running. N questions drawn at random from the
    course's exam pool, unseen ones (in this member's earlier attempts) first."""
    rng = rng or _rng
    target = f"exam:{course.id}"
    attempts = attempts_at(session, user_id, target)
    for a in attempts:
        if a.submitted_at is None and not close_if_expired(session=session, attempt=a, now=now):
            return a
    if course.exam_questions <= 0:
        raise QuizError("本课程没有结业考试。", 404)
    required = required_lessons(session=session, course_id=course.id)
    done = progress.completed_lesson_ids(session=session, user_id=user_id, lesson_ids=[lesson.id for lesson in required])
    if len(done) < len(required):
        raise QuizError("请先完成全部必修课（学满每课学时并通过课后测验），再参加结业考试。", 409)
    if any(a.passed for a in attempts):
        raise QuizError("您已通过本课程的结业考试，无需再考。", 409)
    if len(attempts) >= course.exam_max_attempts:
        raise QuizError(f"本课程结业考试最多可考 {course.exam_max_attempts} 次，您的考试机会已用完。", 409)
    bank = exam_pool(session=session, course_id=course.id)
    if not bank:
        raise QuizError("本课程的考试题库为空，暂不能考试。", 404)
    drawn = draw_exam(session=session, user_id=user_id, target=target, bank=bank, count=course.exam_questions, rng=rng)
    attempt = Attempt(
        kind="exam", target=target, user_id=user_id, course_id=course.id, number=len(attempts) + 1,
        started_at=now, deadline_at=now + timedelta(minutes=course.exam_time_limit_minutes),
        pass_score=course.exam_pass_score,
    )
    return _create(session, attempt=attempt, questions=drawn, rng=rng)


# --- closing and grading -------------------------------------------------------------------


def is_expired(attempt: Attempt, now: datetime) -> bool:
    return attempt.submitted_at is None and attempt.deadline_at is not None and now >= attempt.deadline_at


def claim(session: Session, attempt: Attempt, at: datetime) -> bool:
    """Mark the attempt submitted if nobody has yet; False when it already was (double submit)."""
    result = session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(attempt)
        return False
    attempt.submitted_at = at
    return True


def grade(session: Session, attempt: Attempt, items: list[Item]) -> None:
    correct = 0
    for item in items:
        item.aq.correct = grading.is_correct(item.question.type, item.question.answer, item.aq.answer)
        correct += item.aq.correct
        session.add(item.aq)
    attempt.correct_count = correct
    attempt.score = grading.score_of(correct, len(items))
    attempt.passed = attempt.score >= attempt.pass_score
    session.add(attempt)
    session.flush()


def close_if_expired(*, session: Session, attempt: Attempt, now: datetime) -> bool:
    """Grade an attempt whose time ran out on what was saved before the deadline."""
    if not is_expired(attempt, now):
        return False
    if not claim(session, attempt, attempt.deadline_at):
        return False
    attempt.expired = True
    grade(session, attempt, attempt_items(session=session, attempt=attempt))
    return True
