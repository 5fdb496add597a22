"""login_session: signed-in devices (logins that end on the server)

One row per login: made at sign-in, ended by logout, by the member on 登录设备, or by a password
change or reset. A remembered device's token is stored as its SHA-256. New table only: the
upgrade signs everyone out once (their cookies name no login); the downgrade drops it.

Revision ID: 0011_login_sessions
Revises: 0010_study_integrity
Create Date: 2026-12-02 03:58:55.481157
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import lms.db


revision: str = '0011_login_sessions'
down_revision: str | None = '0010_study_integrity'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('remember_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('remember_expires_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('prev_remember_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('rotated_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_session_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_user_id'))

    op.drop_table('login_session')
