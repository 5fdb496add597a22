"""tracker.js when the server is briefly unavailable (503 while the database restarts): it says so,
retries with backoff, and carries on crediting once the server answers again."""

from __future__ import annotations

import pytest

from tests.e2e.test_tracker import LESSON, credited_seconds, shown_seconds, wait_until


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BEAT_INTERVAL_SECONDS": 2, "PRESENCE_CHECK_MIN_SECONDS": 600,
            "PRESENCE_CHECK_MAX_SECONDS": 600}


def test_tracker_retries_after_503_and_resumes(page, live_server, make_user, synced, db, browser_login, shot):
    user = make_user(name="重试党员")
    browser_login(page, user)
    failing = {"on": True, "answered": 0}

    def beat_route(route):
        if failing["on"]:
            failing["answered"] += 1
            route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "5"},
                          body='{"state": "unavailable", "message": "服务器暂时无法连接数据库，请稍后重试。"}')
        else:
            route.continue_()

    page.route("**/hours/beat", beat_route)
    page.goto(live_server + LESSON)
    status = page.locator("#study-tracker [data-role=status]")
    status.filter(has_text="服务器繁忙，正在重试").wait_for(timeout=10_000)
    shot(page, "tracker-retrying")
    wait_until(page, lambda: failing["answered"] >= 3)  # it keeps trying rather than giving up
    assert credited_seconds(db, user.id) == 0

    failing["on"] = False  # the database is back
    status.filter(has_text="学习中").wait_for(timeout=10_000)
    wait_until(page, lambda: shown_seconds(page) > 0 and credited_seconds(db, user.id) > 0)
