"""The 防挂机 presence check's answer: the number the page showed, not sooner than a person can
react after the beat that issued the check (lms/hours/tracker.py issues it, in the beat's UPDATE,
and derives the challenge with lms/hours/tickets.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from lms import clock
from lms.hours.models import StudySession
from lms.hours.tracker import (
    SUPERSEDED,
    BeatResult,
    TrackerSettings,
    day_full,
    epoch_ms,
    lesson_seconds_at,
    state_for,
)

_T = StudySession.__table__
_C = _T.c

_NOW = sa.bindparam("b_now", type_=sa.BigInteger())
_RESPONSE = sa.bindparam("b_response", type_=sa.BigInteger())
_PAUSED = sa.and_(  # the pending presence check went unanswered too long
    _C.check_issued_ms.is_not(None), _NOW - _C.check_issued_ms > sa.bindparam("b_timeout", type_=sa.BigInteger())
)
_MINE = sa.and_(_C.user_id == sa.bindparam("b_user"), _C.token == sa.bindparam("b_token"))
_PENDING = sa.select(_C.check_issued_ms, _C.cap_seconds, _C.credit_year, _C.year_credited, _C.budget_day_ms,
                     _C.day_budget).where(_MINE)
_ANSWER = (
    sa.update(_T)
    .where(_MINE, _C.check_issued_ms == sa.bindparam("b_issued", type_=sa.BigInteger()))
    .values(
        # A late answer resumes crediting from now, not from before the check.
        anchor_ms=sa.case((_PAUSED, _NOW), else_=_C.anchor_ms),
        check_issued_ms=None,
        since_check_seconds=0,
        next_check_seconds=sa.bindparam("b_next_check"),
        presence_n=_C.presence_n + 1,
        presence_ms_sum=_C.presence_ms_sum + _RESPONSE,
        presence_ms_min=sa.case((_C.presence_ms_min.is_(None), _RESPONSE),
                                (_C.presence_ms_min > _RESPONSE, _RESPONSE), else_=_C.presence_ms_min),
    )
    .returning(_C.cap_seconds, _C.credit_year, _C.year_credited, _C.budget_day_ms, _C.day_budget)
)
_REFUSED = {  # an answer that is not presence: the check stays pending, the row counts it
    "check_too_fast": sa.update(_T).where(_MINE).values(presence_fast=_C.presence_fast + 1),
    "check_wrong": sa.update(_T).where(_MINE).values(presence_wrong=_C.presence_wrong + 1),
}


def answer_presence(*, session: Session, user_id: int, token: str | None, answer: str | None, at: datetime,
                    settings: TrackerSettings) -> BeatResult:
    """The member clicked a number in the 防挂机 check (answering when none is pending changes nothing).

    The answer counts when it is the number the page showed and it came at least
    PRESENCE_MIN_RESPONSE_MS after the beat that issued the check; otherwise the check stays
    pending (the page keeps showing it; the refusal does not repeat it) and the row counts a
    too-fast or a wrong answer."""
    params = {"b_user": user_id, "b_token": token or ""}
    row = session.execute(_PENDING, params).first()
    if row is None:
        return SUPERSEDED
    now = epoch_ms(at)
    today_start = epoch_ms(clock.day_start(clock.local_date(at)))
    lesson_seconds = lesson_seconds_at(row.credit_year, row.year_credited, at)
    if row.check_issued_ms is None:
        state = state_for(check_pending=False, lesson_seconds=lesson_seconds, cap_seconds=row.cap_seconds,
                       day_full=day_full(row, today_start))
        return BeatResult(state, 0, lesson_seconds, row.cap_seconds)
    check = settings.challenge(user_id, row.check_issued_ms)
    response = now - row.check_issued_ms
    refused = None
    if (answer or "").strip() != check["number"]:
        refused = "check_wrong"
    elif response < settings.min_response_ms:
        refused = "check_too_fast"
    if refused:
        session.execute(_REFUSED[refused], params)
        return BeatResult(refused, 0, lesson_seconds, row.cap_seconds)
    done = session.execute(_ANSWER, {
        **params, "b_issued": row.check_issued_ms, "b_now": now, "b_response": response,
        "b_timeout": settings.check_timeout * 1000, "b_next_check": settings.draw_check(),
    }).first()
    if done is None:  # another answer (another tab) took this check first
        return BeatResult("studying", 0, lesson_seconds, row.cap_seconds)
    lesson_seconds = lesson_seconds_at(done.credit_year, done.year_credited, at)
    state = state_for(check_pending=False, lesson_seconds=lesson_seconds, cap_seconds=done.cap_seconds,
                   day_full=day_full(done, today_start))
    return BeatResult(state, 0, lesson_seconds, done.cap_seconds)
