"""Helpers for the quiz tests: find content, start attempts over HTTP, build right or wrong answers."""

from __future__ import annotations

import re

from sqlmodel import select

from lms.content.models import Course, Lesson
from lms.quiz import answering, attempts
from lms.quiz.grading import BadAnswer, display_values, is_correct, parse_answer
from lms.quiz.models import Attempt
from tests.conftest import csrf_token

COURSE = "cadre-selection-regulations"
LESSON = "good-cadre-standard"


def course_and_lessons(db, slug: str = COURSE) -> tuple[Course, list[Lesson]]:
    with db() as s:
        course = s.exec(select(Course).where(Course.slug == slug)).one()
        lessons = list(s.exec(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.order)))
        return course, lessons


def right_values(item) -> list[str]:
    """The form values that answer the item correctly (the key shown again, whatever the type)."""
    q = item.question
    return sorted(display_values(q.type, item.aq.option_order, q.answer))


def wrong_values(item) -> list[str]:
    """A wrong answer the page could have sent: the first of one option not in the key, a text,
    false, true that the question's type accepts and grades wrong."""
    q = item.question
    right = display_values(q.type, item.aq.option_order, q.answer)
    candidates = [[str(i)] for i in range(len(q.options)) if str(i) not in right] + [["不知道"], ["false"], ["true"]]
    for values in candidates:
        try:
            answer = parse_answer(q.type, item.aq.option_order, values)
        except BadAnswer:
            continue
        if answer and not is_correct(q.type, q.answer, answer):
            return values
    raise AssertionError(f"no wrong answer found for question {q.id}")


def items_of(db, attempt_id: int):
    with db() as s:
        attempt = s.get(Attempt, attempt_id)
        return attempts.attempt_items(session=s, attempt=attempt)


def form_for(db, attempt_id: int, right: int | None = None) -> dict:
    """Form data answering the first `right` questions correctly (all when None), the rest wrongly."""
    data: dict[str, list[str]] = {}
    for n, item in enumerate(items_of(db, attempt_id)):
        good = right is None or n < right
        data[f"q_{item.question.id}"] = right_values(item) if good else wrong_values(item)
    return data


def start_lesson(client, course: str = COURSE, lesson: str = LESSON) -> int:
    token = csrf_token(client, f"/courses/{course}/{lesson}")
    resp = client.post(f"/quiz/lesson/{course}/{lesson}/start", data={"csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    m = re.search(r"/quiz/attempts/(\d+)$", resp.headers["Location"])
    assert m, resp.headers["Location"]
    return int(m.group(1))


def start_exam(client, course: str = COURSE):
    token = csrf_token(client, f"/courses/{course}")
    return client.post(f"/quiz/exam/{course}/start", data={"csrf_token": token})


def submit(client, attempt_id: int, data: dict, follow: bool = False):
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    return client.post(f"/quiz/attempts/{attempt_id}/submit", data={**data, "csrf_token": token},
                       follow_redirects=follow)


def save(client, attempt_id: int, question_id, values: list[str], token: str):
    return client.post(
        f"/quiz/attempts/{attempt_id}/answer",
        data={"question": str(question_id), "value": values},
        headers={"X-CSRFToken": token},
    )


def study_lesson(s, user_id: int, lesson, now=None) -> None:
    """Credit a lesson's full study time, as the tracker would have (setup for completion tests)."""
    from lms import clock
    from lms.hours.services import upsert_online
    from lms.units import lesson_cap_seconds

    at = now or clock.now()
    upsert_online(session=s, user_id=user_id, lesson_id=lesson.id, course_id=lesson.course_id,
                  local_date=clock.local_date(at), seconds=lesson_cap_seconds(lesson.hours), at=at)


def pass_all_lessons(db, user_id: int, slug: str = COURSE, now=None, study: bool = True) -> None:
    """Complete every lesson of a course through the services: study time credited (unless
    study=False) and every quiz passed (fast setup for exam tests)."""
    from lms import clock

    course, lessons = course_and_lessons(db, slug)
    for lesson in lessons:
        with db() as s:
            if study:
                study_lesson(s, user_id, lesson, now)
            attempt = attempts.start_lesson_attempt(
                session=s, user_id=user_id, lesson=lesson, course=course, now=now or clock.now()
            )
            items = attempts.attempt_items(session=s, attempt=attempt)
            answers = {i.question.id: right_values(i) for i in items}
            answering.submit(session=s, attempt=attempt, answers=answers, now=now or clock.now())
