"""The rules a 集中学习 must keep before it credits anyone: no member in two sessions at once,
and no member over the daily cap (lms.hours.daily, all sources together). Both name the members,
the day and, for an overlap, the other session; the services raise them as form errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time

from sqlmodel import Session, select

from lms.auth.models import User
from lms.formatting import cn_date
from lms.hours import daily
from lms.offline.models import OfflineSession, span_of, span_text
from lms.offline.queries import sessions_attended_on


def overlap_error(*, session: Session, member_ids: Iterable[int], held_on: date, start: time | None,
                  seconds: int, exclude_id: int | None = None) -> str | None:
    """A message naming who is already in another session at that time, or None."""
    ours = span_of(start, seconds)
    clashes: dict[int, tuple[OfflineSession, list[int]]] = {}
    for other, uid in sessions_attended_on(session=session, user_ids=member_ids, held_on=held_on,
                                           exclude_id=exclude_id):
        theirs = other.span_seconds
        if ours[0] < theirs[1] and theirs[0] < ours[1]:
            clashes.setdefault(other.id, (other, []))[1].append(uid)
    if not clashes:
        return None
    ids = {uid for _, uids in clashes.values() for uid in uids}
    names = dict(session.exec(select(User.id, User.name).where(User.id.in_(ids))).all())
    parts = []
    for other, uids in clashes.values():
        who = "、".join(sorted(names.get(u, "") for u in uids))
        pending = "，待审批" if other.status == "pending" else ""
        parts.append(f"{who} 在 {cn_date(held_on)} 已参加{other.type}“{other.topic}”（{other.time_text}{pending}）")
    return (f"时间重叠：{'；'.join(parts)}，与本次（{span_text(start, seconds) if start else '全天'}）时间重叠。"
            "同一时间只能计入一次集中学习，请核对开始时间或参加人员。")


def cap_error(*, session: Session, deltas: Mapping[tuple[int, date], int]) -> str | None:
    """The daily cap's message if crediting `deltas` would take anyone over it, else None."""
    try:
        daily.check_daily_cap(session=session, additions=deltas)
    except daily.DailyCapError as e:
        return str(e)
    return None
