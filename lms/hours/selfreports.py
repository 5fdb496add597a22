"""个人自学申报 (member reports, secretary approval) and 调整 (admin corrections)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms.access import Scope
from lms.auth.models import User
from lms.hours import daily, services
from lms.hours.models import SelfReport
from lms.orgs.models import Organization

MAX_MINUTES_PER_DAY = 480
MAX_ADJUST_MINUTES = 100 * 60


class ReportError(ValueError):
    """A rule a form cannot check on its own; the message is shown to the user."""


def submit_report(*, session: Session, user_id: int, study_date: date, minutes: int, topic: str, place: str,
                  today: date) -> SelfReport:
    if study_date > today:
        raise ReportError("学习日期不能晚于今天。")
    if study_date.year != today.year:
        raise ReportError("只能申报本年度的学习。")
    if not 1 <= minutes <= MAX_MINUTES_PER_DAY:
        raise ReportError(f"学习时长应在 1 至 {MAX_MINUTES_PER_DAY} 分钟之间。")
    already = session.exec(
        select(sa.func.coalesce(sa.func.sum(SelfReport.minutes), 0)).where(
            SelfReport.user_id == user_id,
            SelfReport.study_date == study_date,
            SelfReport.status.in_(("pending", "approved")),
        )
    ).one()
    if already + minutes > MAX_MINUTES_PER_DAY:
        raise ReportError(
            f"同一天的自学申报合计不能超过 {MAX_MINUTES_PER_DAY} 分钟（该日已申报 {already} 分钟）。"
        )
    report = SelfReport(user_id=user_id, study_date=study_date, minutes=minutes, topic=topic.strip(),
                        place=place.strip())
    session.add(report)
    session.flush()
    return report


def reports_of(*, session: Session, user_id: int, limit: int = 100) -> list[SelfReport]:
    return list(
        session.exec(
            select(SelfReport)
            .where(SelfReport.user_id == user_id)
            .order_by(sa.desc(SelfReport.created_at), sa.desc(SelfReport.id))
            .limit(limit)
        )
    )


def approvers_text(*, session: Session, user: User) -> str:
    """Who can decide this member's reports, in words: every active secretary or admin whose scope
    holds the member's organisation, except the member (nobody approves their own). A member's
    reports go to "本支部书记"; a secretary's own to "上级党组织书记" and/or "管理员"."""
    org = session.get(Organization, user.org_id)
    if org is None:
        return "管理员"
    rows = session.exec(
        select(User.role, Organization.id)
        .join(Organization, Organization.id == User.org_id)
        .where(User.role.in_(("secretary", "admin")), User.active.is_(True), User.id != user.id,
               sa.literal(org.path).startswith(Organization.path))
    ).all()
    kinds = []
    if any(role == "secretary" and oid == org.id for role, oid in rows):
        kinds.append("本支部书记" if user.role == "member" else f"本{org.kind}的其他书记")
    if any(role == "secretary" and oid != org.id for role, oid in rows):
        kinds.append("上级党组织书记")
    if any(role == "admin" for role, _ in rows) or not kinds:
        kinds.append("管理员")
    return "或".join(kinds)


@dataclass(frozen=True)
class ReviewRow:
    report: SelfReport
    member: User
    org: Organization


def reviewable_member(scope: Scope, member_id):
    """Whose submissions a reviewer may decide: a member in scope, never the reviewer themself.
    `member_id` is the column naming the member (a secretary's own submissions thus go to another
    secretary of the branch, the next level up or an admin: see `approvers_text`). The rule for
    self-reports and for a secretary's 集中学习 that credits only themself (lms/offline)."""
    return sa.and_(scope.user_filter(), member_id != scope.user_id)


def _reviewable(scope: Scope):
    """Reports a reviewer may decide: members in scope, never the reviewer's own."""
    return reviewable_member(scope, SelfReport.user_id)


def review_queue(*, session: Session, scope: Scope, status: str = "pending", limit: int = 200) -> list[ReviewRow]:
    if not scope.is_manager:
        return []
    order = SelfReport.created_at if status == "pending" else sa.desc(SelfReport.decided_at)
    rows = session.exec(
        select(SelfReport, User, Organization)
        .join(User, User.id == SelfReport.user_id)
        .join(Organization, Organization.id == User.org_id)
        .where(_reviewable(scope), SelfReport.status == status)
        .order_by(order, SelfReport.id)
        .limit(limit)
    )
    return [ReviewRow(r, u, o) for r, u, o in rows]


def get_for_review(*, session: Session, scope: Scope, report_id: int) -> SelfReport:
    if not scope.is_manager:
        raise NotFound()
    report = session.exec(
        select(SelfReport)
        .join(User, User.id == SelfReport.user_id)
        .where(SelfReport.id == report_id, _reviewable(scope))
    ).first()
    if report is None:
        raise NotFound()
    return report


def _decide(session: Session, report: SelfReport, status: str, decided_by_id: int, at: datetime,
            reason: str = "") -> bool:
    """Pending → decided, exactly once even if two reviewers click at the same moment."""
    table = SelfReport.__table__
    result = session.execute(
        sa.update(table)
        .where(table.c.id == report.id, table.c.status == "pending")
        .values(status=status, decided_by_id=decided_by_id, decided_at=at, reject_reason=reason)
    )
    return result.rowcount == 1


def approve(*, session: Session, report: SelfReport, decided_by_id: int, at: datetime) -> bool:
    """Approve and credit; False if someone decided it first. ReportError when the credit would take
    the member's day over the daily cap (the caller rolls back: the report stays pending)."""
    if not _decide(session, report, "approved", decided_by_id, at):
        return False
    try:
        daily.check_daily_cap(session=session, additions={(report.user_id, report.study_date): report.minutes * 60})
    except daily.DailyCapError as e:
        raise ReportError(f"不能通过：{e}") from None
    services.add_entry(
        session=session,
        user_id=report.user_id,
        source="self_report",
        seconds=report.minutes * 60,
        local_date=report.study_date,
        recorded_by_id=decided_by_id,
        reason=report.topic,
        self_report_id=report.id,
    )
    return True


def reject(*, session: Session, report: SelfReport, decided_by_id: int, at: datetime, reason: str) -> bool:
    reason = (reason or "").strip()
    if not reason:
        raise ReportError("请填写不通过的理由。")
    return _decide(session, report, "rejected", decided_by_id, at, reason[:500])


def add_adjustment(*, session: Session, member_id: int, minutes: int, reason: str, local_date: date,
                   recorded_by_id: int, today: date):
    """调整: an admin correction written as a new ledger row (negative minutes subtract)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReportError("请填写调整理由。")
    if minutes == 0 or abs(minutes) > MAX_ADJUST_MINUTES:
        raise ReportError(f"调整分钟数不能为 0，绝对值不超过 {MAX_ADJUST_MINUTES}。")
    if local_date > today:
        raise ReportError("调整日期不能晚于今天。")
    total = services.year_total_seconds(session=session, user_id=member_id, year=local_date.year)
    if total + minutes * 60 < 0:
        raise ReportError(f"调整后 {local_date.year} 年度学时将小于 0（当前合计 {total // 60} 分钟）。")
    try:
        daily.check_daily_cap(session=session, additions={(member_id, local_date): minutes * 60})
    except daily.DailyCapError as e:
        raise ReportError(str(e)) from None
    return services.add_entry(
        session=session, user_id=member_id, source="adjustment", seconds=minutes * 60, local_date=local_date,
        recorded_by_id=recorded_by_id, reason=reason,
    )


def approved_reports(*, session: Session, user_id: int, year: int) -> list[SelfReport]:
    """The member's approved self-reports studied in `year`, oldest first (the 学习档案)."""
    return list(
        session.exec(
            select(SelfReport)
            .where(SelfReport.user_id == user_id, SelfReport.status == "approved",
                   SelfReport.study_date >= date(year, 1, 1), SelfReport.study_date <= date(year, 12, 31))
            .order_by(SelfReport.study_date, SelfReport.id)
        )
    )
