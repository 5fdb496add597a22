"""Catalogue, lesson lookup and lesson visits (completion is lms.progress)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms.content.models import Course, Lesson, LessonVisit, Question
from lms.content.workload import estimated_minutes


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


def estimated_minutes_for(*, session: Session, lessons: list[Lesson]) -> dict[int, int]:
    """lesson id → its estimated study minutes (lms.content.workload), from the stored text and
    the count of its active lesson-quiz questions (not the exam pool): the same figure `content check`
    works with."""
    if not lessons:
        return {}
    counts = dict(session.exec(
        select(Question.lesson_id, sa.func.count(Question.id))
        .where(Question.lesson_id.in_([lesson.id for lesson in lessons]), Question.retired_at.is_(None),
               Question.exam_pool.is_(False))
        .group_by(Question.lesson_id)
    ).all())
    return {lesson.id: estimated_minutes(lesson.body_md, counts.get(lesson.id, 0)) for lesson in lessons}


def active_lesson(*, session: Session, lesson_id: int | None) -> Lesson | None:
    """The lesson with this id if it and its course are active (not retired), else None."""
    if lesson_id is None:
        return None
    return session.exec(
        select(Lesson)
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id, Lesson.retired_at.is_(None), Course.retired_at.is_(None))
    ).first()


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
