"""Completion: which lessons and courses a member has completed. Content, quiz, hours,
certificates (and whatever else needs to know) ask here; this module reads only models
(and lms.units), so every slice can import it and it imports no slice's services or views.

- a lesson is **passed** when its quiz has been passed at least once;
- it is **studied** when the member's credited online time for it (all years, lms.hours' ledger)
  has reached the lesson's 学时;
- it is **complete** when it is both;
- a course is complete when every required lesson is complete and, if it has an exam, the exam
  has been passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lms import units
from lms.content.models import Course, Lesson, LessonVisit
from lms.hours.models import LedgerEntry
from lms.quiz.models import Attempt

# ---------------------------------------------------------------- lessons


def _study(session: Session, user_id: int, lesson_ids: list[int]) -> dict[int, tuple[int, int]]:
    """lesson id → (the member's online credited seconds for it, all years; the seconds its 学时
    need), for the lessons with any credited time. One grouped statement."""
    if not lesson_ids:
        return {}
    rows = session.exec(
        select(LedgerEntry.lesson_id, Lesson.hours, sa.func.sum(LedgerEntry.seconds))
        .join(Lesson, Lesson.id == LedgerEntry.lesson_id)
        .where(
            LedgerEntry.user_id == user_id,
            LedgerEntry.source == "online",
            LedgerEntry.lesson_id.in_(lesson_ids),
        )
        .group_by(LedgerEntry.lesson_id, Lesson.hours)
    )
    return {lid: (int(seconds or 0), units.lesson_cap_seconds(hours)) for lid, hours, seconds in rows}


def credited_lesson_seconds(*, session: Session, user_id: int, lesson_ids) -> dict[int, int]:
    """lesson id → the member's online credited seconds for it (all years; lessons with none are 0)."""
    lesson_ids = list(lesson_ids)
    study = _study(session, user_id, lesson_ids)
    return {lid: study[lid][0] if lid in study else 0 for lid in lesson_ids}


def missing_study_seconds(*, session: Session, user_id: int, lesson: Lesson) -> int:
    """Seconds of study the lesson still needs before it counts as studied (0 when reached)."""
    credited = credited_lesson_seconds(session=session, user_id=user_id, lesson_ids=[lesson.id])[lesson.id]
    return max(0, units.lesson_cap_seconds(lesson.hours) - credited)


def studied_lesson_ids(*, session: Session, user_id: int, lesson_ids) -> set[int]:
    """Lessons whose online credited time (all years) has reached the lesson's 学时."""
    return {lid for lid, (credited, needed) in _study(session, user_id, list(lesson_ids)).items() if credited >= needed}


def completed_lesson_ids(*, session: Session, user_id: int, lesson_ids: list[int]) -> set[int]:
    """Complete lessons: the quiz passed and the study time (lms.hours) reached."""
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


# ---------------------------------------------------------------- a member's courses

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


def progress_for(*, session: Session, user_id: int, courses: list[Course],
                 lessons: dict[int, list[Lesson]]) -> list[CourseProgress]:
    """Each course's progress for one member; `lessons`: course id → its active lessons in order
    (the catalogue's `content.services.course_lessons`)."""
    all_ids = [lesson.id for ls in lessons.values() for lesson in ls]
    states = lesson_states(session=session, user_id=user_id, lesson_ids=all_ids)
    return [
        CourseProgress(course=c, lessons=lessons[c.id], states={lesson.id: states[lesson.id] for lesson in lessons[c.id]})
        for c in courses
    ]
