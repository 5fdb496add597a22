"""No page contains an answer before submission: read the HTML the member receives."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lms import clock
from tests.quiz.helpers import COURSE, LESSON, items_of, pass_all_lessons, start_exam, start_lesson


def _assert_no_answers(html: str, items) -> None:
    assert "data-correct" not in html and "correct" not in html.lower().replace("x-csrftoken", "")
    assert "<dt>解析</dt>" not in html and "<dt>正确答案</dt>" not in html
    for item in items:
        q = item.question
        assert q.explanation not in html
        if q.type == "blank":  # the text box is empty, whatever the accepted answers are
            assert re.findall(rf'name="q_{q.id}" value="([^"]*)"', html) == [""]
    # Every answer value is an opaque position or true/false, never a letter or a text.
    values = re.findall(r'name="q_\d+" value="([^"]*)"', html)
    assert values and all(v.isdigit() or v in ("true", "false", "") for v in values)


def test_lesson_quiz_page_has_no_answers(client, make_user, login, synced, db):
    login(make_user())
    attempt_id = start_lesson(client)
    html = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    _assert_no_answers(html, items_of(db, attempt_id))
    lesson_page = client.get(f"/courses/{COURSE}/{LESSON}").get_data(as_text=True)
    assert "<dt>解析</dt>" not in lesson_page and "<dt>正确答案</dt>" not in lesson_page


def test_exam_page_has_no_answers(client, make_user, login, synced, db):
    clock.freeze(datetime(2025, 6, 1, 1, 0, tzinfo=UTC))
    user = make_user()
    login(user)
    pass_all_lessons(db, user.id)
    attempt_id = int(start_exam(client).headers["Location"].rsplit("/", 1)[1])
    html = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    _assert_no_answers(html, items_of(db, attempt_id))
    course_page = client.get(f"/courses/{COURSE}").get_data(as_text=True)
    assert "<dt>解析</dt>" not in course_page
