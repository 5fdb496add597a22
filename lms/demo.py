"""`flask lms demo`: idempotent demo data — one 党委, three 党支部, about 30 members."""

from __future__ import annotations

import contextlib

import click
from flask.cli import with_appcontext
from sqlmodel import Session, select

from lms.auth import services as auth
from lms.db import cli_session
from lms.orgs.models import Organization
from lms.orgs.services import create_org

DEMO_PASSWORD = "demo1234"
COMMITTEE = "示范单位机关党委"
BRANCHES = ("机关第一党支部", "机关第二党支部", "机关第三党支部")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "秀英", "志强", "丽华", "海燕", "国庆", "晓明", "春梅", "卫东", "玉兰", "文军", "桂芳", "俊杰", "红霞", "立新")


def _org(session: Session, name: str, kind: str, parent: Organization | None) -> Organization:
    org = session.exec(select(Organization).where(Organization.name == name)).first()
    return org or create_org(session=session, name=name, kind=kind, parent=parent)


def _user(session: Session, **kw) -> bool:
    login = kw.get("member_no") or kw.get("phone")
    if auth.find_by_login(session=session, login=login):
        return False
    auth.create_user(session=session, password=DEMO_PASSWORD, must_change_password=False, **kw)
    return True


def _demo_activity(session: Session, members: list) -> int:
    """A few months of study for the demo members, so pages and reports have something to show.

    Only for members with no ledger rows yet (idempotent): online study of the first lessons of
    the first course, and a pending 个人自学申报 for every third member.
    """
    from datetime import timedelta

    from lms import clock
    from lms.content.models import Lesson
    from lms.hours.models import LedgerEntry, SelfReport
    from lms.hours.selfreports import ReportError, submit_report
    from lms.hours.services import upsert_online
    from lms.units import lesson_cap_seconds

    lessons = list(session.exec(select(Lesson).where(Lesson.retired_at.is_(None)).order_by(Lesson.id)))
    if not lessons:
        return 0
    today = clock.today()
    year_start = today.replace(month=1, day=1)
    touched = 0
    for n, user in enumerate(members):
        if session.exec(select(LedgerEntry.id).where(LedgerEntry.user_id == user.id).limit(1)).first() or \
                session.exec(select(SelfReport.id).where(SelfReport.user_id == user.id).limit(1)).first():
            continue
        touched += 1
        for k, lesson in enumerate(lessons[: n % 6]):
            day = max(year_start, today - timedelta(days=7 * (n % 9) + 3 * k + 1))
            upsert_online(session=session, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                          local_date=day, seconds=lesson_cap_seconds(lesson.hours), at=clock.now())
        if n % 3 == 0 and today > year_start:
            with contextlib.suppress(ReportError):  # e.g. 1 January: nothing of this year to report
                submit_report(session=session, user_id=user.id, study_date=today - timedelta(days=1), minutes=90,
                              topic="自学《党政领导干部选拔任用工作条例》", place="在家自学，已做读书笔记",
                              today=today)
    session.flush()
    return touched


def _demo_sessions(session: Session, branches: list[Organization]) -> None:
    """A year of recorded 集中学习 per branch, so the reports show every status.

    The first three members also went to every 集中轮训 day (they reach the 32 学时), the next
    three to most of them (about on pace), the rest only to the 主题党日. A session whose topic
    the branch already has is not recorded again (idempotent).
    """
    from datetime import date, time, timedelta

    from lms import clock
    from lms.access import scope_for
    from lms.auth.models import User
    from lms.offline.models import OfflineSession
    from lms.offline.services import SessionData, SessionError, record_session

    today = clock.today()

    def on(month: int) -> date:
        return max(today.replace(month=1, day=1), min(date(today.year, month, 15), today))

    for branch in branches:
        people = list(session.exec(select(User).where(User.org_id == branch.id, User.active.is_(True)).order_by(User.id)))
        secretary = next((u for u in people if u.role == "secretary"), None)
        members = [u for u in people if u.role == "member"]
        if secretary is None or len(members) < 6:
            continue
        keen, steady = [u.id for u in members[:3]], [u.id for u in members[3:6]]
        plan = [
            ("集中轮训", "党支部书记和党员集中轮训（第一期）", on(3), time(8), 600, keen + steady),
            ("集中轮训", "党支部书记和党员集中轮训（第二期）", on(6), time(8), 600, keen + steady),
            ("集中轮训", "党支部书记和党员集中轮训（第三期）", on(9), time(8), 600, keen),
            ("党课", "专题党课：作风建设永远在路上", on(9), time(8), 360, steady),
            ("主题党日", "学习《党政领导干部选拔任用工作条例》", max(today.replace(month=1, day=1),
                                                       today - timedelta(days=20)), time(19), 150,
             [u.id for u in people[:-2]]),
        ]
        done = set(session.exec(select(OfflineSession.topic).where(OfflineSession.org_id == branch.id)))
        scope = scope_for(session=session, user=secretary)
        for kind, topic, held_on, start, minutes, attendees in plan:
            if topic in done:
                continue
            try:
                with session.begin_nested():
                    record_session(
                        session=session, scope=scope, actor=secretary, org=branch,
                        data=SessionData(type=kind, topic=topic, held_on=held_on, minutes=minutes, place="党员活动室",
                                         attendee_ids=attendees, start=start),
                        today=today, at=clock.now(), confirm_duplicate=True,
                    )
            except SessionError:
                # Early in the year several plan dates fall on today: the overlap and daily-cap rules
                # refuse what would not have happened, and the demo does without that session.
                continue


def load_demo(*, session: Session) -> int:
    created = 0
    committee = _org(session, COMMITTEE, "党委", None)
    created += _user(session, name="组织委员（管理员）", org_id=committee.id, role="admin", member_no="admin")
    branches = []
    for b, branch_name in enumerate(BRANCHES, start=1):
        branch = _org(session, branch_name, "党支部", committee)
        branches.append(branch)
        created += _user(
            session, name=f"{SURNAMES[b]}书记", org_id=branch.id, role="secretary", member_no=f"sec{b}",
            phone=f"1390000000{b}",
        )
        for i in range(1, 10):
            n = b * 100 + i
            name = SURNAMES[(n * 7) % len(SURNAMES)] + GIVEN[(n * 5 + b) % len(GIVEN)]
            created += _user(
                session, name=name, org_id=branch.id, role="member", member_no=f"D{b}{i:03d}",
                phone=f"138{b:04d}{i:04d}",
            )
    from lms.auth.models import User

    members = list(session.exec(select(User).where(User.role == "member", User.member_no.like("D%")).order_by(User.id)))
    _demo_activity(session, members)
    _demo_sessions(session, branches)
    return created


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """载入演示数据（可重复执行，不会重复创建）。"""
    with cli_session() as session:
        created = load_demo(session=session)
    click.echo(f"演示数据就绪（本次新建 {created} 个账号）。")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    click.echo("  管理员   admin")
    click.echo("  支部书记 sec1 / sec2 / sec3（分别负责第一、二、三党支部）")
    click.echo("  党员     D1001…D1009、D2001…、D3001…（也可用手机号 13800010001 等登录）")
