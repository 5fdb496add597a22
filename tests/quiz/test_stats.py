"""Statistics for secretaries and admins, within their scope."""

from __future__ import annotations

import re

from tests.conftest import csrf_token
from tests.quiz.helpers import COURSE, form_for, items_of, start_lesson, submit


def _take(client, login, user, db, right):
    login(user)
    attempt_id = start_lesson(client)
    submit(client, attempt_id, form_for(db, attempt_id, right=right))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    return items_of(db, attempt_id)


def _row(html: str, stem: str) -> list[str]:
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if stem in r)
    return re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row)


def test_secretary_sees_own_branch_only_worst_first(client, login, tree, synced, db):
    # 党员甲 (branch 1) gets everything wrong twice; 党员乙 (branch 2) everything right once.
    items = _take(client, login, tree["m1"], db, right=0)
    _take(client, login, tree["m1"], db, right=1)
    _take(client, login, tree["m2"], db, right=None)
    first, second = items[0].question, items[1].question

    login(tree["sec1"])
    html = client.get(f"/quiz/stats/{COURSE}").get_data(as_text=True)
    assert _row(html, second.stem) == ["2", "0", "0%"]  # the foreign branch is not counted
    assert _row(html, first.stem) == ["2", "1", "50%"]
    assert html.index(second.stem) < html.index(first.stem)  # worst first
    assert "党员甲" in html and "党员乙" not in html
    assert re.search(r"<td[^>]*>党员甲</td>\s*<td class=\"num\"[^>]*>2</td>\s*<td class=\"num\"[^>]*>0/7</td>", html)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(tree["admin"])
    html = client.get(f"/quiz/stats/{COURSE}").get_data(as_text=True)
    assert _row(html, second.stem) == ["3", "1", "33%"]
    assert "党员甲" in html and "党员乙" in html
    assert re.search(r"<td[^>]*>党员乙</td>\s*<td class=\"num\"[^>]*>1</td>\s*<td class=\"num\"[^>]*>1/7</td>", html)


def test_members_get_403_and_managers_see_the_nav_link(client, login, tree, synced):
    login(tree["m1"])
    assert client.get(f"/quiz/stats/{COURSE}").status_code == 403
    assert client.get("/quiz/stats").status_code == 403
    assert "答题统计" not in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(tree["sec1"])
    home = client.get("/").get_data(as_text=True)
    assert 'href="/quiz/stats"' in home
    assert COURSE in client.get("/quiz/stats").get_data(as_text=True)


def test_exam_pool_questions_are_counted_and_marked(client, login, tree, synced, db):
    from lms import clock
    from lms.quiz import answering, attempts
    from tests.quiz.helpers import course_and_lessons, pass_all_lessons, right_values

    course, _ = course_and_lessons(db)
    pass_all_lessons(db, tree["m1"].id)
    with db() as s:
        exam = attempts.start_exam_attempt(session=s, user_id=tree["m1"].id, course=course, now=clock.now())
        items = attempts.attempt_items(session=s, attempt=exam)
        answering.submit(session=s, attempt=exam, answers={i.question.id: right_values(i) for i in items},
                         now=clock.now())
        s.commit()
    login(tree["sec1"])
    html = client.get(f"/quiz/stats/{COURSE}").get_data(as_text=True)
    first = items[0].question
    assert first.exam_pool and _row(html, first.stem) == ["1", "1", "100%"]
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if first.stem in r)
    assert '<span class="tag">考试题库</span>' in row
