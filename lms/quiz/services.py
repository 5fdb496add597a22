"""Attempts (start, save, submit, expire), best scores and completion.

Grading happens here and only here. A submit claims the attempt with a conditional UPDATE
(… WHERE submitted_at IS NULL), so a double submit grades once; the attempt row is also
locked (SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) while answers are saved.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import question_types
from lms.content.models import Course, Lesson, Question
from lms.question_types import LETTERS
from lms.quiz import grading
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


def _active_questions(session: Session, *conditions) -> list[Question]:
    stmt = (
        select(Question)
        .join(Lesson, Lesson.id == Question.lesson_id)
        .where(Question.retired_at.is_(None), Lesson.retired_at.is_(None), *conditions)
        .order_by(Lesson.order, Question.order)
    )
    return list(session.exec(stmt))


def lesson_questions(*, session: Session, lesson_id: int) -> list[Question]:
    return _active_questions(session, Question.lesson_id == lesson_id)


def course_bank(*, session: Session, course_id: int) -> list[Question]:
    return _active_questions(session, Lesson.course_id == course_id)


def _attempts(session: Session, user_id: int, target: str) -> list[Attempt]:
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
    attempts = _attempts(session, user_id, target)
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


def required_lessons(*, session: Session, course_id: int) -> list[Lesson]:
    return list(
        session.exec(
            select(Lesson)
            .where(Lesson.course_id == course_id, Lesson.required.is_(True), Lesson.retired_at.is_(None))
            .order_by(Lesson.order)
        )
    )


def start_exam_attempt(*, session: Session, user_id: int, course: Course, now: datetime, rng=None) -> Attempt:
    """A new exam attempt, or the one still running. N questions drawn at random from the
    course's bank, unseen ones (in this member's earlier attempts) first."""
    rng = rng or _rng
    target = f"exam:{course.id}"
    attempts = _attempts(session, user_id, target)
    for a in attempts:
        if a.submitted_at is None and not close_if_expired(session=session, attempt=a, now=now):
            return a
    if course.exam_questions <= 0:
        raise QuizError("本课程没有结业考试。", 404)
    required = required_lessons(session=session, course_id=course.id)
    done = completed_lesson_ids(session=session, user_id=user_id, lesson_ids=[lesson.id for lesson in required])
    if len(done) < len(required):
        raise QuizError("请先完成全部必修课时（学满每课学时并通过课后测验），再参加结业考试。", 409)
    if any(a.passed for a in attempts):
        raise QuizError("您已通过本课程的结业考试，无需再考。", 409)
    if len(attempts) >= course.exam_max_attempts:
        raise QuizError(f"本课程结业考试最多可考 {course.exam_max_attempts} 次，您的考试机会已用完。", 409)
    bank = course_bank(session=session, course_id=course.id)
    if not bank:
        raise QuizError("本课程题库为空，暂不能考试。", 404)
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
    drawn = (unseen + again)[: course.exam_questions]
    rng.shuffle(drawn)
    attempt = Attempt(
        kind="exam", target=target, user_id=user_id, course_id=course.id, number=len(attempts) + 1,
        started_at=now, deadline_at=now + timedelta(minutes=course.exam_time_limit_minutes),
        pass_score=course.exam_pass_score,
    )
    return _create(session, attempt=attempt, questions=drawn, rng=rng)


# --- answering and grading -----------------------------------------------------------------


def is_expired(attempt: Attempt, now: datetime) -> bool:
    return attempt.submitted_at is None and attempt.deadline_at is not None and now >= attempt.deadline_at


def _claim(session: Session, attempt: Attempt, at: datetime) -> bool:
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


def _grade(session: Session, attempt: Attempt, items: list[Item]) -> None:
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
    if not _claim(session, attempt, attempt.deadline_at):
        return False
    attempt.expired = True
    _grade(session, attempt, attempt_items(session=session, attempt=attempt))
    return True


def _refuse_if_closed(attempt: Attempt, now: datetime) -> None:
    if attempt.submitted_at is not None:
        raise QuizError("本次答题已经交卷，不能重复提交或修改答案。", 409)
    if is_expired(attempt, now):
        raise QuizError("考试时间已到，截止后提交的答案不予接受。", 409)


def _parse(item: Item, values: list[str]) -> list | None:
    try:
        return grading.parse_answer(item.question.type, item.aq.option_order, values)
    except grading.BadAnswer as exc:
        raise QuizError(f"第 {item.number} 题：{exc}。请刷新页面后重新作答。") from exc


def save_answer(*, session: Session, attempt: Attempt, question_id: int, values: list[str], now: datetime) -> Item:
    """Save one answer as it is given (the exam page does this for every change)."""
    _refuse_if_closed(attempt, now)
    items = {i.question.id: i for i in attempt_items(session=session, attempt=attempt)}
    item = items.get(question_id)
    if item is None:
        raise QuizError("该题不属于本次答题，请刷新页面后重新作答。")
    answer = _parse(item, values)
    if answer is None:
        kind = question_types.get(item.question.type)
        raise QuizError(f"第 {item.number} 题：" + (kind.empty_message if kind else "请先选择答案。"))
    item.aq.answer = answer
    item.aq.answered_at = now
    session.add(item.aq)
    session.flush()
    return item


class Incomplete(QuizError):
    """Some questions have no answer. The page shows again what was typed; an exam keeps (saves)
    the answers that were given, a lesson quiz saves nothing."""

    def __init__(self, numbers: list[int], saved: bool = False):
        self.numbers = numbers
        self.saved = saved
        super().__init__("还有题目没有作答：第 " + "、".join(map(str, numbers)) + " 题。请全部作答后再交卷。")


def submit(*, session: Session, attempt: Attempt, answers: dict[int, list[str]], now: datetime) -> Attempt:
    """Save the answers sent with the final submit and grade the attempt, once."""
    _refuse_if_closed(attempt, now)
    items = attempt_items(session=session, attempt=attempt)
    by_id = {i.question.id: i for i in items}
    if any(qid not in by_id for qid in answers):
        raise QuizError("提交的题目不属于本次答题，请刷新页面后重新作答。")
    given = {qid: _parse(by_id[qid], values) for qid, values in answers.items()}
    merged = {i.question.id: given.get(i.question.id) or i.aq.answer for i in items}
    missing = [i.number for i in items if not merged[i.question.id]]
    if missing:
        if attempt.kind == "exam":
            _store(session, items, given, now)
        raise Incomplete(missing, saved=attempt.kind == "exam")
    if not _claim(session, attempt, now):
        raise QuizError("本次答题已经交卷，不能重复提交。", 409)
    _store(session, items, given, now)
    _grade(session, attempt, items)
    return attempt


def _store(session: Session, items: list[Item], given: dict[int, list | None], now: datetime) -> None:
    for item in items:
        new = given.get(item.question.id)
        if new and new != item.aq.answer:
            item.aq.answer = new
            item.aq.answered_at = now
            session.add(item.aq)
    session.flush()


# --- summaries and completion --------------------------------------------------------------


@dataclass
class LessonQuizSummary:
    question_count: int
    pass_score: int
    submitted: list[Attempt]
    open_attempt: Attempt | None

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
    attempts = _attempts(session, user_id, f"lesson:{lesson.id}")
    count = session.exec(
        select(sa.func.count(Question.id)).where(Question.lesson_id == lesson.id, Question.retired_at.is_(None))
    ).one()
    return LessonQuizSummary(
        question_count=count,
        pass_score=course.quiz_pass_score,
        submitted=[a for a in attempts if a.submitted_at is not None],
        open_attempt=next((a for a in attempts if a.submitted_at is None), None),
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
    done = completed_lesson_ids(session=session, user_id=user_id, lesson_ids=[lesson.id for lesson in required])
    return ExamSummary(
        course=course,
        attempts=_attempts(session, user_id, f"exam:{course.id}"),
        missing_lessons=len(required) - len(done),
        now=now,
    )


def completed_lesson_ids(*, session: Session, user_id: int, lesson_ids: list[int]) -> set[int]:
    """Complete lessons: the quiz passed and the study time (lms.hours) reached."""
    from lms.hours.services import studied_lesson_ids

    passed = passed_lesson_ids(session=session, user_id=user_id, lesson_ids=lesson_ids)
    return passed & studied_lesson_ids(session=session, user_id=user_id, lesson_ids=passed) if passed else set()


def passed_lesson_ids(*, session: Session, user_id: int, lesson_ids: list[int]) -> set[int]:
    """The lessons whose quiz this member has passed at least once."""
    if not lesson_ids:
        return set()
    return set(
        session.exec(
            select(Attempt.lesson_id)
            .where(
                Attempt.user_id == user_id,
                Attempt.kind == "lesson",
                Attempt.passed.is_(True),
                Attempt.lesson_id.in_(lesson_ids),
            )
            .distinct()
        )
    )


def completed_courses(*, session: Session, user_id: int) -> dict[int, datetime]:
    """course_id → when the course became complete: every required lesson complete (quiz passed
    and study time reached) and the exam passed. The time is the later of the first passing exam
    and the last required lesson's first passing quiz (the exam opens only once every lesson is
    complete, so it is the exam's time whenever there is one)."""
    from lms.hours.services import studied_lesson_ids

    lesson_passed = dict(
        session.exec(
            select(Attempt.lesson_id, sa.func.min(Attempt.submitted_at))
            .where(Attempt.user_id == user_id, Attempt.kind == "lesson", Attempt.passed.is_(True))
            .group_by(Attempt.lesson_id)
        ).all()
    )
    if not lesson_passed:
        return {}
    studied = studied_lesson_ids(session=session, user_id=user_id, lesson_ids=list(lesson_passed))
    lesson_passed = {lid: at for lid, at in lesson_passed.items() if lid in studied}
    exam_passed = dict(
        session.exec(
            select(Attempt.course_id, sa.func.min(Attempt.submitted_at))
            .where(Attempt.user_id == user_id, Attempt.kind == "exam", Attempt.passed.is_(True))
            .group_by(Attempt.course_id)
        ).all()
    )
    rows = session.exec(
        select(Course.id, Course.exam_questions, Lesson.id)
        .join(Lesson, Lesson.course_id == Course.id)
        .where(Course.retired_at.is_(None), Lesson.retired_at.is_(None), Lesson.required.is_(True))
    ).all()
    needs: dict[int, tuple[bool, list[int]]] = {}
    for course_id, exam_questions, lesson_id in rows:
        needs.setdefault(course_id, (exam_questions > 0, []))[1].append(lesson_id)
    out: dict[int, datetime] = {}
    for course_id, (has_exam, lesson_ids) in needs.items():
        if any(lid not in lesson_passed for lid in lesson_ids):
            continue
        times = [lesson_passed[lid] for lid in lesson_ids]
        if has_exam:
            if course_id not in exam_passed:
                continue
            times.append(exam_passed[course_id])
        out[course_id] = max(times)
    return out
