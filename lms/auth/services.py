from __future__ import annotations

import re

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from lms import clock
from lms.auth import passwords
from lms.auth.models import ROLES, User
from lms.auth.passwords import PasswordError

_DUMMY_HASH = generate_password_hash("not-a-real-password-0")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
MEMBER_NO_RE = re.compile(r"^[A-Za-z0-9-]{3,32}$")
# Initial passwords of imported accounts are random (10 characters from 55, about 57 bits) and must
# be changed at the first login, when the default scrypt hash replaces this one. Guessing 2^57
# candidates stays out of reach even at this lighter cost, which keeps a 5,000-row roster import to
# a few seconds (scrypt: ~9 min).
INITIAL_HASH_METHOD = "pbkdf2:sha256:2000"


def is_initial_hash(password_hash: str) -> bool:
    """Whether a stored hash is an import's cheap one (not the full-cost default)."""
    return password_hash.startswith(INITIAL_HASH_METHOD + "$")


class WrongOldPassword(PasswordError):
    """The current password given when changing it is wrong (a guess: throttled like a login)."""


def check_password_strength(
    password: str, *, user: User | None = None, login_names: tuple[str | None, ...] = (), name: str | None = None
) -> None:
    """The password policy (lms/auth/passwords.py) for a password someone chose, for `user` (or for
    an account about to be made with `login_names` and `name`). Raises PasswordError saying why."""
    if user is not None:
        login_names, name = (user.member_no, user.phone), user.name
    passwords.check(password, login_names=login_names, name=name)


def find_by_login(*, session: Session, login: str) -> User | None:
    login = (login or "").strip()
    if not login:
        return None
    return session.exec(select(User).where(sa.or_(User.member_no == login, User.phone == login))).first()


def authenticate(*, session: Session, login: str, password: str) -> User | None:
    """The user if the login and password match and the account is active; None otherwise.

    Every call spends exactly one full-cost hash check, so the time does not tell an unknown login,
    an imported account that never signed in (its cheap INITIAL_HASH_METHOD hash) and an active
    one apart: unknown logins check a dummy hash, and a cheap hash is checked and then the dummy too.
    """
    user = find_by_login(session=session, login=login)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    matches = check_password_hash(user.password_hash, password or "")
    if is_initial_hash(user.password_hash):
        check_password_hash(_DUMMY_HASH, password or "")
    if not matches or not user.active:
        return None
    user.last_login_at = clock.now()
    session.add(user)
    return user


def build_user(
    *,
    name: str,
    org_id: int,
    password: str,
    role: str = "member",
    member_no: str | None = None,
    phone: str | None = None,
    must_change_password: bool = True,
    hash_method: str | None = None,
) -> User:
    """A new account, not yet added to a session: the rules every way of creating one shares.
    `create_user` saves one; the roster import adds a whole file's at once (with `hash_method`
    INITIAL_HASH_METHOD for its random initial passwords)."""
    if role not in ROLES:
        raise ValueError(f"未知角色：{role}")
    if not member_no and not phone:
        raise ValueError("党员编号和手机号至少填写一项。")
    password_hash = generate_password_hash(password, method=hash_method) if hash_method else generate_password_hash(password)
    return User(
        name=name.strip(),
        org_id=org_id,
        role=role,
        member_no=member_no or None,
        phone=phone or None,
        password_hash=password_hash,
        must_change_password=must_change_password,
    )


def create_user(
    *,
    session: Session,
    name: str,
    org_id: int,
    password: str,
    role: str = "member",
    member_no: str | None = None,
    phone: str | None = None,
    must_change_password: bool = True,
) -> User:
    user = build_user(name=name, org_id=org_id, password=password, role=role, member_no=member_no, phone=phone,
                      must_change_password=must_change_password)
    session.add(user)
    session.flush()
    return user


def set_password(*, session: Session, user: User, password: str, must_change: bool = False) -> None:
    user.password_hash = generate_password_hash(password)
    user.must_change_password = must_change
    user.session_version = (user.session_version or 1) + 1
    session.add(user)
    session.flush()


def change_password(*, session: Session, user: User, old: str, new: str) -> None:
    if not check_password_hash(user.password_hash, old or ""):
        raise WrongOldPassword("原密码不正确。")
    if old == new:
        raise PasswordError("新密码不能与原密码相同。")
    check_password_strength(new, user=user)
    set_password(session=session, user=user, password=new, must_change=False)
