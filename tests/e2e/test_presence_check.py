"""The 防挂机 check in Chromium: the dialog shows a number to click among four; ignored, crediting
pauses; answered by clicking the number it shows, it resumes (2 s beats, a check after 4 s of
credited study, delivered by the first beat that may, 3 s to answer)."""

from __future__ import annotations

import pytest

from tests.e2e.test_tracker import LESSON, anomalies, credited_seconds, wait_until


def click_the_number(page) -> None:
    """What a person does: read the number in the dialog, find its button, click it."""
    dialog = page.get_by_role("dialog", name="您还在学习吗？")
    number = dialog.locator("[data-role=presence-number]").inner_text().strip()
    assert number.isdigit()
    dialog.get_by_role("button", name=number, exact=True).click()


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "BEAT_INTERVAL_SECONDS": 2,
        "IDLE_TIMEOUT_SECONDS": 120,
        "PRESENCE_CHECK_MIN_SECONDS": 4,
        "PRESENCE_CHECK_MAX_SECONDS": 4,
        "PRESENCE_CHECK_TIMEOUT_SECONDS": 3,
        "PRESENCE_CHECK_DELIVER_PERCENT": 100,
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

    # Clicking the number it shows resumes crediting.
    click_the_number(page)
    status.filter(has_text="学习中").wait_for(timeout=10_000)
    assert not dialog.is_visible()
    wait_until(page, lambda: credited_seconds(db, user.id) > paused_total)


def test_a_person_answers_the_check_and_is_not_flagged(app, page, live_server, make_user, synced, db, browser_login):
    user = make_user()
    browser_login(page, user)
    page.goto(live_server + LESSON)
    status = page.locator("#study-tracker [data-role=status]")
    dialog = page.get_by_role("dialog", name="您还在学习吗？")
    for _ in range(2):
        dialog.wait_for(timeout=20_000)
        assert dialog.locator("[data-role=presence-options] button").count() == 4
        page.wait_for_timeout(1200)  # a person reads the number first
        click_the_number(page)
        status.filter(has_text="学习中").wait_for(timeout=10_000)
        dialog.wait_for(state="hidden", timeout=5_000)
    assert credited_seconds(db, user.id) > 0
    assert anomalies(app, user.id) == []
