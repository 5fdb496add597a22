from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token


@pytest.fixture
def post(client):
    """POST a form as the logged-in user, with the CSRF token unless csrf=False."""

    def _post(path: str, data: dict | None = None, *, csrf: bool = True, follow: bool = False, c=None):
        c = c or client
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = csrf_token(c, "/account/password")
        return c.post(path, data=data, follow_redirects=follow)

    return _post


@pytest.fixture
def events(db):
    """The audit events so far, oldest first."""

    def _events(action: str | None = None):
        from lms.audit.models import AuditEvent

        with db() as s:
            stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
            if action:
                stmt = stmt.where(AuditEvent.action == action)
            return list(s.scalars(stmt))

    return _events


@pytest.fixture
def fetch_user(db):
    def _fetch(user_id: int):
        from lms.auth.models import User

        with db() as s:
            return s.get(User, user_id)

    return _fetch
