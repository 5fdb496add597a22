"""Roster actions: add, edit, deactivate, reactivate, move, reset password.

Every action fetches its target through the actor's scope (another branch's member is a 404),
checks what the actor's role may do (403), validates (RosterError with a Chinese message per
field) and writes one audit event in the caller's transaction.
"""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import Forbidden

from lms.audit import services as audit
from lms.auth import services as auth
from lms.auth.models import ROLE_LABELS, User
from lms.orgs.models import Organization
from lms.orgs.services import Scope, get_member, get_org, scope_for

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I
NAME_MAX = 50
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")  # a name with a line break breaks file names and lists


class RosterError(ValueError):
    """Validation problems, keyed by form field name."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


def generate_password(length: int = 10) -> str:
    """A random initial password that passes the strength rule (letters and digits)."""
    while True:
        pw = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if re.search(r"[A-Za-z]", pw) and re.search(r"\d", pw):
            return pw


def clean_phone(raw: str | None) -> str:
    """Spaces and hyphens removed, a leading +86 dropped: "138 0013 8000" → "13800138000"."""
    value = re.sub(r"[\s\-]", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def clean_member_no(raw: str | None) -> str:
    return (raw or "").strip()


def name_problem(name: str) -> str | None:
    """The one rule for a member's name: "missing", "too_long" (past NAME_MAX once trimmed),
    "control" (a line break or other control character), or None when it is fine. The roster
    form (`NAME_MESSAGES`) and the import (importer.py) word the problem each their own way."""
    if not name.strip():
        return "missing"
    if len(name.strip()) > NAME_MAX:
        return "too_long"
    if CONTROL_CHARS.search(name):
        return "control"
    return None


NAME_MESSAGES = {
    "missing": "请填写姓名。",
    "too_long": f"姓名最多 {NAME_MAX} 个字。",
    "control": "姓名中不能有换行或其他不可见字符。",
}


def format_problems(*, name: str, member_no: str, phone: str) -> dict[str, str]:
    """What is wrong with the fields themselves (no database look-up)."""
    errors: dict[str, str] = {}
    if problem := name_problem(name):
        errors["name"] = NAME_MESSAGES[problem]
    if member_no and not auth.MEMBER_NO_RE.match(member_no):
        errors["member_no"] = f"党员编号“{member_no}”格式不正确：应为 3–32 位字母、数字或连字符。"
    if phone and not auth.PHONE_RE.match(phone):
        hint = "（看起来被 Excel 转成了科学计数法，请把该列设为“文本”格式）" if re.match(r"^\d(\.\d+)?[eE]\+?\d+$", phone) else ""
        errors["phone"] = f"手机号“{phone}”格式不正确：应为 11 位数字，以 13–19 开头{hint}。"
    if not member_no and not phone:
        errors["member_no"] = "党员编号和手机号至少填写一项。"
    return errors


def logins_taken(*, session: Session, values: list[str], exclude_user_id: int | None = None) -> set[str]:
    """Which of these values are already a login (党员编号 or 手机号) of another account."""
    values = [v for v in values if v]
    taken: set[str] = set()
    for i in range(0, len(values), 500):
        chunk = values[i : i + 500]
        stmt = select(User.member_no, User.phone).where(sa.or_(User.member_no.in_(chunk), User.phone.in_(chunk)))
        if exclude_user_id is not None:
            stmt = stmt.where(User.id != exclude_user_id)
        for member_no, phone in session.exec(stmt):
            taken.update(v for v in (member_no, phone) if v in chunk)
    return taken


def check_member(
    *, session: Session, name: str, member_no: str, phone: str, exclude_user_id: int | None = None
) -> dict[str, str]:
    errors = format_problems(name=name, member_no=member_no, phone=phone)
    taken = logins_taken(session=session, values=[member_no, phone], exclude_user_id=exclude_user_id)
    if member_no and member_no in taken and "member_no" not in errors:
        errors["member_no"] = f"党员编号“{member_no}”已被其他账号使用。"
    if phone and phone in taken and "phone" not in errors:
        errors["phone"] = f"手机号“{phone}”已被其他账号使用。"
    return errors


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
            auth.check_password_strength(password)
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
