"""What a 学习档案 holds, read from the slices that own each part (nothing is summed anew here):

- per year, the total, the requirement and the status, and the breakdown by source: the same
  `hours.services.year_summary` that 我的学时 shows (the ledger, `hours/sources.py`);
- the courses completed that year (`lms.progress.completed_courses`) with the best exam score
  (`quiz.summaries.best_exam_scores`);
- the 集中学习 sessions attended (`offline.queries.attended_sessions`), the approved self-reports
  (`hours.selfreports.approved_reports`), the certificates with their codes
  (`certificates.services.certificates_of`) and the submitted 学习心得 (`notes.services.year_answers`).

Who may ask is the caller's business: a member for themself, a manager through `member_in_scope`
/ `branch_members` (lms.access.Scope: another branch's member is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import clock, progress, units
from lms.access import Scope
from lms.auth.models import User
from lms.certificates import codes
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.content.models import Course
from lms.hours import selfreports
from lms.hours import services as hours
from lms.hours.models import SelfReport
from lms.hours.sources import LedgerSource
from lms.notes import services as notes
from lms.offline import queries as offline
from lms.orgs.models import Organization
from lms.quiz.summaries import best_exam_scores
from lms.web import FIRST_YEAR

MAX_YEARS = 10  # the widest range one record covers


class RangeError(ValueError):
    """A year range that cannot be produced; the message is shown to the user."""


def year_range(first: str | None, last: str | None, *, current: int) -> tuple[int, int]:
    """(from, to) from the picker's two values; both missing means this year."""
    if not first and not last:
        return current, current
    try:
        a = int(first or last)
        b = int(last or first)
    except (TypeError, ValueError):
        raise RangeError("请选择起止年度。") from None
    for y in (a, b):
        if not FIRST_YEAR <= y <= current:
            raise RangeError(f"年度应在 {FIRST_YEAR} 年至 {current} 年之间。")
    if a > b:
        raise RangeError("起始年度不能晚于截止年度。")
    if b - a + 1 > MAX_YEARS:
        raise RangeError(f"一份学习档案最多包含 {MAX_YEARS} 个年度，请缩小范围。")
    return a, b


def offered_years(*, session: Session, user_id: int | None, current: int) -> list[int]:
    """The years the picker offers: from the member's first ledger year (or this year) to now."""
    years = hours.entry_years(session=session, user_id=user_id, current=current) if user_id else [current]
    first = min(years + [current - 4])
    return list(range(current, max(first, FIRST_YEAR) - 1, -1))


# ---------------------------------------------------------------- the record


@dataclass(frozen=True)
class CourseDone:
    course: Course
    completed_on: date
    best_exam_score: int | None  # None: the course has no exam


@dataclass(frozen=True)
class YearRecord:
    year: int
    summary: hours.YearSummary
    is_current: bool
    courses: list[CourseDone]
    sessions: list[offline.Attended]
    reports: list[SelfReport]
    certificates: list[Certificate]
    notes: list[tuple[str, str, str]]  # (course title, lesson title, 思考题)

    @property
    def source_rows(self) -> list[tuple[LedgerSource, int]]:
        return self.summary.source_rows

    @property
    def met(self) -> bool:
        return self.summary.total >= self.summary.required  # decided in seconds

    @property
    def status(self) -> str:
        missing = units.hours_text(max(0, self.summary.required - self.summary.total))
        if self.met:
            return "已达到年度学时要求"
        if self.is_current:
            return f"学习中，距年度要求还差 {missing} 学时"
        return f"未达到年度学时要求，差 {missing} 学时"


@dataclass(frozen=True)
class MemberRecord:
    member: User
    org: Organization
    issuer: Organization
    first: int
    last: int
    years: list[YearRecord]
    produced_at: datetime

    @property
    def range_text(self) -> str:
        return f"{self.first} 年度" if self.first == self.last else f"{self.first}—{self.last} 年度"

    @property
    def total(self) -> int:
        return sum(y.summary.total for y in self.years)


def member_record(*, session: Session, member: User, first: int, last: int, at: datetime) -> MemberRecord:
    today = clock.local_date(at)
    done = progress.completed_courses(session=session, user_id=member.id)
    courses = {c.id: c for c in session.exec(select(Course).where(Course.id.in_(list(done))))} if done else {}
    scores = best_exam_scores(session=session, user_id=member.id, course_ids=courses)
    certs = certificates.certificates_of(session=session, user_id=member.id)
    years = []
    for year in range(first, last + 1):
        summary = hours.year_summary(session=session, user_id=member.id, year=year, today=today)
        finished = sorted(
            (CourseDone(courses[cid], clock.local_date(when), scores.get(cid) if courses[cid].exam_questions else None)
             for cid, when in done.items() if cid in courses and clock.local_date(when).year == year),
            key=lambda c: (c.completed_on, c.course.order, c.course.id),
        )
        years.append(YearRecord(
            year=year,
            summary=summary,
            is_current=year == today.year,
            courses=finished,
            sessions=offline.attended_sessions(session=session, user_id=member.id, year=year),
            reports=selfreports.approved_reports(session=session, user_id=member.id, year=year),
            certificates=sorted((c for c in certs if c.year == year), key=lambda c: (c.issued_at, c.id)),
            notes=[(group.course.title, lesson.title, answer.prompt)
                   for group in notes.year_answers(session=session, user_id=member.id, year=year, submitted_only=True)
                   for lesson, answers in group.lessons for answer in answers],
        ))
    org = session.get(Organization, member.org_id)
    return MemberRecord(member=member, org=org, issuer=certificates.issuer_for(session=session, org=org),
                        first=first, last=last, years=years, produced_at=at)


def code_text(cert: Certificate) -> str:
    return codes.group(cert.code)


# ---------------------------------------------------------------- who may be asked for


def member_in_scope(*, session: Session, scope: Scope, user_id: int) -> User:
    """A member a manager may produce the record of; 404 outside the scope (or for a member)."""
    if not scope.is_manager:
        raise NotFound()
    user = session.exec(select(User).where(User.id == user_id, scope.user_filter())).first()
    if user is None:
        raise NotFound()
    return user


def branch_members(*, session: Session, scope: Scope, org: Organization) -> list[User]:
    """The active members of the organisation's subtree (the organisation must be in scope)."""
    return list(session.exec(
        select(User)
        .join(Organization, Organization.id == User.org_id)
        .where(Organization.path.startswith(org.path, autoescape=True), User.active.is_(True), scope.user_filter())
        .order_by(Organization.path, User.name, User.id)
    ))
