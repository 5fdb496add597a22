"""Logins checked inside a view's own statement, for the hottest endpoint (the study beat).

Normally flask-login's user loader reads the member's row with this login's (one SELECT) to check
that the account is active, that the session version is current and that the login has not ended
(lms/auth/login_sessions.py). A view marked with `checks_account_itself` gets a `ClaimedUser`
instead: who the signed session cookie says is logged in, and through which login, not yet
checked. Such a view must put `account_holds_sql(...)` into the WHERE of its statement, so the
check costs nothing extra; when its statement matches nothing, `verified_user()` tells a login
that no longer holds (answer 401) from any other reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, has_request_context, request
from flask_login import UserMixin

from lms import clock
from lms.auth import login_sessions
from lms.auth.models import User
from lms.config import settings
from lms.db import get_session

F = TypeVar("F", bound=Callable[..., Any])


def checks_account_itself(view: F) -> F:
    """Mark a view whose statement checks the login with `account_holds` (see the module doc)."""
    view.checks_account_itself = True  # type: ignore[attr-defined]
    return view


def view_checks_account_itself() -> bool:
    if not has_request_context() or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "checks_account_itself", False))


@dataclass(frozen=True)
class ClaimedUser(UserMixin):
    """The logged-in member as the session cookie claims them: id, session version and login only."""

    id: int
    session_version: int
    login_id: int
    must_change_password = False  # account_holds() refuses those accounts in the statement itself

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}:{self.login_id}"


def account_holds_sql(*, user_param: str, version_param: str, login_param: str) -> str:
    """SQL text, true when the login is still good: the account exists and is active, the session
    version is current (a password change or reset ends older logins), no password change is
    pending, and the login itself has not ended (logout, 登录设备). The user loader's rules plus
    the forced-change redirect, as two primary-key probes; `:user_param`, `:version_param` and
    `:login_param` are the statement's bind parameters. (A login unused for LMS_REMEMBER_DAYS
    days is refused by the user loader, so the page that beats could not have been loaded.)"""
    return (
        f'EXISTS (SELECT 1 FROM "user" AS claimed JOIN login_session AS claimed_login'
        " ON claimed_login.user_id = claimed.id"
        f" WHERE claimed.id = :{user_param} AND claimed.session_version = :{version_param}"
        " AND claimed.active AND NOT claimed.must_change_password"
        f" AND claimed_login.id = :{login_param} AND claimed_login.session_version = claimed.session_version"
        " AND claimed_login.ended_at IS NULL)"
    )


def verified_user(user_id: int, session_version: int, login_id: int) -> User | None:
    """The account, if this login of it still holds (the user loader's check, done now)."""
    found = login_sessions.holding(session=get_session(), user_id=user_id, session_version=session_version,
                                   login_id=login_id, at=clock.now(), days=settings().remember_days)
    return found[0] if found else None
