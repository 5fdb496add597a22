"""The organisation tree, and looking up organisations and members within a Scope (lms.access)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms.access import Scope
from lms.auth.models import User
from lms.orgs.models import ORG_KINDS, Organization


def create_org(*, session: Session, name: str, kind: str, parent: Organization | None = None) -> Organization:
    if kind not in ORG_KINDS:
        raise ValueError(f"未知的组织类型：{kind}")
    if parent is not None and parent.is_branch:
        raise ValueError("党支部下不能再设下级组织")
    org = Organization(name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    return org


def orgs_in_scope(*, session: Session, scope: Scope) -> list[Organization]:
    return list(session.exec(select(Organization).where(scope.org_filter()).order_by(Organization.path)))


def get_org(*, session: Session, scope: Scope, org_id: int) -> Organization:
    org = session.exec(select(Organization).where(Organization.id == org_id, scope.org_filter())).first()
    if org is None:
        raise NotFound()
    return org


def get_member(*, session: Session, scope: Scope, user_id: int) -> User:
    user = session.exec(select(User).where(User.id == user_id, scope.user_filter())).first()
    if user is None:
        raise NotFound()
    return user


STATUS_FILTERS = {"active": "正常", "inactive": "已停用", "all": "全部"}


def _members_stmt(*, session: Session, scope: Scope, org_id: int | None, q: str | None, status: str | None):
    stmt = select(User).where(scope.user_filter())
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    if org_id is not None:
        sub = get_org(session=session, scope=scope, org_id=org_id)
        stmt = stmt.where(
            User.org_id.in_(sa.select(Organization.id).where(Organization.path.startswith(sub.path, autoescape=True)))
        )
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(sa.or_(User.name.like(like), User.member_no.like(like), User.phone.like(like)))
    return stmt


def members_in_scope(
    *, session: Session, scope: Scope, org_id: int | None = None, q: str | None = None, status: str | None = None
):
    stmt = _members_stmt(session=session, scope=scope, org_id=org_id, q=q, status=status)
    return list(session.exec(stmt.order_by(User.org_id, User.name)))


def member_page(
    *, session: Session, scope: Scope, org_id: int | None = None, q: str | None = None,
    status: str | None = None, page: int = 1, per_page: int = 100,
) -> tuple[list[User], int, int]:
    """One page of the roster: (members, total, page number actually shown)."""
    stmt = _members_stmt(session=session, scope=scope, org_id=org_id, q=q, status=status)
    total = session.exec(select(sa.func.count()).select_from(stmt.subquery())).one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.exec(stmt.order_by(User.org_id, User.name, User.id).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total, page


def branch_counts(*, session: Session, scope: Scope) -> dict[int, int]:
    """Active members per organisation in scope, in one grouped query."""
    rows = session.exec(
        select(User.org_id, sa.func.count(User.id))
        .where(scope.user_filter(), User.active.is_(True))
        .group_by(User.org_id)
    )
    return {org_id: n for org_id, n in rows}
