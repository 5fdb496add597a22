"""Who may have which certificate: computed from course completion (lms.progress) and the
学时 ledger's annual totals (lms.hours), in the units of lms.units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from lms import clock, progress, units
from lms.auth.models import User
from lms.content.models import Course, Lesson
from lms.hours import services as hours


@dataclass(frozen=True)
class Entitlement:
    """One certificate a member may have (whether or not it has been issued yet)."""

    kind: str  # course | annual
    year: int
    seconds: int
    course: Course | None = None
    completed_at: datetime | None = None

    @property
    def key(self) -> str:
        return subject_key(self.kind, course_id=self.course.id if self.course else None, year=self.year)

    @property
    def hours(self) -> float:
        return units.hours_value(self.seconds)

    @property
    def subject(self) -> str:
        return self.course.title if self.course else f"{self.year}年度"


def subject_key(kind: str, *, course_id: int | None = None, year: int | None = None) -> str:
    return f"course:{course_id}" if kind == "course" else f"annual:{year}"


def course_seconds(*, session: Session, course_ids: list[int]) -> dict[int, int]:
    """A course certificate's 学时: the sum of the course's lesson hours, in seconds."""
    out = dict.fromkeys(course_ids, 0)
    if not course_ids:
        return out
    for course_id, lesson_hours in session.exec(
        select(Lesson.course_id, Lesson.hours).where(Lesson.course_id.in_(course_ids), Lesson.retired_at.is_(None))
    ):
        out[course_id] += units.hours_to_seconds(lesson_hours)
    return out


def course_entitlements(*, session: Session, user_id: int) -> list[Entitlement]:
    completed = progress.completed_courses(session=session, user_id=user_id)
    if not completed:
        return []
    courses = list(session.exec(select(Course).where(Course.id.in_(list(completed))).order_by(Course.order)))
    seconds = course_seconds(session=session, course_ids=[c.id for c in courses])
    return [
        Entitlement(
            kind="course",
            year=clock.local_date(completed[c.id]).year,
            seconds=seconds[c.id],
            course=c,
            completed_at=completed[c.id],
        )
        for c in courses
    ]


def candidate_years(*, session: Session, user_id: int) -> list[int]:
    """Years worth asking the ledger about: from the year before the account existed to now."""
    this_year = clock.today().year
    user = session.get(User, user_id)
    first = clock.local_date(user.created_at).year - 1 if user and user.created_at else this_year
    return list(range(max(first, this_year - 10), this_year + 1))


def annual_entitlement(*, session: Session, user_id: int, year: int) -> Entitlement | None:
    """The year's proof, once the year's total has reached the requirement (this year or past)."""
    if year > clock.today().year:
        return None
    total = hours.year_total_seconds(session=session, user_id=user_id, year=year)
    if total < units.required_seconds():
        return None
    return Entitlement(kind="annual", year=year, seconds=total)


def entitlements(*, session: Session, user_id: int) -> list[Entitlement]:
    out = course_entitlements(session=session, user_id=user_id)
    for year in reversed(candidate_years(session=session, user_id=user_id)):
        ent = annual_entitlement(session=session, user_id=user_id, year=year)
        if ent:
            out.append(ent)
    return out


def entitlement_for(*, session: Session, user_id: int, kind: str, course_id: int | None = None,
                    year: int | None = None) -> Entitlement | None:
    if kind == "course" and course_id is not None:
        return next((e for e in course_entitlements(session=session, user_id=user_id) if e.course.id == course_id), None)
    if kind == "annual" and year is not None:
        return annual_entitlement(session=session, user_id=user_id, year=year)
    return None
