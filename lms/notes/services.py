"""学习心得: saving, submitting and withdrawing answers, and reading them back by year.

A member writes one answer per 思考题. It autosaves as a draft; submitting makes it final and
visible to the secretaries in scope; withdrawing turns it back into a draft to edit (the
secretaries no longer see it until it is submitted again). Plain text, at most MAX_CHARS
characters; every read by someone else goes through an lms.access.Scope filter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import clock, textcheck
from lms.access import Scope
from lms.auth.models import User
from lms.content import services as content
from lms.content.models import Course, Lesson
from lms.content.reflection import reflection_prompts
from lms.notes.models import NoteAnswer

MAX_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class NoteError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def clean_text(raw: str | None) -> str:
    """The answer as plain text: newlines as \\n, no control characters (PostgreSQL refuses NUL)."""
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def check_length(text: str) -> None:
    """The length, and no bidi controls (a multi-line field's rule, lms.textcheck)."""
    if message := textcheck.problem(text, label="回答", multiline=True):
        raise NoteError(message, 400)
    if len(text) > MAX_CHARS:
        over = len(text) - MAX_CHARS
        raise NoteError(f"每题回答最多 {MAX_CHARS} 字，现在是 {len(text)} 字，请删减 {over} 字后再保存。", 400)


@dataclass(frozen=True)
class Target:
    """The 思考题 being answered: its lesson and its text as the page shows it now."""

    lesson: Lesson
    item: int
    prompt: str


def target(*, session: Session, lesson_id: int, item: int) -> Target:
    lesson = content.active_lesson(session=session, lesson_id=lesson_id)
    if lesson is None:
        raise NoteError("本课不存在或已停用，请返回课程目录。", 404)
    prompts = reflection_prompts(lesson.body_md)
    if not 1 <= item <= len(prompts):
        raise NoteError("本课没有这道思考题，请刷新页面后再作答。", 404)
    return Target(lesson=lesson, item=item, prompt=prompts[item - 1])


def get_answer(*, session: Session, user_id: int, lesson_id: int, item: int) -> NoteAnswer | None:
    return session.exec(
        select(NoteAnswer).where(
            NoteAnswer.user_id == user_id, NoteAnswer.lesson_id == lesson_id, NoteAnswer.item == item
        )
    ).first()


def _write(answer: NoteAnswer, *, t: Target, text: str, now: datetime) -> None:
    answer.body = text
    answer.prompt = t.prompt
    answer.updated_at = now
    answer.year = clock.local_date(now).year


def save_draft(*, session: Session, user_id: int, t: Target, text: str, now: datetime) -> NoteAnswer | None:
    """Keep the member's text as a draft; an emptied draft is removed (None)."""
    text = clean_text(text)
    check_length(text)
    answer = get_answer(session=session, user_id=user_id, lesson_id=t.lesson.id, item=t.item)
    if answer is not None and answer.status == "submitted":
        raise NoteError("本题回答已提交。如需修改，请先点击“撤回修改”。", 409)
    if not text.strip():
        if answer is not None:
            session.delete(answer)
            session.flush()
        return None
    if answer is None:
        answer = NoteAnswer(user_id=user_id, lesson_id=t.lesson.id, item=t.item, created_at=now, year=0)
    _write(answer, t=t, text=text, now=now)
    session.add(answer)
    session.flush()
    return answer


def submit(*, session: Session, user_id: int, t: Target, text: str, now: datetime) -> NoteAnswer:
    """Save `text` and submit it; submitting the same text again changes nothing."""
    text = clean_text(text)
    if not text.strip():
        raise NoteError("请先写下您的回答，再点击提交。", 400)
    check_length(text)
    answer = get_answer(session=session, user_id=user_id, lesson_id=t.lesson.id, item=t.item)
    if answer is not None and answer.status == "submitted":
        if answer.body == text:
            return answer
        raise NoteError("本题回答已提交。如需修改，请先点击“撤回修改”。", 409)
    if answer is None:
        answer = NoteAnswer(user_id=user_id, lesson_id=t.lesson.id, item=t.item, created_at=now, year=0)
    _write(answer, t=t, text=text, now=now)
    answer.status = "submitted"
    answer.submitted_at = now
    session.add(answer)
    session.flush()
    return answer


def withdraw(*, session: Session, user_id: int, t: Target, now: datetime) -> NoteAnswer:
    """Turn a submitted answer back into a draft the member can edit."""
    answer = get_answer(session=session, user_id=user_id, lesson_id=t.lesson.id, item=t.item)
    if answer is None:
        raise NoteError("还没有保存过本题的回答。", 404)
    if answer.status == "submitted":
        answer.status = "draft"
        answer.submitted_at = None
        answer.updated_at = now
        session.add(answer)
        session.flush()
    return answer


# ---------------------------------------------------------------- reading


def lesson_answers(*, session: Session, user_id: int, lesson_id: int) -> dict[int, NoteAnswer]:
    rows = session.exec(select(NoteAnswer).where(NoteAnswer.user_id == user_id, NoteAnswer.lesson_id == lesson_id))
    return {a.item: a for a in rows}


@dataclass(frozen=True)
class CourseNotes:
    course: Course
    lessons: list[tuple[Lesson, list[NoteAnswer]]]


def year_answers(*, session: Session, user_id: int, year: int, submitted_only: bool,
                 scope: Scope | None = None) -> list[CourseNotes]:
    """A member's answers of `year`, grouped by course and lesson in course order. Someone else's
    (a secretary's view) only through `scope`, and only the submitted ones."""
    stmt = (
        select(NoteAnswer, Lesson, Course)
        .join(Lesson, Lesson.id == NoteAnswer.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(NoteAnswer.user_id == user_id, NoteAnswer.year == year)
        .order_by(Course.order, Course.id, Lesson.order, Lesson.id, NoteAnswer.item)
    )
    if submitted_only:
        stmt = stmt.where(NoteAnswer.status == "submitted")
    if scope is not None:
        stmt = stmt.join(User, User.id == NoteAnswer.user_id).where(scope.user_filter())
    grouped: dict[int, CourseNotes] = {}
    per_lesson: dict[int, list[NoteAnswer]] = defaultdict(list)
    for answer, lesson, course in session.exec(stmt):
        group = grouped.setdefault(course.id, CourseNotes(course=course, lessons=[]))
        if lesson.id not in per_lesson:
            group.lessons.append((lesson, per_lesson[lesson.id]))
        per_lesson[lesson.id].append(answer)
    return list(grouped.values())


def answer_years(*, session: Session, user_id: int, submitted_only: bool, current: int) -> list[int]:
    stmt = select(NoteAnswer.year).where(NoteAnswer.user_id == user_id).distinct()
    if submitted_only:
        stmt = stmt.where(NoteAnswer.status == "submitted")
    return sorted(set(session.exec(stmt)) | {current}, reverse=True)


def submitted_count(*, session: Session, user_id: int, year: int) -> int:
    return session.exec(
        select(sa.func.count()).select_from(NoteAnswer)
        .where(NoteAnswer.user_id == user_id, NoteAnswer.year == year, NoteAnswer.status == "submitted")
    ).one()


def member_in_scope(*, session: Session, scope: Scope, user_id: int) -> User:
    """The member whose answers a secretary asks for, or 404 outside the secretary's scope."""
    user = session.exec(select(User).where(User.id == user_id, scope.user_filter())).first()
    if user is None:
        raise NotFound()
    return user
