"""Many simultaneous beats for one member credit no more than the time that passed
(on SQLite and on PostgreSQL: run the suite with LMS_TEST_DATABASE_URL for the latter)."""

from __future__ import annotations

import threading

from lms import clock
from tests.hours.conftest import view_lesson

THREADS = 12


def fire_together(clients, tab) -> list[dict]:
    barrier = threading.Barrier(len(clients))
    results: list[dict] = []
    errors: list[BaseException] = []

    def fire(c):
        try:
            barrier.wait(timeout=10)
            resp = c.post("/hours/beat", data={"token": tab.token}, headers={"X-CSRFToken": tab.csrf})
            body = resp.get_json()
            # 12 beats at one instant: past the burst of early beats the rest are refused (429)
            assert resp.status_code == 200 or (resp.status_code == 429 and body["state"] == "too_many"), body
            results.append(body)
        except BaseException as e:  # reported below, not swallowed
            errors.append(e)

    threads = [threading.Thread(target=fire, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


def test_simultaneous_beats_credit_at_most_the_elapsed_time(app, make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clients = _same_login(app, tab, THREADS)

    for rnd in range(1, 4):
        clock.advance(seconds=30)
        results = fire_together(clients, tab)
        assert len(results) == THREADS
        assert sum(r["credited"] for r in results) == 30, results
        online = sum(s for src, _d, s, _l in ledger(user.id) if src == "online")
        assert online == 30 * rnd


def _same_login(app, tab, n: int) -> list:
    cookie = tab.client.get_cookie("session")
    clients = []
    for _ in range(n):  # the same logged-in browser session, many connections at once
        c = app.test_client()
        c.set_cookie("session", cookie.value)
        clients.append(c)
    return clients


def test_simultaneous_starts_leave_one_session(app, make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clients = _same_login(app, tab, 6)
    views = [view_lesson(c) for c in clients]  # six page views, six tickets
    barrier = threading.Barrier(len(clients))
    tokens: list[str] = []

    def start(c, view):
        barrier.wait(timeout=10)
        resp = c.post("/hours/start", data={"lesson_id": tab.lesson_id, "ticket": view[1]},
                      headers={"X-CSRFToken": view[0]})
        assert resp.status_code == 200
        tokens.append(resp.get_json()["token"])

    threads = [threading.Thread(target=start, args=(c, v)) for c, v in zip(clients, views, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(tokens) == 6
    clock.advance(seconds=30)
    credited = []
    for token in tokens:
        tab.token = token
        credited.append(tab.beat()["credited"])
    assert sorted(credited) == [0, 0, 0, 0, 0, 30]  # exactly one tab is the live one


def test_one_ticket_opens_one_session_however_many_starts_race(app, make_user, open_lesson, frozen):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    csrf, ticket = view_lesson(tab.client)
    clients = _same_login(app, tab, 6)
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def start(c):
        barrier.wait(timeout=10)
        resp = c.post("/hours/start", data={"lesson_id": tab.lesson_id, "ticket": ticket},
                      headers={"X-CSRFToken": csrf})
        answers.append((resp.status_code, resp.get_json()["state"]))

    threads = [threading.Thread(target=start, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(code for code, _s in answers) == [200, 409, 409, 409, 409, 409], answers
    assert {s for code, s in answers if code == 409} == {"no_ticket"}
