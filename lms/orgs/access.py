"""The gate in front of every secretary and admin page: a manager's session and Scope, 403 for members.

What the manager then sees is still decided by the Scope's query filters (lms/orgs/services.py);
this only refuses members (and anyone else who is not a secretary or admin) before a query runs.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlmodel import Session

from lms.access import Scope, scope_for
from lms.db import get_session


def require_manager() -> Session:
    """The request's session, or 403 unless the user is a secretary or an admin."""
    if not current_user.is_manager:
        abort(403)
    return get_session()


def manager_scope() -> tuple[Session, Scope]:
    """(session, scope) for a manager's page; 403 for members."""
    session = require_manager()
    return session, scope_for(session=session, user=current_user)
