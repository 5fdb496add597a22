"""The evidence the tracker keeps for 学时异常 review: in the session row, by the same statements
(the beat's UPDATE keeps the counted gaps' count, sum and sum of squares), and as a StudyStretch
when a start replaces the session."""

from __future__ import annotations

from sqlmodel import select

from lms import clock


def stretches(db, user_id):
    from lms.hours.models import StudyStretch

    with db() as s:
        return list(s.exec(select(StudyStretch).where(StudyStretch.user_id == user_id).order_by(StudyStretch.id)))


def test_a_replaced_session_is_kept_with_its_beats_spread_and_address(db, make_user, open_lesson, frozen, lesson):
    from lms.hours.models import StudySession

    user = make_user()
    start = frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    for gap in (28, 31, 30, 33, 0.4, 29):  # the 0.4 s beat is too soon: not a counted gap
        clock.advance(seconds=gap)
        tab.beat()
    with db() as s:
        row = s.get(StudySession, user.id)
        assert (row.session_credited, row.beat_n, row.ip) == (151, 5, "127.0.0.1")
        # 29.4 s: the too-soon beat left the anchor, so its time counts with the next one
        assert row.gap_sum_ms == 28_000 + 31_000 + 30_000 + 33_000 + 29_400
        assert row.gap_sq_ms == sum(g * g for g in (28_000, 31_000, 30_000, 33_000, 29_400))
    assert stretches(db, user.id) == []
    clock.advance(seconds=10)
    tab.start()  # the page is opened again: the old session becomes a stretch
    [kept] = stretches(db, user.id)
    assert (kept.lesson_id, kept.credited, kept.beat_n, kept.status, kept.capped) == (lesson.id, 151, 5, "open", False)
    assert kept.started_at == start
    assert (kept.ended_at - start).total_seconds() == 151
    with db() as s:
        row = s.get(StudySession, user.id)
        assert (row.session_credited, row.beat_n, row.gap_sum_ms) == (0, 0, 0)
    tab.start()  # nothing happened in that one: nothing kept
    assert len(stretches(db, user.id)) == 1
