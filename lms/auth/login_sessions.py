"""Signed-in devices: the rules of a login (LoginSession), as services.

A login is live while it is not ended, belongs to the account's current session version (a
password change or reset moves the version on and so ends every other login at once) and has
been used within `LMS_REMEMBER_DAYS` days. The session cookie names the login; a remembered
device also holds a random token (`<login id>.<token>` in its cookie) whose SHA-256 is stored
here. Each time the token signs the device in again it is replaced and expires that many days
later; the replaced token still works for a few seconds (two requests of one page that both
carried it), and after that is taken as a copy and ends the login.

The request side (the cookie, the user loader, sign-in and sign-out) is lms/auth/login_cookies.py.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session, select

from lms.auth.models import LoginSession, User

TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at moves at most this often (one UPDATE per device)
ROTATION_GRACE = timedelta(seconds=30)  # a just-replaced token still signs in (concurrent requests)
MAX_COOKIE = 200  # longer remember cookies are not ours


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits


def _clean(text: str | None, limit: int) -> str:
    return "".join(ch for ch in (text or "") if ch.isprintable())[:limit]


def is_live(user: User, login: LoginSession, *, at: datetime, days: int) -> bool:
    """The login still holds: not ended, the account active and at this login's session version,
    and used within `days` days."""
    return (
        login.ended_at is None
        and bool(user.active)
        and login.session_version == user.session_version
        and login.last_seen_at > at - timedelta(days=days)
    )


def start(*, session: Session, user: User, at: datetime, ip: str | None, user_agent: str | None, remember: bool,
          days: int) -> tuple[LoginSession, str | None]:
    """A new login for `user`; with `remember`, also the remember cookie's value (shown once)."""
    login = LoginSession(user_id=user.id, session_version=user.session_version, created_at=at, last_seen_at=at,
                         ip=_clean(ip, 45), user_agent=_clean(user_agent, 400))
    token = None
    if remember:
        token = _new_token()
        login.remember_hash = hash_token(token)
        login.remember_expires_at = at + timedelta(days=days)
    session.add(login)
    session.flush()
    return login, (f"{login.id}.{token}" if token else None)


def holding(*, session: Session, user_id: int, session_version: int, login_id: int, at: datetime,
            days: int) -> tuple[User, LoginSession] | None:
    """The account and its login, if the login named by a session cookie still holds (one statement)."""
    row = session.exec(
        select(User, LoginSession)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == user_id, LoginSession.id == login_id)
    ).first()
    if row is None:
        return None
    user, login = row
    if user.session_version != session_version or not is_live(user, login, at=at, days=days):
        return None
    return user, login


def needs_touch(login: LoginSession, at: datetime) -> bool:
    return at - login.last_seen_at >= TOUCH_EVERY


def touch(*, session: Session, login_id: int, at: datetime) -> None:
    session.execute(sa.update(LoginSession).where(LoginSession.id == login_id, LoginSession.ended_at.is_(None))
                    .values(last_seen_at=at))


@dataclass(frozen=True)
class Restored:
    user: User
    login: LoginSession
    cookie: str | None  # the replacement token's cookie value; None within the grace (keep the new one)


def _parse(cookie: str | None) -> tuple[int, str] | None:
    if not cookie or len(cookie) > MAX_COOKIE or "." not in cookie:
        return None
    head, token = cookie.split(".", 1)
    if not head.isdigit() or len(head) > 18 or not token:
        return None
    return int(head), token


def restore(*, session: Session, cookie: str | None, at: datetime, ip: str | None, user_agent: str | None,
            days: int) -> Restored | None:
    """Sign a remembered device in again from its cookie, replacing the token; None when the
    cookie opens nothing (unknown, expired, ended, or a replaced token presented too late — then
    the login ends: someone else holds a copy)."""
    parsed = _parse(cookie)
    if parsed is None:
        return None
    login_id, token = parsed
    row = session.exec(
        select(User, LoginSession).join(LoginSession, LoginSession.user_id == User.id).where(LoginSession.id == login_id)
    ).first()
    if row is None:
        return None
    user, login = row
    presented = hash_token(token)
    if login.remember_hash and hmac.compare_digest(presented, login.remember_hash):
        if not _may_restore(user, login, at=at, days=days):
            return None
        fresh = _new_token()
        replaced = session.execute(
            sa.update(LoginSession)
            .where(LoginSession.id == login_id, LoginSession.remember_hash == presented)
            .values(remember_hash=hash_token(fresh), prev_remember_hash=presented, rotated_at=at,
                    remember_expires_at=at + timedelta(days=days), last_seen_at=at,
                    ip=_clean(ip, 45), user_agent=_clean(user_agent, 400))
        ).rowcount
        if replaced == 1:
            return Restored(user, login, f"{login_id}.{fresh}")
        session.refresh(login)  # another request replaced it first: the grace below decides
    if login.prev_remember_hash and hmac.compare_digest(presented, login.prev_remember_hash):
        if login.rotated_at is not None and at - login.rotated_at <= ROTATION_GRACE:
            return Restored(user, login, None) if _may_restore(user, login, at=at, days=days) else None
        if login.ended_at is None:
            login.ended_at = at
            session.add(login)
            session.flush()
    return None


def _may_restore(user: User, login: LoginSession, *, at: datetime, days: int) -> bool:
    return (
        is_live(user, login, at=at, days=days)
        and login.remember_expires_at is not None
        and login.remember_expires_at > at
    )


def end(*, session: Session, user_id: int, login_id: int, at: datetime) -> bool:
    """End one of the member's logins (logout, or 退出 on 登录设备). False if it was not theirs or
    had already ended."""
    done = session.execute(
        sa.update(LoginSession)
        .where(LoginSession.id == login_id, LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=at, remember_hash=None, prev_remember_hash=None)
    ).rowcount
    return done == 1


def end_others(*, session: Session, user_id: int, keep: int | None, at: datetime) -> int:
    """End every login of the member but `keep`; how many were live."""
    stmt = sa.update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(LoginSession.id != keep)
    return session.execute(stmt.values(ended_at=at, remember_hash=None, prev_remember_hash=None)).rowcount


def keep_after_password_change(*, session: Session, user: User, login_id: int | None, at: datetime) -> None:
    """After a password change (the session version has moved on): this device stays signed in,
    every other login ends."""
    end_others(session=session, user_id=user.id, keep=login_id, at=at)
    if login_id is not None:
        session.execute(sa.update(LoginSession).where(LoginSession.id == login_id, LoginSession.user_id == user.id)
                        .values(session_version=user.session_version, last_seen_at=at))


def live(*, session: Session, user: User, at: datetime, days: int) -> list[LoginSession]:
    """The member's live logins, the most recently seen first."""
    rows = session.exec(
        select(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
               LoginSession.session_version == user.session_version,
               LoginSession.last_seen_at > at - timedelta(days=days))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    ).all()
    return list(rows)


_BROWSER_NAMES = {"WeChat Browser": "微信", "QQ Browser": "QQ浏览器", "QQ Browser Mobile": "QQ浏览器",
                  "UC Browser": "UC浏览器", "Chrome Mobile": "Chrome", "Mobile Safari": "Safari"}


@lru_cache(maxsize=512)
def describe(user_agent: str) -> str:
    """"Chrome 120 · Windows 10" (browser and system) from a User-Agent; 未知设备 when it says nothing.
    user-agents (over ua-parser's maintained uap-core patterns) reads it; the first call loads them."""
    from user_agents import parse

    ua = parse(user_agent or "")
    family = _BROWSER_NAMES.get(ua.browser.family, ua.browser.family)
    browser = " ".join(x for x in (family, ua.browser.version_string.split(".")[0]) if x)
    system = " ".join(x for x in (ua.os.family, ua.os.version_string) if x)
    parts = [p for p in (browser, system) if p and not p.startswith("Other")]
    return " · ".join(parts) or "未知设备"
