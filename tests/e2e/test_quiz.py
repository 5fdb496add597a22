"""In Chromium: take a lesson quiz, fail it, retake it, pass it, see the review; exam answers autosave."""

from __future__ import annotations

import re

from tests.e2e.test_browse import serious_violations
from tests.quiz.helpers import COURSE, LESSON, items_of, pass_all_lessons


def _answer(page, db, right: bool) -> None:
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)", page.url).group(1))
    for item in items_of(db, attempt_id):
        q = item.question
        box = page.locator(f'fieldset[data-question="{q.id}"]')
        if q.type == "blank":
            box.get_by_role("textbox").fill(q.answer[0] if right else "不知道")
        elif q.type == "judge":
            box.get_by_text("正确" if q.answer[0] == right else "错误", exact=True).click()
        else:
            key = {"ABCDEFGH".index(a) for a in q.answer}
            wanted = [i for i in item.aq.option_order if (i in key) == right]
            for idx in wanted if right else wanted[:1]:
                box.locator("label", has_text=q.options[idx]).click()


def test_fail_retake_pass_and_review(page, live_server, make_user, synced, browser_login, db, shot):
    browser_login(page, make_user(name="李测验"))
    page.goto(f"{live_server}/courses/{COURSE}/{LESSON}")
    page.get_by_role("button", name="开始测验").click()
    assert page.get_by_role("heading", name="好干部标准与基本条件资格").is_visible()
    assert serious_violations(page) == []
    _answer(page, db, right=False)
    shot(page, "quiz-attempt")
    page.get_by_role("button", name="交卷").click()
    assert page.get_by_text("未达到 80 分的合格线").is_visible()
    assert page.get_by_role("heading", name=re.compile("第 1 次作答 · 未通过")).is_visible()
    assert page.locator(".review-facts").first.is_visible()  # answers and 解析 right after submitting

    page.get_by_role("button", name="重新测验").click()
    assert "第 2 次作答" in page.locator(".eyebrow").inner_text()
    _answer(page, db, right=True)
    page.get_by_role("button", name="交卷").click()
    assert page.get_by_text("得分 100 分，通过！").is_visible()
    assert page.get_by_role("heading", name=re.compile("第 2 次作答 · 通过")).is_visible()
    assert page.get_by_text("正确答案").first.is_visible() and page.get_by_text("解析").first.is_visible()
    shot(page, "quiz-review")
    assert serious_violations(page) == []
    # 出处 links to the lesson section.
    page.locator(".review-facts a").first.click()
    assert "#" in page.url and page.get_by_text("已通过", exact=True).is_visible()
    assert page.get_by_text("测验已通过，还需学习 30 分钟即完成本课").is_visible()
    page.goto(f"{live_server}/courses/{COURSE}")
    # The quiz is passed, but the lesson completes only once its study time is reached too.
    assert page.get_by_text("测验已通过 · 还需学满学时").is_visible()
    assert page.get_by_text("已完成 0/7 必修课").is_visible()


def test_exam_answers_save_as_given(page, live_server, make_user, synced, browser_login, db, shot):
    user = make_user(name="王考试")
    pass_all_lessons(db, user.id)
    browser_login(page, user)
    page.goto(f"{live_server}/courses/{COURSE}")
    page.get_by_role("button", name="开始考试").click()
    timer = page.locator(".timer-value")
    assert re.fullmatch(r"(29:5\d|30:00)", timer.inner_text())
    first = page.locator("fieldset[data-question]").first.locator("input").first
    is_text = first.get_attribute("type") == "text"
    if is_text:
        first.fill("答案")
        first.blur()
    else:
        first.check()
    page.locator(".save-status").first.filter(has_text="已保存").wait_for()
    shot(page, "exam-autosave")
    assert serious_violations(page) == []
    page.reload()  # nothing is lost
    again = page.locator("fieldset[data-question]").first.locator("input").first
    assert again.input_value() == "答案" if is_text else again.is_checked()
