"""Course exam life cycle, with the clock moved through lms.clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from lms import clock, progress
from lms.quiz import answering, attempts, bank
from lms.quiz.models import Attempt, AttemptQuestion
from tests.conftest import csrf_token
from tests.quiz.helpers import (
    COURSE,
    course_and_lessons,
    form_for,
    items_of,
    pass_all_lessons,
    right_values,
    save,
    start_exam,
    submit,
    wrong_values,
)

T0 = datetime(2025, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def member(make_user, login, synced):
    clock.freeze(T0)
    user = make_user(name="考生")
    login(user)
    return user


def _exam_id(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(re.search(r"/quiz/attempts/(\d+)$", resp.headers["Location"]).group(1))


def _exam_questions(db, attempt_id) -> set[int]:
    with db() as s:
        return set(s.exec(select(AttemptQuestion.question_id).where(AttemptQuestion.attempt_id == attempt_id)))


def test_exam_is_locked_until_all_required_lessons_are_passed(client, member, db):
    page = client.get(f"/courses/{COURSE}").get_data(as_text=True)
    assert "完成全部必修课（学满每课学时并通过课后测验）后才能参加结业考试，还差 7 课" in page
    resp = start_exam(client)
    assert resp.status_code == 302
    assert "请先完成全部必修课" in client.get(resp.headers["Location"]).get_data(as_text=True)
    with db() as s:
        assert s.exec(select(Attempt).where(Attempt.kind == "exam")).all() == []


def test_exam_draws_n_questions_with_a_server_deadline_and_saves_each_answer(client, member, db):
    pass_all_lessons(db, member.id)
    course, _ = course_and_lessons(db)
    attempt_id = _exam_id(start_exam(client))
    with db() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.deadline_at == T0 + timedelta(minutes=course.exam_time_limit_minutes)
    items = items_of(db, attempt_id)
    assert len(items) == course.exam_questions == 20
    html = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    assert f'data-remaining="{course.exam_time_limit_minutes * 60}"' in html and "js/exam.js" in html

    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    clock.advance(minutes=5)
    resp = save(client, attempt_id, items[0].question.id, right_values(items[0]), token)
    assert resp.status_code == 200 and resp.json["ok"] and "已保存" in resp.json["message"]
    # A refresh (or a dropped connection) loses nothing: the saved answer comes back checked.
    clock.advance(minutes=1)
    html = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    assert 'data-remaining="1440"' in html
    q = items[0].question
    for v in right_values(items[0]):
        if q.type == "blank":
            assert f'value="{v}"' in html
        else:
            assert f'name="q_{q.id}" value="{v}" checked' in html


def test_expired_attempt_is_graded_on_what_was_saved(client, member, db):
    pass_all_lessons(db, member.id)
    attempt_id = _exam_id(start_exam(client))
    items = items_of(db, attempt_id)
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    for item in items[:17]:
        assert save(client, attempt_id, item.question.id, right_values(item), token).status_code == 200
    clock.advance(minutes=29, seconds=59)
    assert save(client, attempt_id, items[17].question.id, right_values(items[17]), token).status_code == 200
    clock.advance(seconds=1)  # the deadline
    late = save(client, attempt_id, items[18].question.id, right_values(items[18]), token)
    assert late.status_code == 409 and "考试时间已到" in late.json["message"] and late.json["expired"]
    with db() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.expired and attempt.score == 90 and attempt.passed  # 18 of 20 saved in time
        assert attempt.submitted_at == attempt.deadline_at
    html = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    assert "按截止前保存的答案评分" in html and "<strong>90</strong> 分" in html


def test_opening_an_expired_attempt_grades_it(client, member, db):
    pass_all_lessons(db, member.id)
    attempt_id = _exam_id(start_exam(client))
    clock.advance(hours=2)
    html = client.get(f"/quiz/attempts/{attempt_id}", follow_redirects=True).get_data(as_text=True)
    assert "考试时间已到，试卷已按截止前保存的答案评分" in html
    with db() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.submitted_at == attempt.deadline_at and attempt.score == 0 and not attempt.passed


def test_submit_after_the_deadline_is_refused(client, member, db):
    pass_all_lessons(db, member.id)
    attempt_id = _exam_id(start_exam(client))
    data = form_for(db, attempt_id)  # all right, but too late
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    clock.advance(minutes=31)
    resp = client.post(f"/quiz/attempts/{attempt_id}/submit", data={**data, "csrf_token": token}, follow_redirects=True)
    assert "截止后提交的答案不予接受" in resp.get_data(as_text=True)
    with db() as s:
        assert s.get(Attempt, attempt_id).score == 0
        assert all(r.answer is None for r in s.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)))


def test_retakes_prefer_unseen_questions_attempts_are_limited_and_answers_revealed_at_the_end(client, member, db):
    pass_all_lessons(db, member.id)
    course, _ = course_and_lessons(db)
    with db() as s:
        bank_ids = {q.id for q in bank.exam_pool(session=s, course_id=course.id)}
    seen: set[int] = set()
    scores = []
    for n in range(course.exam_max_attempts):
        attempt_id = _exam_id(start_exam(client))
        drawn = _exam_questions(db, attempt_id)
        unseen_left = bank_ids - seen
        assert drawn & unseen_left == (unseen_left if len(unseen_left) <= 20 else drawn)
        seen |= drawn
        right = (8, 14, 10)[n]
        submit(client, attempt_id, form_for(db, attempt_id, right=right))
        scores.append(right * 5)
        review = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
        first = items_of(db, attempt_id)[0].question
        if n < course.exam_max_attempts - 1:
            # Attempts left and not passed: no correct answers or 解析 yet.
            assert "正确答案和解析将在您通过结业考试或用完全部 3 次考试机会后公布" in review
            assert first.explanation not in review and "<dt>正确答案</dt>" not in review
            assert f"再考一次（剩余 {course.exam_max_attempts - n - 1} 次）" in review
        else:
            assert first.explanation in review and "<dt>正确答案</dt>" in review
    page = client.get(f"/courses/{COURSE}").get_data(as_text=True)
    assert "已考 3/3 次" in page and f"最高分 <strong>{max(scores)}</strong> 分" in page  # the best score counts
    assert "考试机会已用完" in page
    resp = start_exam(client)
    assert "考试机会已用完" in client.get(resp.headers["Location"]).get_data(as_text=True)
    with db() as s:
        assert len(s.exec(select(Attempt).where(Attempt.kind == "exam")).all()) == 3


def test_passing_the_exam_completes_the_course(client, member, db):
    pass_all_lessons(db, member.id)
    assert "参加结业考试" in client.get("/").get_data(as_text=True)
    clock.advance(days=1)
    attempt_id = _exam_id(start_exam(client))
    data = form_for(db, attempt_id, right=16)  # 80 %
    clock.advance(minutes=10)
    submit(client, attempt_id, data)
    course, _ = course_and_lessons(db)
    with db() as s:
        done = progress.completed_courses(session=s, user_id=member.id)
        assert done == {course.id: T0 + timedelta(days=1, minutes=10)}
    assert "课程已完成（2025年6月2日）" in client.get("/").get_data(as_text=True)
    page = client.get(f"/courses/{COURSE}").get_data(as_text=True)
    assert "已通过" in page and "再考一次" not in page
    resp = start_exam(client)
    assert "已通过本课程的结业考试" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_completion_time_is_the_later_of_exam_and_last_lesson(db, make_user, synced):
    user = make_user()
    course, lessons = course_and_lessons(db)
    pass_all_lessons(db, user.id, now=T0)
    with db() as s:
        assert progress.completed_courses(session=s, user_id=user.id) == {}
        exam = attempts.start_exam_attempt(session=s, user_id=user.id, course=course, now=T0 + timedelta(hours=1))
        items = attempts.attempt_items(session=s, attempt=exam)
        answering.submit(session=s, attempt=exam, answers={i.question.id: right_values(i) for i in items},
                        now=T0 + timedelta(hours=1))
        assert progress.completed_courses(session=s, user_id=user.id) == {course.id: T0 + timedelta(hours=1)}
        passed = progress.passed_lesson_ids(session=s, user_id=user.id, lesson_ids=[le.id for le in lessons])
        assert passed == {le.id for le in lessons}


def test_wrong_values_helper_really_is_wrong(db, make_user, synced):
    # Guards the other tests: a "wrong" answer must grade as wrong for every question type.
    user = make_user()
    course, lessons = course_and_lessons(db)
    with db() as s:
        attempt = attempts.start_lesson_attempt(session=s, user_id=user.id, lesson=lessons[0], course=course, now=T0)
        items = attempts.attempt_items(session=s, attempt=attempt)
        answering.submit(session=s, attempt=attempt, answers={i.question.id: wrong_values(i) for i in items}, now=T0)
        assert attempt.score == 0


def test_exam_draws_only_from_the_pool_and_lesson_quizzes_never_do(client, member, db):
    course, lessons = course_and_lessons(db)
    page = client.get(f"/courses/{COURSE}").get_data(as_text=True)
    assert "从本课程考试题库随机抽取 20 题" in page
    lesson_drawn: set[int] = set()
    for lesson in lessons:
        with db() as s:
            attempt = attempts.start_lesson_attempt(session=s, user_id=member.id, lesson=lesson, course=course, now=T0)
            items = attempts.attempt_items(session=s, attempt=attempt)
            assert items and all(i.question.lesson_id == lesson.id and not i.question.exam_pool for i in items)
            lesson_drawn |= {i.question.id for i in items}
            s.commit()
    pass_all_lessons(db, member.id)
    with db() as s:
        pool = bank.exam_pool(session=s, course_id=course.id)
        assert len(pool) >= 2 * course.exam_questions and all(q.exam_pool for q in pool)
        assert {q.lesson_id for q in pool} <= {le.id for le in lessons}
    pool_ids = {q.id for q in pool}
    for _ in range(course.exam_max_attempts):
        attempt_id = _exam_id(start_exam(client))
        drawn = _exam_questions(db, attempt_id)
        assert len(drawn) == course.exam_questions and drawn <= pool_ids and not drawn & lesson_drawn
        submit(client, attempt_id, form_for(db, attempt_id, right=0))


def test_revealed_exam_review_links_each_question_to_its_lesson_section(client, member, db):
    from lms.content.render import section_anchor

    pass_all_lessons(db, member.id)
    course, lessons = course_and_lessons(db)
    slugs = {le.id: le.slug for le in lessons}
    attempt_id = _exam_id(start_exam(client))
    submit(client, attempt_id, form_for(db, attempt_id))
    review = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    assert "<dt>正确答案</dt>" in review  # passed: answers are shown
    for item in items_of(db, attempt_id):
        q = item.question
        assert f'href="/courses/{COURSE}/{slugs[q.lesson_id]}#{section_anchor(q.section)}"' in review
