"""The 防挂机 check in Chromium: ignored, crediting pauses; answered, it resumes (2 s beats,
a check after 4 s of credited study, 3 s to answer)."""

from __future__ import annotations

import pytest

from tests.e2e.test_tracker import LESSON, credited_seconds, wait_until


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "BEAT_INTERVAL_SECONDS": 2,
        "IDLE_TIMEOUT_SECONDS": 120,
        "PRESENCE_CHECK_MIN_SECONDS": 4,
        "PRESENCE_CHECK_MAX_SECONDS": 4,
        "PRESENCE_CHECK_TIMEOUT_SECONDS": 3,
    }


def test_ignored_presence_check_pauses_crediting(page, live_server, make_user, synced, db, browser_login, shot):
    user = make_user()
    browser_login(page, user)
    page.goto(live_server + LESSON)
    status = page.locator("#study-tracker [data-role=status]")
    dialog = page.get_by_role("dialog", name="您还在学习吗？")
    dialog.wait_for(timeout=20_000)
    shot(page, "presence-check")

    # Nobody answers: after the grace period crediting pauses and the page says why.
    status.filter(has_text="已暂停：等待确认在学").wait_for(timeout=15_000)
    paused_total = credited_seconds(db, user.id)
    page.wait_for_timeout(5000)
    assert credited_seconds(db, user.id) == paused_total
    assert dialog.is_visible()

    # The click resumes crediting.
    page.get_by_role("button", name="我在学习，继续计时").click()
    status.filter(has_text="学习中").wait_for(timeout=10_000)
    assert not dialog.is_visible()
    wait_until(page, lambda: credited_seconds(db, user.id) > paused_total)
