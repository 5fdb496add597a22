"""学时异常 review: the evidence of the members in a scope, through the rules, and the two
decisions on it (不予认定 a stretch: a compensating 调整 row; clear a member's open evidence),
both audited. Services take the session; the view commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import clock, units
from lms.access import Scope
from lms.audit import services as audit
from lms.auth.models import User
from lms.content.models import Course, Lesson
from lms.hours import services as ledger
from lms.hours.models import StudyEvent, StudySession, StudyStretch
from lms.integrity import rules
from lms.orgs.models import Organization


class ReviewError(ValueError):
    """A decision that cannot be made; the message says why, in Chinese."""


class SelfReview(ReviewError):
    """A secretary's own study goes to the level above."""


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=clock.now().tzinfo)


def _kept(r: StudyStretch) -> rules.Stretch:
    return rules.Stretch(
        key=f"s{r.id}", user_id=r.user_id, started_at=r.started_at, ended_at=r.ended_at, ip=r.ip,
        credited=r.credited, capped=r.capped, no_visit=r.no_visit, beat_n=r.beat_n, gap_sum_ms=r.gap_sum_ms,
        gap_sq_ms=r.gap_sq_ms, presence_n=r.presence_n, presence_ms_sum=r.presence_ms_sum,
        presence_ms_min=r.presence_ms_min, presence_fast=r.presence_fast, presence_wrong=r.presence_wrong,
    )


def _live(r: StudySession) -> rules.Stretch:
    return rules.Stretch(
        key="live", user_id=r.user_id, started_at=r.started_at, ended_at=max(r.started_at, _from_ms(r.anchor_ms)),
        ip=r.ip, credited=r.session_credited, capped=r.year_credited >= r.cap_seconds, no_visit=r.no_visit,
        beat_n=r.beat_n, gap_sum_ms=r.gap_sum_ms, gap_sq_ms=r.gap_sq_ms, presence_n=r.presence_n,
        presence_ms_sum=r.presence_ms_sum, presence_ms_min=r.presence_ms_min, presence_fast=r.presence_fast,
        presence_wrong=r.presence_wrong,
    )


@dataclass(frozen=True)
class StretchRow:
    stretch: rules.Stretch
    record: StudyStretch | None  # None: the member's live session
    lesson_title: str
    course_title: str
    flagged: bool

    @property
    def live(self) -> bool:
        return self.record is None


@dataclass(frozen=True)
class MemberReview:
    member: User
    org: Organization
    reasons: list[rules.Reason]
    rows: list[StretchRow]
    events: list[StudyEvent]

    @property
    def flagged_seconds(self) -> int:
        return sum(r.stretch.credited for r in self.rows if r.flagged and not r.live)


def _titles(session: Session, lesson_ids: set[int]) -> dict[int, tuple[str, str]]:
    if not lesson_ids:
        return {}
    rows = session.exec(select(Lesson.id, Lesson.title, Course.title).join(Course, Course.id == Lesson.course_id)
                        .where(Lesson.id.in_(lesson_ids)))
    return {lid: (lt, ct) for lid, lt, ct in rows}


def review(*, session: Session, scope: Scope, now: datetime, thresholds: rules.Thresholds, window_days: int,
           user_id: int | None = None) -> list[MemberReview]:
    """The members in scope (or the one member) whose open evidence of the last `window_days`
    meets a rule, with the reasons and every stretch of theirs in the window; most reasons first."""
    since = now - timedelta(days=window_days)
    in_scope = select(User.id).where(scope.user_filter())
    if user_id is not None:
        in_scope = in_scope.where(User.id == user_id)
    kept = list(session.exec(select(StudyStretch).where(
        StudyStretch.user_id.in_(in_scope), StudyStretch.ended_at >= since).order_by(StudyStretch.started_at)))
    live = list(session.exec(select(StudySession).where(
        StudySession.user_id.in_(in_scope), StudySession.anchor_ms >= int(since.timestamp() * 1000))))
    events = list(session.exec(select(StudyEvent).where(
        StudyEvent.user_id.in_(in_scope), StudyEvent.status == "open", StudyEvent.at >= since)
        .order_by(StudyEvent.at)))
    open_stretches = [_kept(r) for r in kept if r.status == "open"] + [_live(r) for r in live]
    # Many accounts from one address: everyone's study from the same addresses counts, in scope or not.
    ips = {s.ip for s in open_stretches if s.ip}
    others: list[rules.Stretch] = []
    if ips:
        mine = {s.user_id for s in open_stretches}
        others = [_kept(r) for r in session.exec(select(StudyStretch).where(
            StudyStretch.ip.in_(ips), StudyStretch.ended_at >= since, StudyStretch.user_id.not_in(mine)))]
        others += [_live(r) for r in session.exec(select(StudySession).where(
            StudySession.ip.in_(ips), StudySession.anchor_ms >= int(since.timestamp() * 1000),
            StudySession.user_id.not_in(mine)))]
    same_ip = rules.same_address(open_stretches + others, thresholds)
    found = rules.findings(open_stretches, [rules.Event(e.user_id, e.kind, e.at) for e in events], thresholds,
                           clock.zone(), same_ip={u: r for u, r in same_ip.items() if u in {
                               s.user_id for s in open_stretches}})
    if not found:
        return []
    members = {u.id: u for u in session.exec(select(User).where(User.id.in_(found)))}
    orgs = {o.id: o for o in session.exec(select(Organization).where(
        Organization.id.in_({m.org_id for m in members.values()})))}
    titles = _titles(session, {r.lesson_id for r in kept if r.user_id in found}
                     | {r.lesson_id for r in live if r.user_id in found})
    out = []
    for uid, finding in found.items():
        flagged = finding.stretch_keys
        rows = [StretchRow(_kept(r), r, *titles.get(r.lesson_id, ("", "")), f"s{r.id}" in flagged)
                for r in kept if r.user_id == uid]
        rows += [StretchRow(_live(r), None, *titles.get(r.lesson_id, ("", "")), "live" in flagged)
                 for r in live if r.user_id == uid]
        member = members[uid]
        out.append(MemberReview(member, orgs[member.org_id], finding.reasons, rows,
                                [e for e in events if e.user_id == uid]))
    out.sort(key=lambda m: (-len(m.reasons), m.org.path, m.member.name))
    return out


def open_count(*, session: Session, scope: Scope, user_id: int, now: datetime, thresholds: rules.Thresholds,
               window_days: int) -> int:
    """How many reasons one member's open evidence shows (for the member page's notice)."""
    found = review(session=session, scope=scope, now=now, thresholds=thresholds, window_days=window_days,
                   user_id=user_id)
    return len(found[0].reasons) if found else 0


def _member_in_scope(session: Session, scope: Scope, user_id: int) -> User:
    member = session.exec(select(User).where(User.id == user_id, scope.user_filter())).first()
    if member is None:
        raise NotFound()
    return member


def _not_self(actor: User, member: User) -> None:
    if actor.id == member.id:
        raise SelfReview("不能处理本人的学时异常，请由上级组织处理。")


def get_stretch(*, session: Session, scope: Scope, stretch_id: int) -> StudyStretch:
    stretch = session.get(StudyStretch, stretch_id)
    if stretch is None:
        raise NotFound()
    _member_in_scope(session, scope, stretch.user_id)
    return stretch


def void_stretch(*, session: Session, scope: Scope, actor: User, stretch: StudyStretch, reason: str,
                 at: datetime) -> int | None:
    """不予认定: a negative 调整 row for what the stretch credited, with the reason (shown to the
    member on 我的学时), dated the stretch's local day; audited. Returns the seconds taken back,
    or None when the stretch was already voided (by someone else first)."""
    member = _member_in_scope(session, scope, stretch.user_id)
    _not_self(actor, member)
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("请填写不予认定的理由。")
    if stretch.status == "voided":
        return None
    lesson_title, _course = _titles(session, {stretch.lesson_id}).get(stretch.lesson_id, ("", ""))
    start, end = stretch.started_at.astimezone(clock.zone()), stretch.ended_at.astimezone(clock.zone())
    what = f"{lesson_title} {start:%m-%d %H:%M}–{end:%H:%M} 线上学习 {units.duration_text(stretch.credited)}"
    entry = None
    if stretch.credited > 0:
        entry = ledger.add_entry(session=session, user_id=member.id, source="adjustment", seconds=-stretch.credited,
                                 local_date=clock.local_date(stretch.ended_at), recorded_by_id=actor.id,
                                 reason=f"不予认定：{reason}（{what}）")
    stretch.status, stretch.reason, stretch.decided_by_id, stretch.decided_at = "voided", reason[:500], actor.id, at
    stretch.ledger_entry_id = entry.id if entry else None
    session.add(stretch)
    audit.record(session=session, actor=actor, action="study.void", target_type="study_stretch",
                 target_id=stretch.id, org_id=member.org_id,
                 summary=f"对 {member.name} 的一段线上学习不予认定（{units.duration_text(stretch.credited)}）",
                 details={"member": member.name, "reason": reason, "lesson": lesson_title,
                          "duration": units.duration_text(stretch.credited)})
    session.flush()
    return stretch.credited


_EVIDENCE_RESET = {k: 0 for k in ("beat_n", "gap_sum_ms", "gap_sq_ms", "presence_n", "presence_ms_sum",
                                  "presence_fast", "presence_wrong")}


def clear_member(*, session: Session, scope: Scope, actor: User, user_id: int, note: str, at: datetime) -> int:
    """核实无误: the member's open stretches and refused starts are cleared (no longer counted by
    the rules), and so is the evidence so far of their live session; audited. Returns how many
    records were cleared."""
    member = _member_in_scope(session, scope, user_id)
    _not_self(actor, member)
    note = (note or "").strip()
    n = session.execute(sa.update(StudyStretch).where(
        StudyStretch.user_id == member.id, StudyStretch.status == "open").values(
        status="cleared", reason=note[:500], decided_by_id=actor.id, decided_at=at)).rowcount
    n += session.execute(sa.update(StudyEvent).where(
        StudyEvent.user_id == member.id, StudyEvent.status == "open").values(status="cleared")).rowcount
    session.execute(sa.update(StudySession).where(StudySession.user_id == member.id).values(
        no_visit=False, presence_ms_min=None, **_EVIDENCE_RESET))
    audit.record(session=session, actor=actor, action="study.clear", target_type="user", target_id=member.id,
                 org_id=member.org_id, summary=f"核实 {member.name} 的学时异常：无误",
                 details={"member": member.name, "reason": note or "（未填写）", "count": n})
    session.flush()
    return n
