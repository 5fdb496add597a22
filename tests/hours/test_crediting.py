"""Every crediting rule of the study tracker, through the real endpoints, with the clock moved."""

from __future__ import annotations

from lms import clock
from tests.conftest import csrf_token
from tests.hours.conftest import LESSON_PATH


def online_total(ledger, user_id) -> int:
    return sum(sec for source, _d, sec, _l in ledger(user_id) if source == "online")


def test_beats_credit_the_measured_time_into_one_row_per_day(make_user, open_lesson, frozen, ledger, lesson):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    for _ in range(4):
        clock.advance(seconds=30)
        body = tab.beat()
        assert body["state"] == "studying" and body["credited"] == 30
    assert body["lesson_seconds"] == 120 and body["cap_seconds"] == 1800
    # One roll-up row for (member, lesson, local date), upserted.
    assert ledger(user.id) == [("online", "2025-03-10", 120, lesson.id)]


def test_client_cannot_claim_a_duration(make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clock.advance(seconds=10)
    body = tab.beat(seconds=3600, elapsed=3600, credited=3600)
    assert body["credited"] == 10
    assert online_total(ledger, user.id) == 10


def test_gap_cap_and_new_session_after_a_long_gap(make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clock.advance(seconds=60)  # exactly 2 × interval: still the same session
    assert tab.beat()["credited"] == 60
    clock.advance(minutes=45)  # the laptop was closed
    body = tab.beat()
    assert body["state"] == "new_segment" and body["credited"] == 0
    clock.advance(seconds=30)  # the new session counts from the beat after the gap
    assert tab.beat()["credited"] == 30
    clock.advance(seconds=61)  # just over the cap: nothing
    assert tab.beat()["credited"] == 0
    assert online_total(ledger, user.id) == 90


def test_beats_arriving_too_fast_credit_only_the_real_elapsed_time(make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    # A script beating every 0.25 s for 30 s, then every 1.5 s for 30 s.
    states = [tab.beat()["state"] for _ in range(120) if clock.advance(seconds=0.25)]
    states += [tab.beat()["state"] for _ in range(20) if clock.advance(seconds=1.5)]
    assert online_total(ledger, user.id) == 60
    # Past a burst of early beats (each less than a second after the one before) the beat is
    # refused (429) until one comes at a human pace again.
    assert states[:10] == ["studying"] * 10 and states[10:120] == ["too_many"] * 110
    assert states[120:] == ["studying"] * 20


def test_the_beat_rate_limit_is_inside_the_row(make_user, open_lesson, frozen, ledger):
    """A burst is refused inside the beat's UPDATE (tests/hours/test_beat_statements.py counts its
    statements), and changes nothing: its time counts with the next beat at a human pace."""
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 30
    burst = [tab.beat() for _ in range(15) if clock.advance(seconds=0.1)]
    assert [b["state"] for b in burst] == ["studying"] * 10 + ["too_many"] * 5
    assert sum(b["credited"] for b in burst) == 1  # the beat 1.0 s after the anchor counted its second
    clock.advance(seconds=14.5)  # a beat at a human pace: the held-back time counts with it
    body = tab.beat()
    assert (body["state"], body["credited"]) == ("studying", 15)
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 30
    assert online_total(ledger, user.id) == 76


def test_two_tabs_add_no_time_and_the_latest_wins(app, make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    first = open_lesson(user)
    clock.advance(seconds=30)
    assert first.beat()["credited"] == 30
    # The same member opens the lesson in a second tab (same browser session).
    second = open_lesson(user)
    for _ in range(10):
        clock.advance(seconds=30)
        old, new = first.beat(), second.beat()
        assert old["state"] == "superseded" and old["credited"] == 0
        assert new["credited"] == 30
    assert online_total(ledger, user.id) == 30 + 300  # never more than the 330 s that passed


def test_second_device_takes_over(app, make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    phone = open_lesson(user)
    pc = open_lesson(user, client_=app.test_client())
    clock.advance(seconds=30)
    assert phone.beat()["state"] == "superseded"
    assert pc.beat()["credited"] == 30
    # Going back to the phone and choosing 在此页面继续学习 takes the session back.
    phone.start()
    clock.advance(seconds=30)
    assert pc.beat()["state"] == "superseded"
    assert phone.beat()["credited"] == 30
    assert online_total(ledger, user.id) == 60


def test_credit_stops_at_the_lessons_hours_for_the_year(app, db, make_user, open_lesson, frozen, ledger, lesson):
    from lms.hours import services

    user = make_user()
    frozen(2025, 6, 1, 20, 0, 0)
    with db() as s:  # 29 min 50 s of the lesson's 30 min already credited this year
        services.upsert_online(session=s, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                               local_date=clock.today(), seconds=1790, at=clock.now())
    tab = open_lesson(user)
    clock.advance(seconds=30)
    body = tab.beat()
    assert body["credited"] == 10 and body["state"] == "capped" and body["lesson_seconds"] == 1800
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 0
    assert online_total(ledger, user.id) == 1800
    # A new year: the lesson can be studied for credit again (signed in afresh: a login unused for
    # LMS_REMEMBER_DAYS days has ended).
    frozen(2026, 1, 5, 20, 0, 0)
    tab = open_lesson(user, app.test_client())
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 30


def test_midnight_splits_the_credit_between_the_two_dates(make_user, open_lesson, frozen, ledger, lesson):
    user = make_user()
    frozen(2025, 3, 10, 23, 59, 40)  # Beijing time
    tab = open_lesson(user)
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 30
    assert ledger(user.id) == [
        ("online", "2025-03-10", 20, lesson.id),
        ("online", "2025-03-11", 10, lesson.id),
    ]


def test_new_year_in_asia_shanghai(app, db, make_user, open_lesson, frozen, ledger, lesson):
    from lms.hours import services

    user = make_user()
    # 23:59:50 on 31 December in Beijing is still 15:59:50 UTC: it counts for 2024.
    frozen(2024, 12, 31, 23, 59, 50)
    with db() as s:  # the lesson is 5 s short of its cap for 2024
        services.upsert_online(session=s, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                               local_date=clock.today(), seconds=1795, at=clock.now())
    tab = open_lesson(user)
    clock.advance(seconds=30)
    body = tab.beat()
    # 5 s fill 2024's cap; the 20 s after midnight start 2025 afresh.
    assert body["credited"] == 25 and body["lesson_seconds"] == 20
    with db() as s:
        assert services.year_total_seconds(session=s, user_id=user.id, year=2024) == 1800
        assert services.year_total_seconds(session=s, user_id=user.id, year=2025) == 20
    assert ("online", "2025-01-01", 20, lesson.id) in ledger(user.id)


def test_forged_or_foreign_session_credits_nothing(app, client, make_user, login, open_lesson, frozen, ledger):
    alice, bob = make_user(name="甲"), make_user(name="乙")
    frozen(2025, 3, 10, 9, 0, 0)
    alice_tab = open_lesson(alice, client_=app.test_client())
    bob_tab = open_lesson(bob)
    clock.advance(seconds=30)
    assert bob_tab.beat()["credited"] == 30
    # Bob replays Alice's token: nothing for him, nothing for her.
    bob_tab.token = alice_tab.token
    assert bob_tab.beat() == {"state": "superseded", "credited": 0, "lesson_seconds": 0, "cap_seconds": 0}
    bob_tab.token = "forged-" + "x" * 40
    assert bob_tab.beat()["credited"] == 0
    bob_tab.token = ""
    assert bob_tab.beat()["state"] == "superseded"
    assert online_total(ledger, alice.id) == 0
    assert online_total(ledger, bob.id) == 30  # only the one honest beat


def test_beats_need_login_and_csrf(client, make_user, login, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clock.advance(seconds=30)
    no_csrf = client.post("/hours/beat", data={"token": tab.token})
    assert no_csrf.status_code == 400
    # sendBeacon cannot set headers: the token as a form field works.
    beacon = client.post("/hours/beat", data={"token": tab.token, "csrf_token": tab.csrf})
    assert beacon.status_code == 200 and beacon.get_json()["credited"] == 30
    client.post("/logout", data={"csrf_token": tab.csrf})
    anon = client.post("/hours/beat", data={"token": tab.token, "csrf_token": csrf_token(client)})
    assert anon.status_code == 401
    assert online_total(ledger, user.id) == 30


def test_start_needs_a_real_lesson(client, make_user, login, lesson):
    login(make_user())
    token = csrf_token(client, LESSON_PATH)
    resp = client.post("/hours/start", data={"lesson_id": 999999}, headers={"X-CSRFToken": token})
    assert resp.status_code == 404


def test_lesson_page_shows_credited_time_against_its_hours(client, make_user, open_lesson, frozen):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    for _ in range(10):
        clock.advance(seconds=30)
        tab.beat()
    html = client.get(LESSON_PATH).get_data(as_text=True)
    assert "本课已计 <strong data-role=\"credited\">5:00</strong> / 30:00" in html
    assert 'data-interval="30"' in html and 'data-idle="300"' in html
    assert "tracker.js" in html and "presence-dialog" in html


def test_lesson_completes_only_once_studied(client, db, make_user, open_lesson, frozen):
    from tests.quiz.helpers import form_for, start_lesson, submit

    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    course = client.get("/courses/cadre-selection-regulations").get_data(as_text=True)
    assert "已完成 0/" in course  # opened but not studied
    for _ in range(60):  # 30 minutes of study = the lesson's 0.5 学时
        clock.advance(seconds=30)
        if tab.beat()["state"] == "check_due":
            tab.presence()
    course = client.get("/courses/cadre-selection-regulations").get_data(as_text=True)
    # Studied, but the quiz is still to pass: the lesson is complete only with both.
    assert "已完成 0/" in course and "学时已满 · 待测验" in course
    attempt = start_lesson(client)
    submit(client, attempt, form_for(db, attempt))
    course = client.get("/courses/cadre-selection-regulations").get_data(as_text=True)
    assert "已完成 1/" in course
