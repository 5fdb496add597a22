"""Year reports: SQL aggregations over the 学时 ledger, scoped, without a per-member query.

- `branch_report`: one grouped query (members of an organisation's subtree LEFT JOIN their
  ledger rows of the year) → a row per member with the sums per source and the last study date.
- `committee_rollup` and `monthly_progress` (committee.py): the committee's view of the same ledger.

The status rules are those of 我的学时 (`lms.units.pace_for`), so a member's status in the
report is the one they see themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import Forbidden

from lms import units
from lms.access import Scope
from lms.auth.models import User
from lms.hours.models import LedgerEntry
from lms.hours.sources import LEDGER_SOURCES
from lms.orgs import services as orgs
from lms.orgs.models import Organization

STATUSES = ("done", "on_track", "behind")
STATUS_LABELS = {"done": "已达标", "on_track": "进度正常", "behind": "滞后"}
PACE_TO_STATUS = {"done": "done", "on_track": "on_track", "behind": "behind", "ended_short": "behind"}
BIN_HOURS = 4  # histogram bins, in 学时


def status_of(*, total: int, required: int, year: int, today: date) -> str:
    pace = units.pace_for(total=total, required=required, year=year, today=today)
    return PACE_TO_STATUS[pace.state]


# ---------------------------------------------------------------- branch table


@dataclass
class MemberRow:
    user_id: int
    name: str
    member_no: str | None
    org_id: int
    org_name: str
    by_source: dict[str, int]  # seconds per ledger source key (lms/hours/sources.py)
    total: int
    last_date: date | None
    percent: int
    status: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class BranchReport:
    org: Organization
    year: int
    today: date
    required: int
    rows: list[MemberRow]
    subtree: bool = False  # members of several organisations (show the 所在组织 column)

    @property
    def members(self) -> int:
        return len(self.rows)

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for r in self.rows:
            out[r.status] += 1
        return out

    @property
    def reached_rate(self) -> int:
        return round(100 * self.counts["done"] / self.members) if self.members else 0

    @property
    def average(self) -> float:
        return sum(r.total for r in self.rows) / self.members if self.members else 0.0


def _source_sum(source: str):
    return sa.func.coalesce(
        sa.func.sum(sa.case((LedgerEntry.source == source, LedgerEntry.seconds), else_=0)), 0
    )


def subtree_org_ids(*, session: Session, scope: Scope, org: Organization) -> list[int]:
    """Ids of the organisation's subtree that are in scope (the scope filter is applied here)."""
    return list(session.exec(
        select(Organization.id).where(Organization.path.startswith(org.path, autoescape=True), scope.org_filter())
    ))


def branch_query(*, org_ids: list[int], year: int):
    """The branch report's one statement (also used by bench/ for EXPLAIN). `org_ids` come from
    `subtree_org_ids`, i.e. are already limited to the viewer's scope."""
    return (
        select(
            User.id, User.name, User.member_no, User.org_id,
            *(_source_sum(source.key) for source in LEDGER_SOURCES),
            sa.func.coalesce(sa.func.sum(LedgerEntry.seconds), 0),
            sa.func.max(sa.case((LedgerEntry.seconds > 0, LedgerEntry.local_date))),
        )
        .select_from(User)
        .outerjoin(LedgerEntry, sa.and_(LedgerEntry.user_id == User.id, LedgerEntry.year == year))
        .where(User.org_id.in_(org_ids), User.active.is_(True))
        .group_by(User.id, User.name, User.member_no, User.org_id)
    )


def branch_report(*, session: Session, scope: Scope, org_id: int, year: int, today: date) -> BranchReport:
    """Every active member of the organisation's subtree with their year's 学时 (org outside scope → 404)."""
    if not scope.is_manager:
        raise Forbidden()
    org = orgs.get_org(session=session, scope=scope, org_id=org_id)
    required = units.required_seconds()
    names = dict(
        session.exec(
            select(Organization.id, Organization.name).where(
                Organization.path.startswith(org.path, autoescape=True), scope.org_filter()
            )
        ).all()
    )
    rows = []
    for uid, name, member_no, org_id_, *sums, total, last in session.exec(
        branch_query(org_ids=list(names), year=year)
    ):
        total = int(total)
        if isinstance(last, str):  # SQLite returns MAX() of a date column as text
            last = date.fromisoformat(last)
        rows.append(MemberRow(
            user_id=uid, name=name, member_no=member_no, org_id=org_id_, org_name=names.get(org_id_, ""),
            by_source={source.key: int(s) for source, s in zip(LEDGER_SOURCES, sums, strict=True)}, total=total,
            last_date=last, percent=units.percent_of(total, required),
            status=status_of(total=total, required=required, year=year, today=today),
        ))
    rows.sort(key=lambda r: (r.name, r.user_id))
    return BranchReport(org=org, year=year, today=today, required=required, rows=rows,
                        subtree=len({r.org_id for r in rows} | {org.id}) > 1 or not org.is_branch)


# Sorting and filtering the rows (the screen and the exports share these).

SORT_KEYS: dict[str, Callable[[MemberRow], object]] = {
    "name": lambda r: r.name,
    "member_no": lambda r: r.member_no or "",
    "org": lambda r: r.org_name,
    **{source.key: (lambda r, key=source.key: r.by_source[key]) for source in LEDGER_SOURCES},
    "total": lambda r: r.total,
    "percent": lambda r: (r.percent, r.total),
    "last": lambda r: r.last_date or date.min,
    "status": lambda r: (-STATUSES.index(r.status), r.total),  # 滞后 first
}


@dataclass(frozen=True)
class View:
    """What the table shows: a status filter, a search, a sort (`-total` = descending)."""

    status: str = ""
    q: str = ""
    sort: str = "name"

    @classmethod
    def parse(cls, status: str | None, q: str | None, sort: str | None) -> View:
        status = status if status in STATUSES else ""
        sort = sort or "name"
        if sort.lstrip("-") not in SORT_KEYS:
            sort = "name"
        return cls(status=status, q=(q or "").strip()[:50], sort=sort)

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def apply(self, rows: list[MemberRow]) -> list[MemberRow]:
        out = rows
        if self.status:
            out = [r for r in out if r.status == self.status]
        if self.q:
            q = self.q.casefold()
            out = [r for r in out if q in r.name.casefold() or q in (r.member_no or "").casefold()]
        # Ties stay in name order whichever way the column is sorted (sorts are stable).
        out = sorted(out, key=lambda r: (r.name, r.user_id))
        return sorted(out, key=SORT_KEYS[self.sort_key], reverse=self.descending)
