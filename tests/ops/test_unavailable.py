"""The database goes away (PostgreSQL restarting, SQLite locked): a clean 503, never a 500 page,
and the next request after it is back works without restarting the app."""

from __future__ import annotations

import re
import sqlite3

import pytest
import sqlalchemy as sa
from sqlmodel import select

from lms import clock
from tests.conftest import csrf_token

LESSON_PATH = "/courses/cadre-selection-regulations/good-cadre-standard"
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def _start(client) -> tuple[str, str]:
    html = client.get(LESSON_PATH).get_data(as_text=True)
    csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)
    lesson_id = re.search(r'data-lesson-id="(\d+)"', html).group(1)
    ticket = re.search(r'data-ticket="([^"]+)"', html).group(1)
    resp = client.post("/hours/start", data={"lesson_id": lesson_id, "ticket": ticket}, headers={"X-CSRFToken": csrf})
    assert resp.status_code == 200
    return csrf, resp.get_json()["token"]


def _credited(db, user_id: int) -> int:
    from lms.hours.models import LedgerEntry

    with db() as s:
        return sum(s.exec(select(LedgerEntry.seconds).where(LedgerEntry.user_id == user_id)))


def test_beat_answers_503_json_while_the_database_is_down_and_recovers(app, client, login, make_user, synced, db):
    user = make_user()
    login(user)
    clock.freeze(clock.now().replace(hour=4, minute=0))  # 12:00 in Beijing, far from midnight
    csrf, token = _start(client)
    real_engine = app.extensions["lms_engine"]
    app.extensions["lms_engine"] = sa.create_engine(UNREACHABLE)
    try:
        clock.advance(seconds=10)
        resp = client.post("/hours/beat", data={"token": token}, headers={"X-CSRFToken": csrf})
        assert resp.status_code == 503
        assert resp.is_json and resp.get_json()["state"] == "unavailable"
        assert "数据库" in resp.get_json()["message"]
        assert int(resp.headers["Retry-After"]) > 0
    finally:
        app.extensions["lms_engine"].dispose()
        app.extensions["lms_engine"] = real_engine
    # Back within two intervals: the tracker's retry credits the time across the outage.
    clock.advance(seconds=10)
    resp = client.post("/hours/beat", data={"token": token}, headers={"X-CSRFToken": csrf})
    assert resp.status_code == 200 and resp.get_json()["credited"] == 20
    assert _credited(db, user.id) == 20


def test_pages_answer_a_chinese_503_page_while_the_database_is_down(app, client, login, make_user, synced):
    login(make_user())
    real_engine = app.extensions["lms_engine"]
    app.extensions["lms_engine"] = sa.create_engine(UNREACHABLE)
    try:
        resp = client.get("/")
        assert resp.status_code == 503
        page = resp.get_data(as_text=True)
        assert "服务暂时不可用" in page and "服务器出错了" not in page
        # The page's stylesheet does not need the database.
        assert client.get("/static/css/site.css").status_code == 200
        # Nor do the slices' own scripts and styles (lms/<slice>/static).
        for url in ("/hours/static/js/tracker.js", "/quiz/static/js/exam.js",
                    "/certificates/static/css/certificates.css", "/certificates/static/cert/emblem.svg"):
            assert client.get(url).status_code == 200, url
    finally:
        app.extensions["lms_engine"].dispose()
        app.extensions["lms_engine"] = real_engine
    assert client.get("/").status_code == 200


def test_a_database_error_inside_a_view_is_a_503_not_a_500(client, login, make_user, synced, monkeypatch):
    from lms.content import views

    login(make_user())

    def broken(**kw):
        raise sa.exc.OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(views.progress, "progress_for", broken)
    resp = client.get("/")
    assert resp.status_code == 503 and "服务暂时不可用" in resp.get_data(as_text=True)


def test_lesson_page_writes_even_when_another_writer_committed_after_login_was_read(
    app, client, login, make_user, synced, monkeypatch
):
    """SQLite: the lesson page (a GET that records the visit) reads the user first; if another worker
    commits in between, upgrading that old read snapshot would fail at once with "database is
    locked". The write transaction must start fresh (BEGIN IMMEDIATE) instead."""
    url = app.config["DATABASE_URL"]
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's read-snapshot upgrade; PostgreSQL has no such failure")
    from lms.extensions import login_manager

    login(make_user())
    csrf_token(client, LESSON_PATH)  # the page works at all
    load_user = login_manager._user_callback

    calls = []

    def load_user_then_another_worker_commits(ident):
        calls.append(ident)
        user = load_user(ident)  # this request's session now holds a read snapshot
        other = sqlite3.connect(sa.engine.make_url(url).database, timeout=5)
        with other:
            other.execute("UPDATE organization SET name = name || '（已更名）'")  # a real change
        other.close()
        return user

    monkeypatch.setattr(login_manager, "_user_callback", load_user_then_another_worker_commits)
    resp = client.get(LESSON_PATH)
    assert calls, "the user loader did not run"
    assert resp.status_code == 200, resp.status_code
    assert 'id="study-tracker"' in resp.get_data(as_text=True)
