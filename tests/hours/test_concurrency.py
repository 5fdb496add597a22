"""Many simultaneous beats for one member credit no more than the time that passed
(on SQLite and on PostgreSQL: run the suite with LMS_TEST_DATABASE_URL for the latter)."""

from __future__ import annotations

import threading

from lms import clock

THREADS = 12


def fire_together(clients, tab) -> list[dict]:
    barrier = threading.Barrier(len(clients))
    results: list[dict] = []
    errors: list[BaseException] = []

    def fire(c):
        try:
            barrier.wait(timeout=10)
            resp = c.post("/hours/beat", data={"token": tab.token}, headers={"X-CSRFToken": tab.csrf})
            assert resp.status_code == 200, resp.status_code
            results.append(resp.get_json())
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
    cookie = tab.client.get_cookie("session")
    clients = []
    for _ in range(THREADS):  # the same logged-in browser session, many connections at once
        c = app.test_client()
        c.set_cookie("session", cookie.value)
        clients.append(c)

    for rnd in range(1, 4):
        clock.advance(seconds=30)
        results = fire_together(clients, tab)
        assert len(results) == THREADS
        assert sum(r["credited"] for r in results) == 30, results
        online = sum(s for src, _d, s, _l in ledger(user.id) if src == "online")
        assert online == 30 * rnd


def test_simultaneous_starts_leave_one_session(app, make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    cookie = tab.client.get_cookie("session")
    clients = []
    for _ in range(6):
        c = app.test_client()
        c.set_cookie("session", cookie.value)
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    tokens: list[str] = []

    def start(c):
        barrier.wait(timeout=10)
        resp = c.post("/hours/start", data={"lesson_id": tab.lesson_id}, headers={"X-CSRFToken": tab.csrf})
        assert resp.status_code == 200
        tokens.append(resp.get_json()["token"])

    threads = [threading.Thread(target=start, args=(c,)) for c in clients]
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
