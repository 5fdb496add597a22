"""The 学时异常 rules on their own: each one fires on what it describes, and not below its threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from lms.integrity import rules

ZONE = ZoneInfo("Asia/Shanghai")
T = rules.Thresholds()
T0 = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


def stretch(key="s1", user=1, start=T0, minutes=30, **kw) -> rules.Stretch:
    base = dict(key=key, user_id=user, started_at=start, ended_at=start + timedelta(minutes=minutes), ip="10.0.0.1",
                credited=minutes * 60, capped=False, no_visit=False, beat_n=0, gap_sum_ms=0, gap_sq_ms=0,
                presence_n=0, presence_ms_sum=0, presence_ms_min=None, presence_fast=0, presence_wrong=0)
    return rules.Stretch(**{**base, **kw})


def codes(stretches, events=(), same_ip=None) -> set[str]:
    found = rules.findings(list(stretches), list(events), T, ZONE, same_ip)
    return {r.code for f in found.values() for r in f.reasons}


def beats(gaps_ms) -> dict:
    return {"beat_n": len(gaps_ms), "gap_sum_ms": sum(gaps_ms), "gap_sq_ms": sum(g * g for g in gaps_ms)}


def test_a_plain_session_shows_nothing():
    jittered = [30_000 + (i * 7919) % 9000 - 4500 for i in range(60)]  # the page's 0.85–1.15 spread
    assert codes([stretch(**beats(jittered), presence_n=2, presence_ms_sum=7000, presence_ms_min=2500)]) == set()


def test_clockwork_beats_are_flagged_but_not_a_few():
    assert codes([stretch(**beats([30_000] * 60))]) == {"regular_beats"}
    assert codes([stretch(**beats([30_000 + (i % 3) * 5 for i in range(60)]))]) == {"regular_beats"}
    assert codes([stretch(**beats([30_000] * (T.min_beats - 1)))]) == set()


def test_fast_answers_and_starts_without_a_page():
    assert codes([stretch(presence_fast=1)]) == {"fast_answers"}
    refused = [rules.Event(1, "no_ticket", T0 + timedelta(minutes=i)) for i in range(T.refused_starts)]
    assert codes([], refused) == {"no_page_view"}
    assert codes([], refused[:-1]) == set()
    assert codes([stretch(no_visit=True)]) == {"no_visit"}


def test_back_to_back_capped_lessons():
    run = [stretch(f"s{i}", start=T0 + timedelta(minutes=31 * i), minutes=30, capped=True) for i in range(3)]
    found = rules.findings(run, [], T, ZONE)
    [reason] = found[1].reasons
    assert reason.code == "back_to_back" and reason.stretch_keys == ("s0", "s1", "s2")
    spaced = [stretch(f"s{i}", start=T0 + timedelta(minutes=35 * i), minutes=30, capped=True) for i in range(3)]
    assert codes(spaced) == set()  # five minutes between lessons


def test_around_the_clock_and_long_stretches():
    day = datetime(2025, 3, 9, 16, 0, tzinfo=UTC)  # local midnight
    allday = [stretch(f"s{i}", start=day + timedelta(minutes=50 * i), minutes=45) for i in range(29)]
    assert codes(allday) == {"around_the_clock", "long_stretch"}
    evening = [stretch(f"s{i}", start=T0 + timedelta(minutes=35 * i), minutes=30) for i in range(10)]  # ~6 h
    assert codes(evening) == set()


def test_many_accounts_from_one_address_at_once():
    crowd = [stretch(f"s{u}", user=u, start=T0 + timedelta(minutes=u)) for u in range(1, T.same_ip_accounts + 1)]
    same = rules.same_address(crowd, T)
    assert set(same) == set(range(1, T.same_ip_accounts + 1))
    assert "8 个账号" in same[1].detail
    apart = [stretch(f"s{u}", user=u, start=T0 + timedelta(hours=u)) for u in range(1, T.same_ip_accounts + 1)]
    assert rules.same_address(apart, T) == {}
