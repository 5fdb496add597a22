from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from flask_login import UserMixin
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default

ROLES = ("member", "secretary", "admin")
ROLE_LABELS = {"member": "党员", "secretary": "支部书记", "admin": "管理员"}


class User(UserMixin, SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50)
    member_no: str | None = Field(default=None, max_length=32, unique=True)  # 党员编号
    phone: str | None = Field(default=None, max_length=20, unique=True)  # 手机号
    password_hash: str = Field(max_length=255)
    role: str = Field(default="member", max_length=16)
    org_id: int = Field(foreign_key="organization.id", index=True)
    active: bool = Field(default=True)
    must_change_password: bool = Field(default=True)
    # Bumped on password change/reset: old sessions stop working.
    session_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_active(self) -> bool:  # flask-login
        return bool(self.active)

    # The login (LoginSession) this request's account was loaded through: set by the user loader
    # and at sign-in (lms/auth/login_sessions.py bind_login), not a column.
    login_id: ClassVar[int | None] = None

    def get_id(self) -> str:  # flask-login: the id, the session version and the login
        return f"{self.id}:{self.session_version}:{self.login_id}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def login_name(self) -> str:
        return self.member_no or self.phone or ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_secretary(self) -> bool:
        return self.role == "secretary"

    @property
    def is_manager(self) -> bool:
        return self.role in ("secretary", "admin")


class LoginSession(SQLModel, table=True):
    """One signed-in device: made at login, ended by logout, by the member from 登录设备, or by a
    password change or reset (the account's session version moves on). The session cookie names
    it; a remembered device also holds a random token whose SHA-256 is kept here, replaced each
    time it signs the device in again (lms/auth/login_sessions.py)."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    session_version: int  # the account's session version this login belongs to
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    ip: str = Field(default="", max_length=45)
    user_agent: str = Field(default="", max_length=400)
    remember_hash: str | None = Field(default=None, max_length=64)  # SHA-256 hex of the current token
    remember_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    prev_remember_hash: str | None = Field(default=None, max_length=64)  # the token it replaced
    rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
