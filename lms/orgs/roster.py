"""Roster actions: add, edit, deactivate, reactivate, move, reset password.

Every action fetches its target through the actor's scope (another branch's member is a 404),
checks what the actor's role may do (403), validates (RosterError with a Chinese message per
field) and writes one audit event in the caller's transaction.
"""

from __future__ import annotations

from sqlmodel import Session, select
from werkzeug.exceptions import Forbidden

from lms.access import Scope, scope_for
from lms.audit import services as audit
from lms.auth import services as auth
from lms.auth.models import ROLE_LABELS, User
from lms.orgs.member_rules import check_member, clean_member_no, clean_phone, generate_password
from lms.orgs.models import Organization
from lms.orgs.services import get_member, get_org


class RosterError(ValueError):
    """Validation problems, keyed by form field name."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


def grantable_roles(actor: User) -> tuple[str, ...]:
    """Only admins may make someone a secretary or an admin."""
    return ("member", "secretary", "admin") if actor.is_admin else ("member",)


def branches_in_scope(*, session: Session, scope: Scope) -> list[Organization]:
    if not scope.is_manager:
        return []
    return list(
        session.exec(
            select(Organization).where(scope.org_filter(), Organization.kind == "党支部").order_by(Organization.path)
        )
    )


def _manager_scope(session: Session, actor: User) -> Scope:
    if not actor.is_manager:
        raise Forbidden()
    return scope_for(session=session, user=actor)


def _branch(session: Session, scope: Scope, org_id: int) -> Organization:
    org = get_org(session=session, scope=scope, org_id=org_id)  # 404 outside scope
    if not org.is_branch:
        raise RosterError({"org_id": "党员只能编入党支部，请选择一个党支部。"})
    return org


def can_manage(actor: User, user: User) -> bool:
    """A secretary manages the members (not secretaries or admins) of their subtree; an admin anyone in it."""
    return actor.is_admin or (actor.is_secretary and user.role == "member")


def get_manageable(*, session: Session, actor: User, user_id: int) -> User:
    scope = _manager_scope(session, actor)
    user = get_member(session=session, scope=scope, user_id=user_id)  # 404 outside scope
    if not can_manage(actor, user):
        raise Forbidden()
    return user


def _label(user: User) -> str:
    return f"{user.name}（{user.login_name}）"


def add_member(
    *,
    session: Session,
    actor: User,
    org_id: int,
    name: str,
    member_no: str = "",
    phone: str = "",
    role: str = "member",
) -> tuple[User, str]:
    """A new account with a random initial password (returned, to be shown once)."""
    scope = _manager_scope(session, actor)
    org = _branch(session, scope, org_id)
    member_no, phone, name = clean_member_no(member_no), clean_phone(phone), (name or "").strip()
    errors = check_member(session=session, name=name, member_no=member_no, phone=phone)
    if role not in grantable_roles(actor):
        errors["role"] = "只有管理员可以设置支部书记或管理员角色。"
    if errors:
        raise RosterError(errors)
    password = generate_password()
    user = auth.create_user(
        session=session, name=name, org_id=org.id, password=password, role=role,
        member_no=member_no or None, phone=phone or None, must_change_password=True,
    )
    audit.record(
        session=session, actor=actor, action="member.create", target_type="user", target_id=user.id,
        org_id=org.id, summary=f"添加党员 {_label(user)}，所在支部：{org.name}",
        details={"name": user.name, "member_no": user.member_no, "phone": user.phone,
                 "role": ROLE_LABELS[role], "org": org.name},
    )
    return user, password


def update_member(
    *,
    session: Session,
    actor: User,
    user_id: int,
    name: str,
    member_no: str = "",
    phone: str = "",
    role: str | None = None,
) -> dict[str, list]:
    """Changes name, 党员编号, 手机号 and (admins only) role; returns {field: [old, new]}."""
    user = get_manageable(session=session, actor=actor, user_id=user_id)
    member_no, phone, name = clean_member_no(member_no), clean_phone(phone), (name or "").strip()
    errors = check_member(session=session, name=name, member_no=member_no, phone=phone, exclude_user_id=user.id)
    if role is not None and role != user.role:
        if role not in grantable_roles(actor):
            errors["role"] = "只有管理员可以修改角色。"
        elif user.id == actor.id:
            errors["role"] = "不能修改自己的角色。"
    if errors:
        raise RosterError(errors)
    new = {"name": name, "member_no": member_no or None, "phone": phone or None}
    if role is not None:
        new["role"] = role
    changes = {k: [getattr(user, k), v] for k, v in new.items() if getattr(user, k) != v}
    if not changes:
        return {}
    for key, (_old, value) in changes.items():
        setattr(user, key, value)
    session.add(user)
    session.flush()
    shown = {k: [ROLE_LABELS.get(o, o), ROLE_LABELS.get(n, n)] if k == "role" else [o, n] for k, (o, n) in changes.items()}
    audit.record(
        session=session, actor=actor, action="member.update", target_type="user", target_id=user.id,
        org_id=user.org_id, summary=f"修改 {_label(user)} 的信息", details={"changes": shown},
    )
    return changes


def set_active(*, session: Session, actor: User, user_id: int, active: bool) -> User:
    """Deactivate (cannot log in, history kept) or reactivate an account."""
    user = get_manageable(session=session, actor=actor, user_id=user_id)
    if user.id == actor.id:
        raise RosterError({"active": "不能停用自己的账号。"})
    if user.active == active:
        raise RosterError({"active": "该账号已经是正常状态。" if active else "该账号已经停用。"})
    user.active = active
    session.add(user)
    session.flush()
    audit.record(
        session=session, actor=actor, action="member.reactivate" if active else "member.deactivate",
        target_type="user", target_id=user.id, org_id=user.org_id,
        summary=f"{'恢复' if active else '停用'} {_label(user)} 的账号",
    )
    return user


def movable(*, session: Session, actor: User, user_id: int) -> tuple[User, list[Organization]]:
    """Admins only (after the scope check, so another branch's member is still a 404): the member
    and the 党支部 they may be moved to."""
    user = get_manageable(session=session, actor=actor, user_id=user_id)
    if not actor.is_admin:
        raise Forbidden()
    scope = scope_for(session=session, user=actor)
    return user, [b for b in branches_in_scope(session=session, scope=scope) if b.id != user.org_id]


def move_member(*, session: Session, actor: User, user_id: int, org_id: int) -> User:
    """Admins only: move a member to another 党支部 of their subtree."""
    user, _ = movable(session=session, actor=actor, user_id=user_id)
    scope = scope_for(session=session, user=actor)
    target = _branch(session, scope, org_id)
    if user.id == actor.id:
        raise RosterError({"org_id": "不能调整自己的所在组织。"})
    if target.id == user.org_id:
        raise RosterError({"org_id": f"{user.name} 已在{target.name}。"})
    source = session.get(Organization, user.org_id)
    user.org_id = target.id
    session.add(user)
    session.flush()
    audit.record(
        session=session, actor=actor, action="member.move", target_type="user", target_id=user.id,
        org_id=target.id, summary=f"将 {_label(user)} 从{source.name}调整到{target.name}",
        details={"from_org": source.name, "to_org": target.name},
    )
    return user


def reset_password(*, session: Session, actor: User, user_id: int, password: str | None = None) -> str:
    """Sets a new initial password (given, or random) that must be changed at next login."""
    user = get_manageable(session=session, actor=actor, user_id=user_id)
    if user.id == actor.id:
        raise RosterError({"password": "请通过“修改密码”修改自己的密码。"})
    generated = not password
    if password:
        try:
            auth.check_password_strength(password, user=user)
        except auth.PasswordError as exc:
            raise RosterError({"password": str(exc)}) from None
    else:
        password = generate_password()
    auth.set_password(session=session, user=user, password=password, must_change=True)
    audit.record(
        session=session, actor=actor, action="member.password_reset", target_type="user", target_id=user.id,
        org_id=user.org_id, summary=f"重置 {_label(user)} 的密码（下次登录须修改）",
        details={"password": "系统随机生成" if generated else "由操作人设置"},
    )
    return password


def credential_rows(*, session: Session, actor: User, pairs: list[tuple[int, str]]) -> list[tuple[str, str, str, str]]:
    """(姓名, 登录账号, 初始密码, 所在支部) for the accounts in scope among (user id, password) pairs."""
    scope = _manager_scope(session, actor)
    ids = [uid for uid, _ in pairs]
    found: dict[int, tuple[User, Organization]] = {}
    for i in range(0, len(ids), 500):
        stmt = (
            select(User, Organization)
            .join(Organization, User.org_id == Organization.id)
            .where(User.id.in_(ids[i : i + 500]), scope.user_filter())
        )
        found.update({u.id: (u, o) for u, o in session.exec(stmt)})
    return [(found[uid][0].name, found[uid][0].login_name, pw, found[uid][1].name) for uid, pw in pairs if uid in found]
