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


def rows(db, user_id):
    from lms.hours.models import StudySession

    with db() as s:
        return s.get(StudySession, user_id)


def test_the_check_is_a_number_to_click_and_a_constant_answer_fails(db, make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    due = beats(tab, 4)[-1]
    assert due["state"] == "check_due"
    check = due["check"]
    assert check["number"] in check["options"] and len(set(check["options"])) == 4
    clock.advance(seconds=3)
    wrong = next(n for n in check["options"] if n != check["number"])
    for answer in (wrong, "", "1", "我在学习"):
        body = tab.presence(answer)
        assert body["state"] == "check_wrong" and "check" not in body  # still pending; not handed out again
    clock.advance(seconds=1)
    later = tab.beat()  # the challenge went out once, with the beat that issued it
    assert later["state"] == "check_due" and "check" not in later
    assert tab.presence()["state"] == "studying"  # the number the page showed
    assert rows(db, user.id).presence_wrong == 4 and rows(db, user.id).presence_n == 1
    # The next check asks for another number (derived from its own issue instant).
    later = beats(tab, 4)
    assert later[-1]["state"] == "check_due" and later[-1]["check"] != check


def test_an_answer_faster_than_a_person_is_not_presence(db, make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    assert beats(tab, 4)[-1]["state"] == "check_due"
    clock.advance(milliseconds=5)  # the bot from issue 13: 5 ms after the beat that raised it
    body = tab.presence()
    assert body["state"] == "check_too_fast"
    # Still pending: unanswered, it pauses crediting like any ignored check.
    paused = beats(tab, 3)
    assert [b["state"] for b in paused] == ["check_due", "paused_presence", "paused_presence"]
    clock.advance(seconds=2)
    assert tab.presence()["state"] == "studying"
    row = rows(db, user.id)
    assert (row.presence_fast, row.presence_n) == (1, 1)
    assert row.presence_ms_min == row.presence_ms_sum == 92_005  # 5 ms + 90 s of beats + 2 s after the issue


def test_a_check_issued_by_the_final_beacon_beat_is_not_issued(client, make_user, open_lesson, frozen):
    """The page's last beat as it is hidden (sendBeacon, final=1) never delivers a check: nobody
    reads its answer. The next beat does."""
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    beats(tab, 3)
    clock.advance(seconds=30)
    assert tab.beat(final="1")["state"] == "studying"  # due now, but not delivered
    clock.advance(seconds=30)
    body = tab.beat()
    assert body["state"] == "check_due" and body["check"]


def test_reloading_shows_the_same_pending_check(make_user, open_lesson, frozen):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    check = beats(tab, 4)[-1]["check"]
    clock.advance(seconds=5)
    body = tab.start()
    assert body["state"] == "check_due" and body["check"] == check
    assert tab.presence()["state"] == "studying"


class TestRandomDelivery:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "PRESENCE_CHECK_DELIVER_PERCENT": 50,
                "PRESENCE_CHECK_MIN_SECONDS": 30, "PRESENCE_CHECK_MAX_SECONDS": 30}

    def test_a_due_check_arrives_at_a_random_beat_not_the_first_one(self, make_user, open_lesson, frozen):
        """Due after 30 s of study (min = max here), i.e. at the first beat: at 50 % per beat, the
        beat that delivers it varies; the study before it keeps counting."""
        user = make_user()
        frozen(2025, 3, 10, 9, 0, 0)
        tab = open_lesson(user)
        delivered_at = []
        for _ in range(20):
            out = []
            while not out or out[-1]["state"] != "check_due":
                out += beats(tab, 1)
                assert len(out) < 20
            assert all(b["credited"] == 30 for b in out[1:])  # (the first after an answer: 35 s)
            delivered_at.append(len(out))
            clock.advance(seconds=5)
            assert tab.presence()["state"] == "studying"
        assert len(set(delivered_at)) > 1 and max(delivered_at) > 1, delivered_at  # (0.5 ** 20 to fail)
