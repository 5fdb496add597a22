"""`flask lms demo`: idempotent demo data — one 党委, three 党支部, about 30 members."""

from __future__ import annotations

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


def load_demo(*, session: Session) -> int:
    created = 0
    committee = _org(session, COMMITTEE, "党委", None)
    created += _user(session, name="组织委员（管理员）", org_id=committee.id, role="admin", member_no="admin")
    for b, branch_name in enumerate(BRANCHES, start=1):
        branch = _org(session, branch_name, "党支部", committee)
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
