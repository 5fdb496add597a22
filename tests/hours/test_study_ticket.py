"""A study session opens only from a lesson page the member loaded: the page's signed ticket,
fresh, theirs, for this lesson, used once. Without it nothing is credited, and the refusal is
kept as evidence. Start and presence are rate-limited per account."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lms import clock
from tests.conftest import csrf_token
from tests.hours.conftest import Tab, login_with, view_lesson


def events(db, user_id) -> list[str]:
    from lms.hours.models import StudyEvent

    with db() as s:
        return [e.kind for e in s.exec(select(StudyEvent).where(StudyEvent.user_id == user_id).order_by(StudyEvent.id))]


def raw_start(client, lesson_id, csrf, ticket=None):
    data = {"lesson_id": lesson_id} if ticket is None else {"lesson_id": lesson_id, "ticket": ticket}
    return client.post("/hours/start", data=data, headers={"X-CSRFToken": csrf})


def test_a_start_without_the_page_credits_nothing(client, db, make_user, lesson, frozen, ledger):
    from lms.hours.models import StudySession

    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    login_with(client, user)
    csrf = csrf_token(client, "/")  # any page but the lesson: no ticket
    resp = raw_start(client, lesson.id, csrf)
    assert resp.status_code == 409
    assert resp.get_json() == {"state": "no_ticket", "credited": 0, "lesson_seconds": 0, "cap_seconds": 0}
    with db() as s:
        assert s.get(StudySession, user.id) is None
    for _ in range(10):  # beating anyway, with or without a guessed token
        clock.advance(seconds=30)
        body = client.post("/hours/beat", data={"token": ""}, headers={"X-CSRFToken": csrf}).get_json()
        assert body["state"] == "superseded" and body["credited"] == 0
    assert ledger(user.id) == []
    assert events(db, user.id) == ["no_ticket"]


def test_forged_foreign_stale_and_used_tickets_open_nothing(app, client, db, make_user, lesson, frozen, ledger):
    user, other = make_user(), make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    other_client = app.test_client()
    login_with(other_client, other)
    _c, others_ticket = view_lesson(other_client)
    login_with(client, user)
    csrf, ticket = view_lesson(client)

    forged = ticket[:-3] + ("AAA" if not ticket.endswith("AAA") else "BBB")
    assert raw_start(client, lesson.id, csrf, forged).status_code == 409
    assert raw_start(client, lesson.id, csrf, others_ticket).status_code == 409
    other_lesson = lesson.id + 1
    assert raw_start(client, other_lesson, csrf, ticket).status_code in (404, 409)

    clock.advance(seconds=app.config["STUDY_TICKET_MAX_AGE_SECONDS"] + 1)
    assert raw_start(client, lesson.id, csrf, ticket).status_code == 409  # stale
    csrf, ticket = view_lesson(client)  # a new page view
    first = raw_start(client, lesson.id, csrf, ticket)
    assert first.status_code == 200 and first.get_json()["state"] == "studying"
    again = raw_start(client, lesson.id, csrf, ticket)  # the same view cannot open a second session
    assert again.status_code == 409 and again.get_json()["state"] == "no_ticket"
    # The session the ticket opened is unaffected by the refused reuse.
    tab = Tab(client, csrf, lesson.id, first.get_json()["token"])
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 30
    kinds = events(db, user.id)
    assert kinds[:2] == ["bad_ticket", "bad_ticket"]
    assert kinds[-2:] == ["stale_ticket", "used_ticket"]


def test_an_older_page_view_cannot_take_the_session_back(client, make_user, lesson, frozen):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    login_with(client, user)
    csrf, old_ticket = view_lesson(client)
    clock.advance(seconds=5)
    csrf, new_ticket = view_lesson(client)
    assert raw_start(client, lesson.id, csrf, new_ticket).status_code == 200
    assert raw_start(client, lesson.id, csrf, old_ticket).status_code == 409


def test_the_lesson_page_gives_a_ticket_for_its_member_and_lesson(client, make_user, lesson, frozen):
    from lms.hours import tickets

    user = make_user()
    moment = frozen(2025, 3, 10, 9, 0, 0)
    login_with(client, user)
    _csrf, raw = view_lesson(client)
    ticket = tickets.read("test-secret", raw)
    assert (ticket.user_id, ticket.lesson_id, ticket.view_ms) == (user.id, lesson.id, int(moment.timestamp() * 1000))
    assert tickets.read("another-secret", raw) is None


class TestLimits:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "STUDY_START_LIMIT": "5 per minute", "STUDY_PRESENCE_LIMIT": "5 per minute"}

    def test_start_and_presence_are_rate_limited_per_account(self, app, client, make_user, lesson, frozen):
        user, other = make_user(), make_user()
        frozen(2025, 3, 10, 9, 0, 0)
        login_with(client, user)
        codes = []
        for _ in range(7):
            csrf, ticket = view_lesson(client)
            clock.advance(milliseconds=5)
            codes.append(raw_start(client, lesson.id, csrf, ticket).status_code)
        assert codes == [200] * 5 + [429, 429]
        presence = [client.post("/hours/presence", data={"token": "x", "answer": "1"},
                                headers={"X-CSRFToken": csrf}).status_code for _ in range(7)]
        assert presence == [200] * 5 + [429, 429]
        # Another account (from the same address) is not held back.
        other_client = app.test_client()
        login_with(other_client, other)
        csrf, ticket = view_lesson(other_client)
        assert raw_start(other_client, lesson.id, csrf, ticket).status_code == 200
