"""The daily cap: no member is credited more than DAILY_MAX_HOURS 学时 in one local day, all
sources together (online study, 集中学习, 个人自学申报, 调整).

`credited_seconds_on` is the one sum of a member's day; every manual write that credits time
(集中学习 record/edit/approval, self-report approval, a positive 调整) asks `check_daily_cap`
before writing its rows. The online tracker stops crediting at the same figure on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import sqlalchemy as sa
from flask import has_app_context
from sqlmodel import Session, select

from lms import units
from lms.auth.models import User
from lms.config import DEFAULTS, settings
from lms.formatting import cn_date
from lms.hours.models import LedgerEntry


class DailyCapError(ValueError):
    """A write that would credit a member more than the daily cap; the message names who and when."""


def daily_max_seconds() -> int:
    """DAILY_MAX_HOURS in seconds (12 学时 by default)."""
    hours = settings().daily_max_hours if has_app_context() else DEFAULTS["DAILY_MAX_HOURS"]
    return units.hours_to_seconds(hours)


def credited_seconds_on(*, session: Session, user_ids: Iterable[int], day: date) -> dict[int, int]:
    """{member: seconds the ledger credits them on this local day, every source} (0 when none)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(LedgerEntry.user_id, sa.func.sum(LedgerEntry.seconds))
        .where(LedgerEntry.user_id.in_(ids), LedgerEntry.year == day.year, LedgerEntry.local_date == day)
        .group_by(LedgerEntry.user_id)
    )
    out = dict.fromkeys(ids, 0)
    out.update({uid: int(s or 0) for uid, s in rows})
    return out


def check_daily_cap(*, session: Session, additions: Mapping[tuple[int, date], int]) -> None:
    """Raise DailyCapError if adding `additions` ({(member, local day): seconds}) would take any
    member's day over the cap. Only positive additions are checked: taking time away is always
    allowed. On PostgreSQL the members' rows are locked first, so two writes for the same member
    cannot both pass on the same figures (SQLite writers are serialised already)."""
    positive = {key: s for key, s in additions.items() if s > 0}
    if not positive:
        return
    ids = sorted({uid for uid, _ in positive})
    session.exec(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update()).all()
    cap = daily_max_seconds()
    problems: list[str] = []
    for day in sorted({d for _, d in positive}):
        members = [uid for uid, d in positive if d == day]
        current = credited_seconds_on(session=session, user_ids=members, day=day)
        over = [uid for uid in members if current[uid] + positive[(uid, day)] > cap]
        if not over:
            continue
        names = dict(session.exec(select(User.id, User.name).where(User.id.in_(over))).all())
        for uid in sorted(over, key=lambda u: (names.get(u, ""), u)):
            problems.append(
                f"{names.get(uid, '')} 在 {cn_date(day)} 已计入 {units.hours_text(current[uid])} 学时，"
                f"再计入 {units.hours_text(positive[(uid, day)])} 学时将超过每日上限"
            )
    if problems:
        raise DailyCapError(
            f"每名党员一天最多计入 {units.hours_text(cap)} 学时（各类学习合计）：" + "；".join(problems) + "。"
        )
