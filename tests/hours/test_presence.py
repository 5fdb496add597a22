"""The 防挂机 presence check: due after a stretch of credited study, pauses crediting when ignored."""

from __future__ import annotations

import pytest

from lms import clock


@pytest.fixture
def app_config(app_config):
    # A check after exactly 2 minutes of credited study (min = max), answered within 60 s.
    return {**app_config, "PRESENCE_CHECK_MIN_SECONDS": 120, "PRESENCE_CHECK_MAX_SECONDS": 120,
            "PRESENCE_CHECK_DELIVER_PERCENT": 100}


def beats(tab, n, seconds=30):
    out = []
    for _ in range(n):
        clock.advance(seconds=seconds)
        out.append(tab.beat())
    return out


def test_ignored_check_pauses_crediting_until_answered(make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    first = beats(tab, 4)
    assert [b["state"] for b in first] == ["studying", "studying", "studying", "check_due"]
    # Within the 60 s grace the time still counts (the member may be reading the dialog).
    grace = beats(tab, 2)
    assert [(b["state"], b["credited"]) for b in grace] == [("check_due", 30), ("check_due", 30)]
    # Unanswered after 60 s: crediting pauses, however long the page keeps beating.
    paused = beats(tab, 20)
    assert {(b["state"], b["credited"]) for b in paused} == {("paused_presence", 0)}
    total_before = sum(s for _src, _d, s, _l in ledger(user.id))
    assert total_before == 180
    # The click resumes crediting from the moment of the answer, not before.
    clock.advance(seconds=20)
    assert tab.presence()["state"] == "studying"
    after = beats(tab, 2)
    assert [(b["state"], b["credited"]) for b in after] == [("studying", 30), ("studying", 30)]
    assert sum(s for _src, _d, s, _l in ledger(user.id)) == 240


def test_answered_check_loses_nothing_and_the_next_one_comes_later(make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    assert beats(tab, 4)[-1]["state"] == "check_due"
    clock.advance(seconds=10)
    assert tab.presence()["state"] == "studying"
    after = beats(tab, 4)
    # The 10 s spent answering count; the next check is due after another 120 s of study.
    assert [(b["state"], b["credited"]) for b in after] == [
        ("studying", 40), ("studying", 30), ("studying", 30), ("check_due", 30)]
    assert sum(s for _src, _d, s, _l in ledger(user.id)) == 250


def test_reloading_the_page_does_not_dodge_a_pending_check(make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    beats(tab, 4)
    clock.advance(seconds=90)
    reopened = open_lesson(user)
    assert tab.token != reopened.token
    clock.advance(seconds=30)
    body = reopened.beat()
    assert body["state"] == "paused_presence" and body["credited"] == 0
    assert sum(s for _src, _d, s, _l in ledger(user.id)) == 120


def test_presence_answer_with_a_foreign_token_does_nothing(app, make_user, open_lesson, frozen):
    alice, bob = make_user(), make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    alice_tab = open_lesson(alice, client_=app.test_client())
    bob_tab = open_lesson(bob)
    beats(alice_tab, 4)
    clock.advance(seconds=90)
    bob_tab.token = alice_tab.token
    assert bob_tab.presence()["state"] == "superseded"
    clock.advance(seconds=30)
    assert alice_tab.beat()["state"] == "paused_presence"
