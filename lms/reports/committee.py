"""The committee's reports over the 学时 ledger, scoped, without a per-member query.

- `committee_rollup`: one grouped query over per-member year totals → per organisation and
  status and 4-学时 bin the member count and the sum; the roll-up and the distribution chart are
  both read from its small result.
- `monthly_progress`: one grouped query → the organisation's 学时 per month.

The status rules and the branch table are in services.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session
from werkzeug.exceptions import Forbidden

from lms import units
from lms.access import Scope
from lms.auth.models import User
from lms.hours.models import LedgerEntry
from lms.orgs import services as orgs
from lms.orgs.models import Organization
from lms.reports.services import BIN_HOURS, MemberRow

# ---------------------------------------------------------------- committee roll-up


@dataclass
class OrgRollup:
    org: Organization
    depth: int
    members: int = 0
    done: int = 0
    on_track: int = 0
    behind: int = 0
    total_seconds: int = 0

    @property
    def rate(self) -> int:
        """达标率, whole percent."""
        return round(100 * self.done / self.members) if self.members else 0

    @property
    def average(self) -> float:
        return self.total_seconds / self.members if self.members else 0.0


@dataclass
class Rollup:
    root: Organization
    year: int
    today: date
    required: int
    orgs: list[OrgRollup]
    overall: OrgRollup
    bins: list[int] = field(default_factory=list)  # members per BIN_HOURS bin; the last is open-ended


def rollup_query(*, org_ids: list[int], year: int, required: int, expected: float, bin_seconds: int):
    """The roll-up's one statement (also used by bench/ for EXPLAIN). `org_ids`: the subtree in scope."""
    users_in = sa.select(User.id).where(User.org_id.in_(org_ids), User.active.is_(True))
    per_user = (
        sa.select(LedgerEntry.user_id.label("user_id"), sa.func.sum(LedgerEntry.seconds).label("total"))
        .where(LedgerEntry.year == year, LedgerEntry.user_id.in_(users_in))
        .group_by(LedgerEntry.user_id)
        .subquery("per_user")
    )
    total = sa.func.coalesce(per_user.c.total, 0)
    member = (
        sa.select(
            User.org_id.label("org_id"),
            sa.case((total >= required, "done"), (total >= expected, "on_track"), else_="behind").label("status"),
            sa.case((total <= 0, 0), else_=total // bin_seconds).label("bin"),
            total.label("total"),
        )
        .select_from(User)
        .outerjoin(per_user, per_user.c.user_id == User.id)
        .where(User.org_id.in_(org_ids), User.active.is_(True))
        .subquery("member")
    )
    return (
        sa.select(member.c.org_id, member.c.status, member.c.bin, sa.func.count(), sa.func.sum(member.c.total))
        .group_by(member.c.org_id, member.c.status, member.c.bin)
    )


def bin_count() -> int:
    """Bins up to 8 学时 past the requirement; the last bin is open-ended."""
    required_hours = units.required_hours()
    return int(required_hours // BIN_HOURS) + 3


def committee_rollup(*, session: Session, scope: Scope, year: int, today: date,
                     org_id: int | None = None) -> Rollup:
    """Per organisation in the subtree (default: the viewer's whole scope): members, 达标, 滞后,
    average 学时; plus the distribution of members' 学时. Outside scope → 404."""
    if not scope.is_manager:
        raise Forbidden()
    in_scope = orgs.orgs_in_scope(session=session, scope=scope)
    root = in_scope[0] if org_id is None else orgs.get_org(session=session, scope=scope, org_id=org_id)
    subtree = [o for o in in_scope if o.path.startswith(root.path)]
    required = units.required_seconds()
    expected = units.expected_seconds(required=required, year=year, today=today)
    bin_seconds = BIN_HOURS * units.seconds_per_credit_hour()
    nbins = bin_count()
    by_org = {o.id: OrgRollup(org=o, depth=o.path.count("/") - root.path.count("/")) for o in subtree}
    overall = OrgRollup(org=root, depth=0)
    bins = [0] * nbins
    stmt = rollup_query(org_ids=[o.id for o in subtree], year=year, required=required, expected=expected,
                        bin_seconds=bin_seconds)
    for org_id_, status, bin_, n, seconds in session.execute(stmt):
        n, seconds = int(n), int(seconds or 0)
        for target in (by_org.get(org_id_), overall):
            if target is None:
                continue
            target.members += n
            setattr(target, status, getattr(target, status) + n)
            target.total_seconds += seconds
        bins[min(int(bin_), nbins - 1)] += n
    rows = [r for r in by_org.values() if r.members or r.org.is_branch]
    return Rollup(root=root, year=year, today=today, required=required, orgs=rows, overall=overall, bins=bins)


# ---------------------------------------------------------------- monthly progress


def monthly_progress(*, session: Session, scope: Scope, org: Organization, year: int) -> list[int]:
    """学时 (seconds) per month of the year for the organisation's active members, January first."""
    in_org = User.org_id.in_(
        sa.select(Organization.id).where(Organization.path.startswith(org.path, autoescape=True))
    )
    month = sa.extract("month", LedgerEntry.local_date)
    rows = session.execute(
        sa.select(month, sa.func.sum(LedgerEntry.seconds))
        .join(User, User.id == LedgerEntry.user_id)
        .where(LedgerEntry.year == year, User.active.is_(True), scope.user_filter(), in_org)
        .group_by(month)
    )
    out = [0] * 12
    for m, seconds in rows:
        out[int(m) - 1] = int(seconds or 0)
    return out


def distribution(rows: list[MemberRow]) -> list[int]:
    """Members per BIN_HOURS bin (from a branch report's rows)."""
    bin_seconds = BIN_HOURS * units.seconds_per_credit_hour()
    n = bin_count()
    bins = [0] * n
    for r in rows:
        bins[min(max(r.total, 0) // bin_seconds, n - 1)] += 1
    return bins
