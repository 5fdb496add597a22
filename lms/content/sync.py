"""`flask lms content sync`: upsert content/ into the database by stable keys.

All-or-nothing (the caller commits once, and only when the tree validated cleanly) and
idempotent (rows whose content hash is unchanged are not touched). A lesson or question
removed from content/ is retired, never deleted, so history that points at it stays valid.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from lms.content.loader import CourseData
from lms.content.models import Course, Lesson, Question


@dataclass
class SyncReport:
    counts: Counter = field(default_factory=Counter)

    def bump(self, what: str, how: str) -> None:
        self.counts[f"{what}.{how}"] += 1

    def summary(self) -> str:
        parts = []
        for what, label in (("course", "课程"), ("lesson", "课"), ("question", "题目"), ("exam", "考试题")):
            c = {how: self.counts[f"{what}.{how}"] for how in ("created", "updated", "retired", "unchanged")}
            parts.append(
                f"{label}：新增 {c['created']}，更新 {c['updated']}，停用 {c['retired']}，未变 {c['unchanged']}"
            )
        return "；".join(parts)


def _apply(row, values: dict, digest: str, now: datetime, report: SyncReport, what: str) -> None:
    if row.content_hash == digest and row.retired_at is None:
        report.bump(what, "unchanged")
        return
    for k, v in values.items():
        setattr(row, k, v)
    row.content_hash = digest
    row.retired_at = None
    if hasattr(row, "updated_at"):
        row.updated_at = now
    report.bump(what, "updated")


def _sync_question(session: Session, lesson_id: int, pool: bool, qd, existing: dict, now: datetime,
                   report: SyncReport) -> None:
    """One lesson-quiz question, or (pool) one exam-pool question attached to its lesson."""
    what = "exam" if pool else "question"
    values = dict(
        type=qd.type,
        stem=qd.stem,
        options=qd.options,
        answer=qd.answer,
        section=qd.section,
        explanation=qd.explanation,
        order=qd.order,
    )
    question = existing.get((lesson_id, pool, qd.qid))
    if question is None:
        session.add(Question(lesson_id=lesson_id, exam_pool=pool, qid=qd.qid, content_hash=qd.digest(), **values))
        report.bump(what, "created")
    else:
        _apply(question, values, qd.digest(), now, report, what)


def sync_content(*, session: Session, courses: list[CourseData], now: datetime) -> SyncReport:
    report = SyncReport()
    existing_courses = {c.slug: c for c in session.exec(select(Course))}
    existing_lessons = {lesson.key: lesson for lesson in session.exec(select(Lesson))}
    existing_questions = {(q.lesson_id, q.exam_pool, q.qid): q for q in session.exec(select(Question))}
    seen_courses, seen_lessons, seen_questions = set(), set(), set()

    for cd in courses:
        values = dict(
            title=cd.title,
            summary=cd.summary,
            order=cd.order,
            category=cd.category,
            body_md=cd.body_md,
            quiz_pass_score=cd.quiz_pass_score,
            exam_questions=cd.exam["questions"],
            exam_pass_score=cd.exam["pass_score"],
            exam_time_limit_minutes=cd.exam["time_limit_minutes"],
            exam_max_attempts=cd.exam["max_attempts"],
        )
        course = existing_courses.get(cd.slug)
        if course is None:
            course = Course(slug=cd.slug, content_hash=cd.digest(), updated_at=now, **values)
            session.add(course)
            session.flush()
            report.bump("course", "created")
        else:
            _apply(course, values, cd.digest(), now, report, "course")
        seen_courses.add(course.id)

        for ld in cd.lessons:
            values = dict(
                course_id=course.id,
                slug=ld.slug,
                title=ld.title,
                hours=ld.hours,
                order=ld.order,
                required=ld.required,
                objectives=ld.objectives,
                source=ld.source,
                body_md=ld.body_md,
            )
            lesson = existing_lessons.get(ld.key)
            if lesson is None:
                lesson = Lesson(key=ld.key, content_hash=ld.digest(), updated_at=now, **values)
                session.add(lesson)
                session.flush()
                report.bump("lesson", "created")
            else:
                _apply(lesson, values, ld.digest(), now, report, "lesson")
            seen_lessons.add(lesson.id)

            for pool, questions in ((False, ld.questions), (True, ld.exam_questions)):
                for qd in questions:
                    _sync_question(session, lesson.id, pool, qd, existing_questions, now, report)
                    seen_questions.add((lesson.id, pool, qd.qid))

    for what, rows, seen, key in (
        ("course", existing_courses.values(), seen_courses, lambda r: r.id),
        ("lesson", existing_lessons.values(), seen_lessons, lambda r: r.id),
        ("question", existing_questions.values(), seen_questions, lambda r: (r.lesson_id, r.exam_pool, r.qid)),
    ):
        for row in rows:
            if key(row) not in seen and row.retired_at is None:
                row.retired_at = now
                report.bump("exam" if what == "question" and row.exam_pool else what, "retired")
    session.flush()
    return report
