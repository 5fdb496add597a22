"""学习心得: answers to a lesson's 思考题 — drafts, submitting, withdrawing, the lists by year,
length and plain-text rules, and who may read them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from lms import clock
from lms.content.reflection import reflection_prompts
from tests.conftest import PASSWORD, csrf_token

CST = ZoneInfo("Asia/Shanghai")
COURSE = "cadre-selection-regulations"
LESSON = "good-cadre-standard"
LESSON_PATH = f"/courses/{COURSE}/{LESSON}"
CONTENT = Path(__file__).resolve().parents[2] / "content" / "courses"


@pytest.fixture
def lesson_id(synced, db):
    from lms.content.models import Lesson

    with db() as s:
        return s.exec(select(Lesson).where(Lesson.key == f"{COURSE}/{LESSON}")).one().id


class Writer:
    """A signed-in browser writing on the lesson page, as notes.js does (CSRF header, form body)."""

    def __init__(self, app, user, lesson_id):
        self.client = app.test_client()
        token = csrf_token(self.client)
        self.client.post("/login", data={"login": user.login_name, "password": PASSWORD, "csrf_token": token})
        self.csrf = csrf_token(self.client, LESSON_PATH)
        self.lesson_id = lesson_id

    def post(self, action: str, item: int = 1, **data):
        return self.client.post(f"/notes/lessons/{self.lesson_id}/{item}/{action}", data=data,
                                headers={"X-CSRFToken": self.csrf, "Accept": "application/json"})

    def get(self, path: str):
        return self.client.get(path)


def rows(db, **where):
    from lms.notes.models import NoteAnswer

    with db() as s:
        stmt = select(NoteAnswer)
        for k, v in where.items():
            stmt = stmt.where(getattr(NoteAnswer, k) == v)
        return s.exec(stmt.order_by(NoteAnswer.id)).all()


# ---------------------------------------------------------------- the questions


def test_the_prompts_are_the_items_of_the_thinking_section():
    body = "## 一、正文\n\n1. 不是思考题\n\n## 思考题\n\n1. 第一问**加粗**\n   接着写\n2. 第二问 `代码`\n   - 子项不算\n\n## 附\n\n1. 也不是\n"
    assert reflection_prompts(body) == ("第一问加粗接着写", "第二问 代码")
    assert reflection_prompts("## 要点回顾\n\n1. 无思考题\n") == ()


def test_every_lesson_has_questions_to_answer():
    for path in sorted(CONTENT.glob("*/[0-9]*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        assert len(reflection_prompts(body)) >= 2, path.name


# ---------------------------------------------------------------- writing


def test_a_draft_autosaves_and_comes_back_on_the_lesson_page(app, make_user, lesson_id, db):
    user = make_user(name="张心得")
    w = Writer(app, user, lesson_id)
    page = w.get(LESSON_PATH).get_data(as_text=True)
    first = reflection_prompts(rows_body(db, lesson_id))[0]
    assert 'id="notes"' in page and first in page
    assert page.index('id="notes"') < page.index('id="quiz"')  # after the lesson text, before the quiz

    resp = w.post("draft", body="第一稿")
    assert resp.status_code == 200
    assert resp.get_json()["ok"] and resp.get_json()["state"] == "draft"
    resp = w.post("draft", body="第一稿，接着写\r\n第二段")
    assert resp.get_json()["body"] == "第一稿，接着写\n第二段"
    (row,) = rows(db, user_id=user.id)
    assert (row.item, row.status, row.prompt, row.year) == (1, "draft", first, clock.today().year)
    page = w.get(LESSON_PATH).get_data(as_text=True)
    assert "第一稿，接着写\n第二段</textarea>" in page and "草稿已保存" in page
    # Emptied, the draft goes away.
    assert w.post("draft", body="  \n").get_json()["state"] == "empty"
    assert rows(db, user_id=user.id) == []


def rows_body(db, lesson_id) -> str:
    from lms.content.models import Lesson

    with db() as s:
        return s.get(Lesson, lesson_id).body_md


def test_submit_is_final_until_withdrawn(app, make_user, lesson_id, db):
    user = make_user()
    w = Writer(app, user, lesson_id)
    w.post("draft", item=2, body="草稿")
    resp = w.post("submit", item=2, body="定稿的心得")  # the text of the box at that moment
    body = resp.get_json()
    assert resp.status_code == 200 and body["state"] == "submitted" and body["body"] == "定稿的心得"
    assert body["submitted_at"].startswith(str(clock.today().year))
    # A late autosave from another tab cannot overwrite it.
    resp = w.post("draft", item=2, body="迟到的草稿")
    assert resp.status_code == 409 and "撤回修改" in resp.get_json()["message"]
    assert w.post("submit", item=2, body="定稿的心得").status_code == 200  # the same text again: no change
    assert w.post("submit", item=2, body="另一版").status_code == 409
    (row,) = rows(db, user_id=user.id)
    assert (row.status, row.body) == ("submitted", "定稿的心得")
    page = w.get(LESSON_PATH).get_data(as_text=True)
    assert "定稿的心得</p>" in page and "撤回修改" in page

    resp = w.post("withdraw", item=2)
    assert resp.get_json()["state"] == "draft" and resp.get_json()["body"] == "定稿的心得"
    assert w.post("draft", item=2, body="修改后的心得").status_code == 200
    assert w.post("submit", item=2, body="修改后的心得").get_json()["state"] == "submitted"
    (row,) = rows(db, user_id=user.id)
    assert (row.status, row.body) == ("submitted", "修改后的心得")


def test_an_empty_answer_cannot_be_submitted(app, make_user, lesson_id, db):
    w = Writer(app, make_user(), lesson_id)
    resp = w.post("submit", body=" \n ")
    assert resp.status_code == 400 and resp.get_json()["message"] == "请先写下您的回答，再点击提交。"
    assert w.post("withdraw").status_code == 404


def test_too_long_gets_a_clear_message_and_nothing_is_cut(app, make_user, lesson_id, db):
    user = make_user()
    w = Writer(app, user, lesson_id)
    assert w.post("draft", body="字" * 2000).status_code == 200
    for action in ("draft", "submit"):
        resp = w.post(action, body="字" * 2001)
        assert resp.status_code == 400
        assert resp.get_json()["message"] == "每题回答最多 2000 字，现在是 2001 字，请删减 1 字后再保存。"
    (row,) = rows(db, user_id=user.id)
    assert len(row.body) == 2000 and row.status == "draft"  # the last good draft stays
    page = w.get(LESSON_PATH).get_data(as_text=True)
    assert "2000/2000 字" in page  # the counter the script keeps up to date


def test_plain_text_only(app, make_user, lesson_id, db):
    user = make_user()
    w = Writer(app, user, lesson_id)
    resp = w.post("submit", body="<script>alert(1)</script>**粗体**\x00完")
    assert resp.status_code == 400 and "空字符（U+0000）" in resp.get_json()["message"]  # PostgreSQL refuses NUL
    w.post("submit", body="<script>alert(1)</script>**粗体**\x07完")
    (row,) = rows(db, user_id=user.id)
    assert row.body == "<script>alert(1)</script>**粗体**完"  # control characters dropped
    for path in (LESSON_PATH, "/notes/"):
        html = w.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;**粗体**完" in html and "<script>alert(1)" not in html


def test_only_the_lessons_questions_can_be_answered(app, make_user, lesson_id, db):
    from lms.content.models import Lesson

    w = Writer(app, make_user(), lesson_id)
    count = len(reflection_prompts(rows_body(db, lesson_id)))
    resp = w.post("draft", item=count + 1, body="没有这道题")
    assert resp.status_code == 404 and "没有这道思考题" in resp.get_json()["message"]
    assert w.client.post("/notes/lessons/999999/1/draft", data={"body": "x"},
                         headers={"X-CSRFToken": w.csrf}).status_code == 404
    with db() as s:
        s.get(Lesson, lesson_id).retired_at = clock.now()
    resp = w.post("draft", body="停用的课")
    assert resp.status_code == 404 and "已停用" in resp.get_json()["message"]


def test_logged_out_gets_401_json_and_a_missing_csrf_token_is_refused(app, client, make_user, lesson_id, db):
    # A page whose login has expired still holds a valid CSRF token.
    resp = client.post(f"/notes/lessons/{lesson_id}/1/draft", data={"body": "x"},
                       headers={"X-CSRFToken": csrf_token(client)})
    assert resp.status_code == 401 and resp.get_json()["state"] == "login"
    assert "重新登录" in resp.get_json()["message"]
    user = make_user()
    w = Writer(app, user, lesson_id)
    for action in ("draft", "submit", "withdraw"):
        resp = w.client.post(f"/notes/lessons/{lesson_id}/1/{action}", data={"body": "无令牌"})
        assert resp.status_code == 400
        resp = w.client.post(f"/notes/lessons/{lesson_id}/1/{action}", data={"body": "错令牌"},
                             headers={"X-CSRFToken": "forged"})
        assert resp.status_code == 400
    assert rows(db, user_id=user.id) == []


# ---------------------------------------------------------------- the lists


def test_the_members_list_is_per_year(app, make_user, lesson_id, db):
    user = make_user()
    w = Writer(app, user, lesson_id)
    clock.freeze(datetime(2025, 12, 31, 23, 30, tzinfo=CST))
    w.post("submit", item=1, body="二〇二五年的心得")
    clock.freeze(datetime(2026, 1, 2, 9, 0, tzinfo=CST))
    w.post("draft", item=2, body="二〇二六年的草稿")
    this_year = w.get("/notes/").get_data(as_text=True)
    assert "我的学习心得" in this_year and "二〇二六年的草稿" in this_year and "草稿" in this_year
    assert "二〇二五年的心得" not in this_year
    assert '<option value="2025">' in this_year  # the years with answers can be chosen
    last_year = w.get("/notes/?year=2025").get_data(as_text=True)
    assert "二〇二五年的心得" in last_year and "已提交" in last_year and "二〇二六年的草稿" not in last_year
    assert "2025年12月31日 23:30" in last_year  # when it was submitted, local time
    assert "好干部标准与基本条件资格" in last_year and f"{LESSON_PATH}#notes" in last_year
    # Withdrawn and submitted again this year, it moves to this year.
    w.post("withdraw", item=1)
    w.post("submit", item=1, body="二〇二五年的心得，补充")
    assert "二〇二五年的心得，补充" in w.get("/notes/").get_data(as_text=True)
    assert "学习心得" in w.get("/notes/?year=2025").get_data(as_text=True)
    nav = w.get("/").get_data(as_text=True)
    assert 'href="/notes/"' in nav  # 学习心得 in the main navigation


# ---------------------------------------------------------------- who reads them


def test_a_secretary_in_scope_reads_submitted_answers_from_the_member_page(app, tree, lesson_id, db):
    m1 = tree["m1"]
    w = Writer(app, m1, lesson_id)
    w.post("submit", item=1, body="交给支部的心得")
    w.post("draft", item=2, body="还没写完的草稿")

    sec1 = Writer(app, tree["sec1"], lesson_id)
    member_page = sec1.get(f"/orgs/members/{m1.id}").get_data(as_text=True)
    assert "年度学习心得" in member_page and "已提交 1 篇" in member_page
    assert f'href="/notes/members/{m1.id}"' in member_page
    resp = sec1.get(f"/notes/members/{m1.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "党员甲的学习心得" in html
    assert "交给支部的心得" in html and "还没写完的草稿" not in html  # drafts stay the member's own
    admin = Writer(app, tree["admin"], lesson_id)
    assert "交给支部的心得" in admin.get(f"/notes/members/{m1.id}").get_data(as_text=True)

    # Another branch's secretary: 404, as if the member did not exist.
    sec2 = Writer(app, tree["sec2"], lesson_id)
    assert sec2.get(f"/notes/members/{m1.id}").status_code == 404
    # A member reads only their own: the secretaries' page is closed, their own list shows their own.
    other = Writer(app, tree["m1b"], lesson_id)
    assert other.get(f"/notes/members/{m1.id}").status_code == 403
    assert "交给支部的心得" not in other.get("/notes/").get_data(as_text=True)
    assert "交给支部的心得" not in other.get(LESSON_PATH).get_data(as_text=True)
    # Writing to the same question writes the writer's own answer, never someone else's.
    other.post("submit", item=1, body="丙的心得")
    assert [r.body for r in rows(db, user_id=m1.id, item=1)] == ["交给支部的心得"]
