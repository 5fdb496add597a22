"""The request side of logins (the rules are in lms/auth/login_sessions.py).

- Flask-Login's user id is "<account>:<session version>:<login>"; the user loader accepts it
  only while that login is live (one statement: the account joined with its login).
- Signing in makes a login; signing out ends it on the server, so a copy of the session cookie
  opens nothing afterwards, from any address. Flask-Login's strong session protection already
  refuses the session cookie from another address or browser; the login it names then ends too.
- "在这台设备上保持登录" is our own cookie, not Flask-Login's (which is the same HMAC of the user
  id on every login, valid from anywhere until the password changes): a random token, stored
  hashed, replaced on every use, expiring after `LMS_REMEMBER_DAYS` days, ended with its login.
  When the session cookie no longer carries a login for this browser (the browser was closed, or
  the address changed and session protection dropped it), a hook that runs before anything else
  signs the device in again from the token.
- A login's last_seen_at moves after a successful page view, at most every five minutes, in its
  own short transaction (so page statement budgets and the view's one commit are untouched).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from sqlmodel import Session

from lms import clock
from lms.auth import bp, login_sessions
from lms.auth.claims import ClaimedUser, view_checks_account_itself
from lms.auth.models import User
from lms.config import settings
from lms.db import engine, get_session, write_intent
from lms.extensions import login_manager

log = logging.getLogger("lms")

REMEMBER_COOKIE = "lms_remember"
_CLEAR = ""  # g._remember_cookie: delete the cookie


def bind_login(user: User, login_id: int | None) -> User:
    """Attach the login to the account object of this request (what get_id() reports)."""
    object.__setattr__(user, "login_id", login_id)  # a ClassVar, not a column: pydantic refuses `=`
    return user


def _days() -> int:
    return settings().remember_days


def _parse_ident(ident: str | None) -> tuple[int, int, int] | None:
    try:
        uid, version, login_id = (int(x) for x in (ident or "").split(":"))
    except ValueError:
        return None
    return uid, version, login_id


def load_user(ident: str) -> User | ClaimedUser | None:
    parsed = _parse_ident(ident)
    if parsed is None:
        return None
    uid, version, login_id = parsed
    if view_checks_account_itself():  # its own statement checks the login: no query here
        return ClaimedUser(uid, version, login_id)
    at = clock.now()
    found = login_sessions.holding(session=get_session(), user_id=uid, session_version=version, login_id=login_id,
                                   at=at, days=_days())
    if found is None:
        return None
    user, login = found
    if login_sessions.needs_touch(login, at):
        g._login_touch = login.id
    return bind_login(user, login.id)


def sign_in(*, session: Session, user: User, remember: bool) -> None:
    """Start a login for `user` on this device (the caller commits)."""
    login, cookie = login_sessions.start(
        session=session, user=user, at=clock.now(), ip=request.remote_addr, user_agent=request.user_agent.string,
        remember=remember, days=_days(),
    )
    login_user(bind_login(user, login.id))
    if cookie:
        g._remember_cookie = cookie
    elif REMEMBER_COOKIE in request.cookies:
        g._remember_cookie = _CLEAR


def sign_out(*, session: Session) -> None:
    """End this device's login on the server and forget it here (the caller commits)."""
    if current_user.is_authenticated and current_user.login_id is not None:
        login_sessions.end(session=session, user_id=current_user.id, login_id=current_user.login_id, at=clock.now())
    logout_user()
    if REMEMBER_COOKIE in request.cookies:
        g._remember_cookie = _CLEAR


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def restore_remembered() -> None:
    """Before every request (first of all), when the session cookie does not carry a login made in
    this browser: sign a remembered device in again from its token. A session cookie that names a
    login but arrives from another address or browser is dropped by Flask-Login's strong session
    protection; that login ends here too (unless the token signs the same login in again), so the
    copy left behind opens nothing, and a member whose address changed starts afresh."""
    ident = _parse_ident(session.get("_user_id"))
    holds = ident is not None and session.get("_id") == login_manager._session_identifier_generator()
    cookie = request.cookies.get(REMEMBER_COOKIE)
    if holds or _is_static(request.endpoint) or (cookie is None and ident is None):
        return
    restored = None
    with write_intent(), Session(engine(), expire_on_commit=False) as own:
        if cookie is not None:
            restored = login_sessions.restore(session=own, cookie=cookie, at=clock.now(), ip=request.remote_addr,
                                              user_agent=request.user_agent.string, days=_days())
        if ident is not None and (restored is None or restored.login.id != ident[2]):
            login_sessions.end(session=own, user_id=ident[0], login_id=ident[2], at=clock.now())
            session.pop("_user_id", None)  # ended once: later requests need not try again
        own.commit()
    if cookie is None:
        return
    if restored is None:
        g._remember_cookie = _CLEAR
        return
    user = get_session().merge(restored.user, load=False)
    login_user(bind_login(user, restored.login.id), fresh=False)
    if restored.cookie:
        g._remember_cookie = restored.cookie


def _remember_cookie(resp: Response) -> None:
    value = g.pop("_remember_cookie", None)
    if value is None:
        return
    flags = {"path": "/", "httponly": True, "samesite": "Lax", "secure": current_app.config["SESSION_COOKIE_SECURE"]}
    if value == _CLEAR:
        resp.delete_cookie(REMEMBER_COOKIE, **flags)
    else:
        resp.set_cookie(REMEMBER_COOKIE, value, max_age=_days() * 86400, **flags)


def _touch(resp: Response) -> None:
    login_id = g.pop("_login_touch", None)
    if login_id is None or request.method != "GET" or resp.status_code >= 400:
        return
    try:
        with write_intent(), Session(engine()) as own:
            login_sessions.touch(session=own, login_id=login_id, at=clock.now())
            own.commit()
    except sa.exc.OperationalError:  # last seen is a courtesy: never fail a page over it
        log.warning("could not update the last-seen time of login %s", login_id, exc_info=True)


@bp.after_app_request
def _after(resp: Response) -> Response:
    _remember_cookie(resp)
    _touch(resp)
    return resp


@bp.record_once
def _restore_first(state) -> None:
    app: Flask = state.app
    app.before_request_funcs.setdefault(None, []).insert(0, restore_remembered)
