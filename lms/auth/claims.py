"""Logins checked inside a view's own statement, for the hottest endpoint (the study beat).

Normally flask-login's user loader reads the member's row on every request (one SELECT) to check
that the account is active and that this login's session version is current. A view marked with
`checks_account_itself` gets a `ClaimedUser` instead: who the signed session cookie says is logged
in, not yet checked. Such a view must put `account_holds_sql(...)` into the WHERE of its statement,
so the check costs nothing extra; when its statement matches nothing, `verified_user()` tells a
login that no longer holds (answer 401) from any other reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, has_request_context, request
from flask_login import UserMixin

from lms.auth.models import User
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
    """The logged-in member as the session cookie claims them: id and session version only."""

    id: int
    session_version: int
    must_change_password = False  # account_holds() refuses those accounts in the statement itself

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


def account_holds_sql(*, user_param: str, version_param: str) -> str:
    """SQL text, true when the login is still good: the account exists and is active, the session
    version is current (a password change or reset ends older logins), and no password change is
    pending. The user loader's rules plus the forced-change redirect, as one primary-key probe;
    `:user_param` and `:version_param` are the statement's bind parameters."""
    return (
        f'EXISTS (SELECT 1 FROM "user" AS claimed WHERE claimed.id = :{user_param}'
        f" AND claimed.session_version = :{version_param}"
        " AND claimed.active AND NOT claimed.must_change_password)"
    )


def verified_user(user_id: int, session_version: int) -> User | None:
    """The account, if this login of it still holds (the user loader's check, done now)."""
    user = get_session().get(User, user_id)
    if user is None or user.session_version != session_version or not user.active:
        return None
    return user
