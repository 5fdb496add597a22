"""Completion as the quiz sees it: lessons passed and complete, courses complete.

Attempts live in lms.quiz.attempts (start, expire, grade), lms.quiz.answering (save, submit),
lms.quiz.summaries (the cards) and lms.quiz.bank (which questions are drawn).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lms.content.models import Course, Lesson
from lms.quiz.models import Attempt


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
