"""学习心得 in Chromium on a 360 px phone: write an answer, see it saved, reload, submit; a dropped
connection loses nothing; writing keeps the study tracker counting."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.e2e.test_browse import serious_violations
from tests.e2e.test_tracker import credited_seconds, wait_until

LESSON = "/courses/cadre-selection-regulations/good-cadre-standard"
ANSWER = "对照五句话，我最需要加强的是敢于担当。\n今后在工作中主动承担急难险重任务。"


@pytest.fixture
def app_config(app_config):
    # Beats every 2 s and an idle limit of 3 s: only steady activity keeps the time counting.
    return {**app_config, "BEAT_INTERVAL_SECONDS": 2, "IDLE_TIMEOUT_SECONDS": 3,
            "PRESENCE_CHECK_MIN_SECONDS": 600, "PRESENCE_CHECK_MAX_SECONDS": 600}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def answers(db, user_id):
    from lms.notes.models import NoteAnswer

    with db() as s:
        return [(a.item, a.status, a.body) for a in
                s.exec(select(NoteAnswer).where(NoteAnswer.user_id == user_id).order_by(NoteAnswer.item))]


def test_write_save_reload_submit_on_a_phone(phone, live_server, make_user, synced, browser_login, db, shot):
    page = phone
    user = make_user(name="赵心得")
    browser_login(page, user)
    page.goto(f"{live_server}{LESSON}")
    box = page.get_by_label("对照好干部标准的五句话，你认为自己在哪一方面最需要加强？打算怎样改进？")
    box.scroll_into_view_if_needed()
    box.press_sequentially(ANSWER, delay=15)
    item = page.locator("#note-1")
    item.locator("[data-role=note-status]").filter(has_text="已保存").wait_for()
    assert item.locator("[data-role=count]").inner_text() == f"{len(ANSWER)}/2000 字"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    shot(page, "notes-draft-360")
    assert serious_violations(page) == []

    page.reload()
    box = page.locator("#note-1-text")
    assert box.input_value() == ANSWER
    assert answers(db, user.id) == [(1, "draft", ANSWER)]
    page.locator("#note-1 [data-role=submit]").click()
    done = page.locator("#note-1 [data-role=done]")
    done.get_by_text("已提交").wait_for()
    assert done.locator("[data-role=body]").inner_text() == ANSWER
    assert answers(db, user.id) == [(1, "submitted", ANSWER)]
    shot(page, "notes-submitted-360")

    page.reload()
    assert page.locator("#note-1 [data-role=done]").is_visible() and not box.is_visible()
    # Withdrawn to edit, then submitted again.
    page.locator("#note-1 [data-role=withdraw]").click()
    page.locator("#note-1 [data-role=note-status]").filter(has_text="已撤回为草稿").wait_for()
    assert box.is_visible() and box.input_value() == ANSWER
    box.press("End")
    box.press_sequentially("坚持。", delay=15)
    page.locator("#note-1 [data-role=submit]").click()
    done.get_by_text("已提交").wait_for()
    assert answers(db, user.id) == [(1, "submitted", ANSWER + "坚持。")]
    page.get_by_role("link", name="我的学习心得").click()
    assert page.get_by_role("heading", name="我的学习心得").is_visible()
    assert page.get_by_text("对照五句话，我最需要加强的是敢于担当。").is_visible()
    shot(page, "notes-list-360")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []


def test_a_dropped_connection_loses_nothing(phone, live_server, make_user, synced, browser_login, db):
    page = phone
    user = make_user(name="钱断网")
    browser_login(page, user)
    page.goto(f"{live_server}{LESSON}")
    page.route("**/notes/lessons/**", lambda route: route.abort("internetdisconnected"))
    page.locator("#note-2-text").press_sequentially("断网时写下的心得", delay=15)
    page.locator("#note-2 [data-role=note-status]").filter(has_text="保存失败，正在重试").wait_for()
    assert answers(db, user.id) == []

    # The tab is closed and opened again later: the text comes back from the browser and is saved.
    page.unroute("**/notes/lessons/**")
    page.reload()
    assert page.locator("#note-2-text").input_value() == "断网时写下的心得"
    page.locator("#note-2 [data-role=note-status]").filter(has_text="已保存").wait_for()
    assert answers(db, user.id) == [(2, "draft", "断网时写下的心得")]
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('lms-note:')).length") == 0


def test_writing_keeps_the_study_time_counting(phone, live_server, make_user, synced, browser_login, db):
    """Writing is activity. With a 3 s idle limit, time stops counting 3 s after the last scroll or
    tap; 12 s of typing Chinese (text inserted as an IME does: input events, no keydown) keeps it
    counting all along."""
    page = phone
    user = make_user(name="孙计时")
    browser_login(page, user)
    page.goto(f"{live_server}{LESSON}")
    status = page.locator("#study-tracker [data-role=status]")
    wait_until(page, lambda: "学习中" in status.inner_text())
    box = page.locator("#note-3-text")
    box.scroll_into_view_if_needed()
    before = credited_seconds(db, user.id)
    box.press_sequentially("实" * 12, delay=1000)  # 12 s of steady typing, one short line
    assert "学习中" in status.inner_text()
    # Without the typing, at most the idle limit and one beat interval (about 5 s) would count.
    wait_until(page, lambda: credited_seconds(db, user.id) - before >= 10, timeout_s=8)


def test_an_idle_phone_page_stays_idle(phone, live_server, make_user, synced, browser_login, db):
    """Read below the tracker on a phone: the idle status wraps to two lines, the page above grows,
    and the browser's scroll anchoring scrolls the page. That scroll is the tracker's own doing and
    must not wake it (before, the page never stayed idle: every status change woke it up again)."""
    page = phone
    user = make_user(name="周挂机")
    browser_login(page, user)
    page.goto(f"{live_server}{LESSON}")
    status = page.locator("#study-tracker [data-role=status]")
    wait_until(page, lambda: "学习中" in status.inner_text())
    page.locator("#note-3-text").scroll_into_view_if_needed()
    wait_until(page, lambda: "长时间无操作" in status.inner_text(), timeout_s=12)
    idle_at = credited_seconds(db, user.id)
    page.wait_for_timeout(6000)  # three beat intervals
    assert "长时间无操作" in status.inner_text()
    assert credited_seconds(db, user.id) == idle_at
