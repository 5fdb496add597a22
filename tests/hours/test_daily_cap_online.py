"""No day is credited more than DAILY_MAX_HOURS across all sources: the tracker stops at what the
other sources left of the day, and starts afresh the next day."""

from __future__ import annotations

import pytest

from lms import clock


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DAILY_MAX_HOURS": 1}


def test_online_study_stops_at_the_days_cap_across_sources(db, make_user, open_lesson, frozen, ledger, lesson):
    from lms.hours import services

    user = make_user()
    frozen(2025, 3, 10, 23, 57, 0)
    with db() as s:  # 59 minutes of 集中学习-like credit already today
        services.add_entry(session=s, user_id=user.id, source="adjustment", seconds=3540, local_date=clock.today(),
                           recorded_by_id=None, reason="其他来源")
        s.commit()
    tab = open_lesson(user)
    out = []
    for _ in range(4):
        clock.advance(seconds=30)
        out.append(tab.beat())
    assert [(b["state"], b["credited"]) for b in out] == [
        ("studying", 30), ("day_capped", 30), ("day_capped", 0), ("day_capped", 0)]
    # Past local midnight the new day's cap applies: crediting resumes.
    for _ in range(2):  # 23:59:30 and 00:00:00: spans that lie on the 10th
        clock.advance(seconds=30)
        assert tab.beat()["credited"] == 0
    clock.advance(seconds=30)
    body = tab.beat()  # 00:00:30
    assert body["state"] == "studying" and body["credited"] == 30
    online = {(d, sec) for src, d, sec, _l in ledger(user.id) if src == "online"}
    assert online == {("2025-03-10", 60), ("2025-03-11", 30)}


def test_a_new_page_view_reads_the_day_again(db, make_user, open_lesson, frozen, ledger):
    from lms.hours import services

    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 30
    with db() as s:  # a secretary records a long 集中学习 for today meanwhile
        services.add_entry(session=s, user_id=user.id, source="offline", seconds=3600, local_date=clock.today(),
                           recorded_by_id=None, reason="集中学习")
        s.commit()
    clock.advance(seconds=5)
    assert tab.start()["state"] == "day_capped"
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 0
