"""Eligibility from the real slices (no stand-ins): course completion and the annual ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from lms import clock
from lms.certificates import eligibility
from lms.content.models import Course
from lms.hours.services import add_entry
from tests.quiz.helpers import COURSE, course_and_lessons, pass_all_lessons


def _pass_exam(db, user_id: int) -> None:
    from lms.quiz import answering, attempts
    from tests.quiz.helpers import right_values

    with db() as s:
        course = s.exec(select(Course).where(Course.slug == COURSE)).one()
        attempt = attempts.start_exam_attempt(session=s, user_id=user_id, course=course, now=clock.now())
        answers = {i.question.id: right_values(i) for i in attempts.attempt_items(session=s, attempt=attempt)}
        answering.submit(session=s, attempt=attempt, answers=answers, now=clock.now())


def _kinds(db, user_id: int) -> set[tuple[str, object]]:
    with db() as s:
        return {(e.kind, e.course.id if e.course else e.year) for e in eligibility.entitlements(session=s, user_id=user_id)}


def test_course_certificate_needs_study_time_quizzes_and_exam(app, db, make_user, synced):
    clock.freeze(datetime(2026, 5, 4, 2, 0, tzinfo=UTC))
    user = make_user()
    course, _ = course_and_lessons(db, COURSE)
    with app.app_context():
        # Quizzes passed but no study time: the exam stays shut and nothing is earned.
        pass_all_lessons(db, user.id, study=False)
        assert ("course", course.id) not in _kinds(db, user.id)
        pass_all_lessons(db, user.id)  # now with the study time credited
        assert ("course", course.id) not in _kinds(db, user.id)  # the exam is still to pass
        _pass_exam(db, user.id)
        assert ("course", course.id) in _kinds(db, user.id)


def test_annual_certificate_needs_the_years_required_hours(app, db, make_user, synced):
    clock.freeze(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    user = make_user()
    with app.app_context():
        with db() as s:
            add_entry(session=s, user_id=user.id, source="offline", seconds=31 * 3600, local_date=date(2026, 3, 1),
                      recorded_by_id=None, reason="集中轮训")
        assert ("annual", 2026) not in _kinds(db, user.id)
        with db() as s:
            add_entry(session=s, user_id=user.id, source="offline", seconds=3600, local_date=date(2026, 4, 1),
                      recorded_by_id=None, reason="党课")
        assert ("annual", 2026) in _kinds(db, user.id)
