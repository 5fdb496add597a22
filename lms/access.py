"""Access scope: the one place that decides who sees whom.

A secretary sees their organisation's subtree, an admin theirs, a member only themself. A Scope
is applied as a query filter in the services, so a forgotten check returns nothing, and a record
outside it is a 404. It depends only on the account and organisation models, so every slice
(the audit log included) can take a Scope without importing the orgs slice's services.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from lms.auth.models import User
from lms.orgs.models import Organization


@dataclass(frozen=True)
class Scope:
    """What one user may see. `path` is the subtree root for managers, None for members."""

    user_id: int
    role: str
    path: str | None

    @property
    def is_manager(self) -> bool:
        return self.path is not None

    def org_filter(self):
        """Filter on Organization rows in scope (members see only their own branch's row)."""
        if self.path is None:
            return Organization.id == sa.select(User.org_id).where(User.id == self.user_id).scalar_subquery()
        return Organization.path.startswith(self.path, autoescape=True)

    def user_filter(self):
        """Filter on User rows in scope; needs Organization joined for managers."""
        if self.path is None:
            return User.id == self.user_id
        return User.org_id.in_(sa.select(Organization.id).where(self.org_filter()))


def scope_for(*, session: Session, user: User) -> Scope:
    if user.role in ("secretary", "admin"):
        org = session.get(Organization, user.org_id)
        return Scope(user_id=user.id, role=user.role, path=org.path if org else "/__none__/")
    return Scope(user_id=user.id, role=user.role, path=None)
