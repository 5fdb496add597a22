"""Catalogue, lesson lookup and learning progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms.content.models import Course, Lesson, LessonVisit


def active_courses(*, session: Session) -> list[Course]:
    return list(session.exec(select(Course).where(Course.retired_at.is_(None)).order_by(Course.order, Course.slug)))


def get_course(*, session: Session, slug: str) -> Course:
    course = session.exec(select(Course).where(Course.slug == slug, Course.retired_at.is_(None))).first()
    if course is None:
        raise NotFound()
    return course


def course_lessons(*, session: Session, course_ids: list[int]) -> dict[int, list[Lesson]]:
    out: dict[int, list[Lesson]] = {cid: [] for cid in course_ids}
    if not course_ids:
        return out
    stmt = (
        select(Lesson)
        .where(Lesson.course_id.in_(course_ids), Lesson.retired_at.is_(None))
        .order_by(Lesson.course_id, Lesson.order, Lesson.slug)
    )
    for lesson in session.exec(stmt):
        out[lesson.course_id].append(lesson)
    return out


def get_lesson(*, session: Session, course: Course, slug: str) -> Lesson:
    lesson = session.exec(
        select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == slug, Lesson.retired_at.is_(None))
    ).first()
    if lesson is None:
        raise NotFound()
    return lesson


def record_visit(*, session: Session, user_id: int, lesson_id: int, at: datetime) -> None:
    visit = session.exec(
        select(LessonVisit).where(LessonVisit.user_id == user_id, LessonVisit.lesson_id == lesson_id)
    ).first()
    if visit is None:
        session.add(LessonVisit(user_id=user_id, lesson_id=lesson_id, first_at=at, last_at=at))
    else:
        visit.last_at = at
        session.add(visit)
    session.flush()


@dataclass(frozen=True)
class LessonState:
    visited: bool
    completed: bool  # quiz passed and study time reached
    passed: bool = False  # lesson quiz passed
    studied: bool = False  # credited online time reached the lesson's 学时


def lesson_states(*, session: Session, user_id: int, lesson_ids: list[int]) -> dict[int, LessonState]:
    """Each lesson's state for one member, in one query.

    A lesson is complete when its quiz is passed and its study time is reached: the credited
    online time (lms.hours) has reached its 学时.
    """
    from lms.hours.services import studied_lesson_ids
    from lms.quiz.services import passed_lesson_ids

    if not lesson_ids:
        return {}
    visited = set(
        session.exec(
            select(LessonVisit.lesson_id).where(LessonVisit.user_id == user_id, LessonVisit.lesson_id.in_(lesson_ids))
        )
    )
    passed = passed_lesson_ids(session=session, user_id=user_id, lesson_ids=lesson_ids)
    studied = studied_lesson_ids(session=session, user_id=user_id, lesson_ids=lesson_ids)
    return {
        lid: LessonState(visited=lid in visited, completed=lid in passed and lid in studied, passed=lid in passed,
                         studied=lid in studied)
        for lid in lesson_ids
    }


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    lessons: list[Lesson]
    states: dict[int, LessonState]

    @property
    def required(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.required]

    @property
    def done(self) -> int:
        return sum(1 for lesson in self.required if self.states[lesson.id].completed)

    @property
    def total(self) -> int:
        return len(self.required)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def hours(self) -> float:
        return sum(lesson.hours for lesson in self.lessons)

    @property
    def next_lesson(self) -> Lesson | None:
        for lesson in self.lessons:
            if not self.states[lesson.id].completed:
                return lesson
        return None


def progress_for(*, session: Session, user_id: int, courses: list[Course]) -> list[CourseProgress]:
    lessons = course_lessons(session=session, course_ids=[c.id for c in courses])
    all_ids = [lesson.id for ls in lessons.values() for lesson in ls]
    states = lesson_states(session=session, user_id=user_id, lesson_ids=all_ids)
    return [
        CourseProgress(course=c, lessons=lessons[c.id], states={lesson.id: states[lesson.id] for lesson in lessons[c.id]})
        for c in courses
    ]


def last_visited(*, session: Session, user_id: int) -> tuple[Lesson, Course] | None:
    row = session.exec(
        select(Lesson, Course)
        .join(LessonVisit, LessonVisit.lesson_id == Lesson.id)
        .join(Course, Course.id == Lesson.course_id)
        .where(LessonVisit.user_id == user_id, Lesson.retired_at.is_(None), Course.retired_at.is_(None))
        .order_by(sa.desc(LessonVisit.last_at))
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None
