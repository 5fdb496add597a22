"""Helpers for the 学时 tests: a lesson, and a member studying it through the real endpoints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from lms import clock
from tests.conftest import csrf_token

CST = ZoneInfo("Asia/Shanghai")
LESSON_PATH = "/courses/cadre-selection-regulations/good-cadre-standard"
LESSON_KEY = "cadre-selection-regulations/good-cadre-standard"


def at(*args) -> datetime:
    """A Beijing wall-clock moment."""
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def lesson(synced, db):
    from lms.content.models import Lesson

    with db() as s:
        return s.exec(select(Lesson).where(Lesson.key == LESSON_KEY)).one()


def view_lesson(client, path: str = LESSON_PATH) -> tuple[str, str]:
    """GET the lesson page as a browser does: (its CSRF token, its study ticket)."""
    html = client.get(path).get_data(as_text=True)
    csrf = re.search(r'data-csrf="([^"]+)"', html)
    ticket = re.search(r'data-ticket="([^"]+)"', html)
    assert csrf and ticket, "no study tracker on the lesson page"
    return csrf.group(1), ticket.group(1)


@dataclass
class Tab:
    """One browser tab on the lesson page: it holds the ticket of its page view and the token the
    server gave it. `start` views the page again first (as the page's reload does)."""

    client: object
    csrf: str
    lesson_id: int
    token: str | None = None
    ticket: str | None = None
    check: dict | None = None  # the presence check the page shows (from the last answer that had one)

    def start(self, *, reload: bool = True) -> dict:
        if reload or self.ticket is None:
            self.csrf, self.ticket = view_lesson(self.client)
        resp = self.client.post("/hours/start", data={"lesson_id": self.lesson_id, "ticket": self.ticket},
                                headers={"X-CSRFToken": self.csrf})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.get_json()
        self.token = body["token"]
        self.check = body.get("check")
        return body

    def beat(self, **extra) -> dict:
        resp = self.client.post("/hours/beat", data={"token": self.token, **extra},
                                headers={"X-CSRFToken": self.csrf})
        body = resp.get_json()
        # 429 only for the beat's own rate limit (a burst of early beats), which credits nothing
        assert resp.status_code == 200 or (resp.status_code == 429 and body["state"] == "too_many"
                                           and body["credited"] == 0), resp.get_data(as_text=True)
        if body.get("check"):  # the page keeps showing a challenge until the check is answered
            self.check = body["check"]
        elif body["state"] not in ("check_due", "paused_presence", "superseded", "too_many"):
            self.check = None
        return body

    def presence(self, answer: str | None = None) -> dict:
        """Click a number in the presence dialog: by default the one the page shows."""
        if answer is None and self.check is not None:
            answer = self.check["number"]
        resp = self.client.post("/hours/presence", data={"token": self.token, "answer": answer or ""},
                                headers={"X-CSRFToken": self.csrf})
        assert resp.status_code == 200
        return resp.get_json()


def login_with(client, user, password: str = "pass1234") -> None:
    resp = client.post("/login", data={"login": user.login_name, "password": password,
                                       "csrf_token": csrf_token(client)})
    assert resp.status_code == 302, "login failed"


@pytest.fixture
def open_lesson(client, lesson):
    """Log `user` in (once per client) and open the lesson page: returns a started Tab."""
    logged = {}

    def _open(user, client_=None) -> Tab:
        c = client_ or client
        if logged.get(id(c)) != user.id:
            login_with(c, user)
            logged[id(c)] = user.id
        tab = Tab(c, "", lesson.id)
        tab.start()
        return tab

    return _open


@pytest.fixture
def ledger(db):
    """[(source, local_date, seconds, lesson_id)] of one member, oldest first."""
    from lms.hours.models import LedgerEntry

    def _rows(user_id: int):
        with db() as s:
            rows = s.exec(select(LedgerEntry).where(LedgerEntry.user_id == user_id).order_by(LedgerEntry.id))
            return [(r.source, r.local_date.isoformat(), r.seconds, r.lesson_id) for r in rows]

    return _rows


@pytest.fixture
def frozen():
    def _freeze(*args) -> datetime:
        moment = at(*args)
        clock.freeze(moment)
        return moment

    return _freeze
