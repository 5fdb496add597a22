"""`flask lms create-admin`: the first admin and, when it does not exist yet, their 党委.

It lives in the orgs slice because it creates an organisation as well as an account; accounts are
made through the auth service, so the dependency runs orgs → auth only.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlmodel import select

from lms import textcheck
from lms.auth import services
from lms.auth.models import User
from lms.cli_support import fail
from lms.db import cli_session
from lms.orgs.models import Organization
from lms.orgs.services import create_org


@click.command("create-admin")
@with_appcontext
@click.option("--login", "login", required=True, help="党员编号或手机号（登录名）")
@click.option("--name", required=True, help="姓名")
@click.option("--org", "org_name", required=True, help="所在党委名称；不存在时新建")
@click.password_option("--password", help="初始密码（首次登录须修改）")
def create_admin(login: str, name: str, org_name: str, password: str) -> None:
    """创建管理员账号。"""
    try:
        services.check_password_strength(password, login_names=(login,), name=name)
    except services.PasswordError as exc:
        fail(str(exc))
    for value, label in ((name, "姓名"), (org_name, "党委名称")):
        if message := textcheck.problem(value, label=label):
            fail(message)
    is_phone = bool(services.PHONE_RE.match(login))
    if not is_phone and not services.MEMBER_NO_RE.match(login):
        fail("登录名应为 11 位手机号或党员编号（字母、数字、连字符，3–32 位）。")
    with cli_session() as session:
        if services.find_by_login(session=session, login=login):
            fail(f"登录名 {login} 已被占用。")
        org = session.exec(select(Organization).where(Organization.name == org_name)).first()
        if org is None:
            org = create_org(session=session, name=org_name, kind="党委")
        user = services.create_user(
            session=session,
            name=name,
            org_id=org.id,
            password=password,
            role="admin",
            member_no=None if is_phone else login,
            phone=login if is_phone else None,
            must_change_password=True,
        )
        assert isinstance(user, User)
    click.echo(f"已创建管理员 {name}（{login}），所属：{org_name}。首次登录须修改密码。")
