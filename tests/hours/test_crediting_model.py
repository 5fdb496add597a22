"""The beat's SQL against the crediting rules written in Python (lms/hours/crediting_model.py).

Random sequences of opening the lesson (with other sources already crediting part of the day's
cap), beats (too fast, in bursts, regular, at the gap's edge, after a long
pause), presence-check answers and beats from a superseded tab, from ordinary moments, just before
local midnight and just before the new year, with part of the lesson's cap already credited,
go through the real endpoints (the clock moved, never slept) and through the model; every
beat's outcome and the ledger's online seconds per day must agree.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lms import clock, units
from lms.hours import services
from lms.hours.crediting_model import Rules, Study
from lms.hours.models import LedgerEntry, StudySession
from tests.hours.conftest import Tab, at

CHECK_AFTER = 60  # PRESENCE_CHECK_MIN = MAX, so the app's random draw is this
DAILY_MAX_HOURS = 0.75  # 2,700 s a day across sources: with other sources seeded, it bites


@pytest.fixture
def app_config(app_config):
    # Every beat may deliver a due check (the app's random delivery is tested in test_presence.py).
    return {**app_config, "PRESENCE_CHECK_MIN_SECONDS": CHECK_AFTER, "PRESENCE_CHECK_MAX_SECONDS": CHECK_AFTER,
            "PRESENCE_CHECK_DELIVER_PERCENT": 100,
            "STUDY_START_LIMIT": "10000 per minute", "STUDY_PRESENCE_LIMIT": "10000 per minute",
            "DAILY_MAX_HOURS": DAILY_MAX_HOURS}


@pytest.fixture
def member(make_user):
    """One member for every example of the test (fixtures are set up once per test, not per example)."""
    return make_user()


STARTS = [at(2025, 3, 10, 9, 0, 0), at(2025, 3, 10, 23, 58, 30), at(2024, 12, 31, 23, 58, 40)]

SPANS = {  # milliseconds between two events, by kind of pause
    "fast": (0, 1500),  # too fast (and just over a second)
    "burst": (20, 300),  # a script's burst (past BURST early beats in a row they are refused)
    "regular": (25_000, 35_000),  # the beat interval, give or take
    "edge": (55_000, 65_000),  # at the edge of 2 × interval
    "long": (65_001, 15 * 60_000),  # a closed laptop
    "very long": (15 * 60_000, 8 * 3600_000),
}
advance_ms = st.sampled_from(["fast", "burst", "burst", "regular", "regular", "regular", "regular", "regular", "edge", "long",
                              "very long"]).flatmap(lambda kind: st.integers(*SPANS[kind]))
step = st.tuples(
    st.sampled_from(["beat"] * 7 + ["answer"] * 2 + ["start", "old_tab"]),
    advance_ms,
)
scenario = st.fixed_dictionaries({
    "start": st.sampled_from(STARTS),
    "start_ms": st.integers(0, 999),
    "seeded": st.sampled_from([0, 600, 1700, 1795]),  # already credited for the lesson that day
    "other": st.sampled_from([0, 0, 0, 0, 900, 2000, 2650, 2700]),  # other lessons and sources that day
    "events": st.lists(step, min_size=1, max_size=40),
})


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=scenario)
def test_the_beat_credits_what_the_rules_say(case, app, db, member, open_lesson, lesson, ledger):
    user = member
    with db() as s:  # a fresh start for this member
        s.exec(sa.delete(StudySession).where(StudySession.user_id == user.id))
        s.exec(sa.delete(LedgerEntry).where(LedgerEntry.user_id == user.id))
    start = case["start"] + timedelta(milliseconds=case["start_ms"])
    clock.freeze(start)
    model = Study(Rules(interval=app.config["BEAT_INTERVAL_SECONDS"],
                        check_timeout=app.config["PRESENCE_CHECK_TIMEOUT_SECONDS"],
                        check_after=CHECK_AFTER, cap=units.lesson_cap_seconds(lesson.hours),
                        min_response_ms=app.config["PRESENCE_MIN_RESPONSE_MS"],
                        daily_max=units.hours_to_seconds(DAILY_MAX_HOURS),
                        zone=app.config["TIMEZONE"]))
    if case["seeded"]:
        day = clock.today()
        with db() as s:
            services.upsert_online(session=s, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                                   local_date=day, seconds=case["seeded"], at=clock.now())
        model.days[day] += case["seeded"]
    if case["other"]:
        day = clock.today()
        with db() as s:
            services.add_entry(session=s, user_id=user.id, source="adjustment", seconds=case["other"],
                               local_date=day, recorded_by_id=None, reason="其他来源")
            s.commit()
        model.other[day] = case["other"]

    tab = open_lesson(user)
    model.start(clock.now())
    old_tokens = []
    for i, (kind, ms) in enumerate(case["events"]):
        now = clock.advance(milliseconds=ms)
        if kind == "start":
            old_tokens.append(tab.token)
            tab.start()
            model.start(now)
            continue
        if kind == "old_tab" and not old_tokens:
            kind = "beat"
        if kind == "old_tab":
            got = Tab(tab.client, tab.csrf, tab.lesson_id, old_tokens[-1]).beat()
            want = model.beat(now, token=model.token - 1)
        elif kind == "answer":
            got, want = tab.presence(), model.answer(now)
        else:
            got, want = tab.beat(), model.beat(now)
        assert (got["state"], got["credited"], got["lesson_seconds"]) == (
            want.state, want.credited, want.lesson_seconds), (i, kind, ms, now.isoformat())
        event(want.state)  # pytest --hypothesis-show-statistics: which outcomes the examples reached

    event(f"{len(model.days)} days credited")
    event(f"seeded {case['seeded']}, start {case['start']:%m-%d %H:%M}")
    event(f"other {case['other']}")
    online = {date.fromisoformat(d): s for src, d, s, _l in ledger(user.id) if src == "online"}
    assert online == {d: s for d, s in model.days.items() if s}


def test_the_model_follows_the_written_examples():
    """The model on its own, on the cases test_crediting.py walks through the endpoints."""
    rules = Rules(interval=30, check_timeout=60, check_after=900, cap=1800)
    study = Study(rules)
    t = at(2025, 3, 10, 23, 59, 40)
    study.start(t)
    assert study.beat(t + timedelta(seconds=30)).credited == 30  # split at midnight
    assert dict(study.days) == {date(2025, 3, 10): 20, date(2025, 3, 11): 10}
    t += timedelta(seconds=30)
    t += timedelta(minutes=45)
    assert study.beat(t).state == "new_segment"
    fast = [study.beat(t := t + timedelta(seconds=0.25)).credited for _ in range(120)]
    assert sum(fast) <= 30  # beats every 0.25 s credit only the real elapsed time (past a burst: refused)
    assert sum(fast) + study.beat(t + timedelta(seconds=15)).credited == 45  # at a human pace, it all counts

    capped = Study(rules, days={date(2024, 12, 31): 1795})
    t = at(2024, 12, 31, 23, 59, 50)
    capped.start(t)
    out = capped.beat(t + timedelta(seconds=30))
    assert (out.credited, out.lesson_seconds) == (25, 20)  # 5 s fill 2024, 20 s start 2025
    assert datetime(2025, 1, 1).date() in capped.days
