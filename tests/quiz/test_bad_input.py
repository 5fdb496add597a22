"""Bad input is refused with a clear message and corrupts nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from lms import clock
from lms.content.models import Question
from lms.quiz.models import Attempt, AttemptQuestion
from tests.conftest import csrf_token
from tests.quiz.helpers import (
    form_for,
    items_of,
    pass_all_lessons,
    right_values,
    save,
    start_exam,
    start_lesson,
    submit,
)


def _untouched(db, attempt_id: int) -> bool:
    with db() as s:
        attempt = s.get(Attempt, attempt_id)
        rows = s.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)).all()
        return attempt.submitted_at is None and attempt.score is None and all(r.answer is None for r in rows)


def test_tampered_option_value_is_refused(client, make_user, login, synced, db):
    login(make_user())
    attempt_id = start_lesson(client)
    data = form_for(db, attempt_id)
    choice = next(i for i in items_of(db, attempt_id) if i.question.type == "single")
    data[f"q_{choice.question.id}"] = ["9"]
    resp = submit(client, attempt_id, data)
    assert resp.status_code == 400
    assert f"第 {choice.number} 题：提交的选项不在本题之中" in resp.get_data(as_text=True)
    assert _untouched(db, attempt_id)
    # A letter instead of the opaque value, and a judge answer that is not true/false, likewise.
    judge = next(i for i in items_of(db, attempt_id) if i.question.type == "judge")
    data = form_for(db, attempt_id)
    data[f"q_{judge.question.id}"] = ["yes"]
    assert submit(client, attempt_id, data).status_code == 400
    data = form_for(db, attempt_id)
    data[f"q_{choice.question.id}"] = ["A"]
    assert submit(client, attempt_id, data).status_code == 400
    assert _untouched(db, attempt_id)


def test_another_members_attempt_is_not_found(client, make_user, login, synced, db):
    owner, other = make_user(name="甲"), make_user(name="乙")
    login(owner)
    attempt_id = start_lesson(client)
    data = form_for(db, attempt_id)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(other)
    assert client.get(f"/quiz/attempts/{attempt_id}").status_code == 404
    token = csrf_token(client, "/")
    resp = client.post(f"/quiz/attempts/{attempt_id}/submit", data={**data, "csrf_token": token})
    assert resp.status_code == 404 and "页面不存在" in resp.get_data(as_text=True)
    item = items_of(db, attempt_id)[0]
    assert save(client, attempt_id, item.question.id, right_values(item), token).status_code == 404
    assert _untouched(db, attempt_id)


def test_double_submit_grades_once(client, make_user, login, synced, db):
    login(make_user())
    attempt_id = start_lesson(client)
    right, wrong = form_for(db, attempt_id), form_for(db, attempt_id, right=0)
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    first = client.post(f"/quiz/attempts/{attempt_id}/submit", data={**right, "csrf_token": token})
    again = client.post(f"/quiz/attempts/{attempt_id}/submit", data={**wrong, "csrf_token": token},
                        follow_redirects=True)
    assert first.status_code == 302
    assert "本次答题已经交卷，不能重复提交" in again.get_data(as_text=True)
    with db() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.score == 100 and attempt.passed
        assert len(s.exec(select(Attempt)).all()) == 1
    # Saving an answer into a submitted attempt is refused as well.
    item = items_of(db, attempt_id)[0]
    resp = save(client, attempt_id, item.question.id, right_values(item), token)
    assert resp.status_code == 409 and "已经交卷" in resp.json["message"]


def test_submission_after_the_deadline_is_refused(client, make_user, login, synced, db):
    clock.freeze(datetime(2025, 6, 1, 1, 0, tzinfo=UTC))
    user = make_user()
    login(user)
    pass_all_lessons(db, user.id)
    resp = start_exam(client)
    attempt_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    data = form_for(db, attempt_id)
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    clock.advance(minutes=30)
    item = items_of(db, attempt_id)[0]
    late = save(client, attempt_id, item.question.id, right_values(item), token)
    assert late.status_code == 409 and "考试时间已到，该答案未被保存" in late.json["message"]
    resp = client.post(f"/quiz/attempts/{attempt_id}/submit", data={**data, "csrf_token": token}, follow_redirects=True)
    assert "考试时间已到" in resp.get_data(as_text=True)
    with db() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.expired and attempt.score == 0
        assert all(r.answer is None for r in s.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)))


def test_question_ids_not_in_the_attempt_are_refused(client, make_user, login, synced, db):
    login(make_user())
    attempt_id = start_lesson(client)
    in_attempt = {i.question.id for i in items_of(db, attempt_id)}
    with db() as s:
        foreign = next(q.id for q in s.exec(select(Question)) if q.id not in in_attempt)
    for extra in ({f"q_{foreign}": ["0"]}, {"q_abc": ["0"]}):
        resp = submit(client, attempt_id, {**form_for(db, attempt_id), **extra})
        assert resp.status_code == 400
        assert "提交的题目不属于本次答题" in resp.get_data(as_text=True)
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    resp = save(client, attempt_id, foreign, ["0"], token)
    assert resp.status_code == 400 and "该题不属于本次答题" in resp.json["message"]
    assert _untouched(db, attempt_id)


def test_empty_blank_answer_is_refused(client, make_user, login, synced, db):
    login(make_user())
    attempt_id = start_lesson(client)
    blank = next(i for i in items_of(db, attempt_id) if i.question.type == "blank")
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    resp = save(client, attempt_id, blank.question.id, ["  　 "], token)
    assert resp.status_code == 400 and "填空题答案不能为空" in resp.json["message"]
    data = form_for(db, attempt_id)
    data[f"q_{blank.question.id}"] = [""]
    resp = submit(client, attempt_id, data)
    assert resp.status_code == 400 and f"第 {blank.number} 题" in resp.get_data(as_text=True)
    with db() as s:  # not graded; the empty 填空 stays empty (the other answers are kept, issue 12)
        attempt = s.get(Attempt, attempt_id)
        assert attempt.submitted_at is None and attempt.score is None
        row = s.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id,
                                                   AttemptQuestion.question_id == blank.question.id)).one()
        assert row.answer is None


def test_save_endpoint_needs_the_csrf_header(client, make_user, login, synced, db):
    login(make_user())
    attempt_id = start_lesson(client)
    item = items_of(db, attempt_id)[0]
    resp = client.post(f"/quiz/attempts/{attempt_id}/answer", data={"question": item.question.id, "value": "0"})
    assert resp.status_code == 400
    assert _untouched(db, attempt_id)


def test_saving_an_answer_after_logging_out_says_so_in_json(client, make_user, login, synced, db):
    """exam.js reads the JSON message: a login that ended mid-exam is named, not shown as a
    network failure (a redirect to the login page is not JSON)."""
    login(make_user())
    attempt_id = start_lesson(client)
    item = items_of(db, attempt_id)[0]
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    client.post("/logout", data={"csrf_token": token})
    resp = save(client, attempt_id, item.question.id, ["0"], csrf_token(client))
    assert resp.status_code == 401 and resp.is_json
    assert resp.json["ok"] is False and "登录已失效" in resp.json["message"]
    assert _untouched(db, attempt_id)
