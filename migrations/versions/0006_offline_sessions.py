"""offline sessions (集中学习) and a covering ledger index for the branch report

ix_ledger_entry_user_year gains (source, seconds): the branch report's per-member lookups become
index-only (EXPLAIN in bench/reports_bench.py); 我的学时 keeps using the same (user_id, year, …) prefix.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 06:18:47.268046
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import lms.db


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('offline_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('voided_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.CheckConstraint('duration_seconds > 0', name=op.f('ck_offline_session_duration_positive')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_offline_session_org_id_organization')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_offline_session_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['user.id'], name=op.f('fk_offline_session_voided_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_session'))
    )
    with op.batch_alter_table('offline_session', schema=None) as batch_op:
        batch_op.create_index('ix_offline_session_org_date', ['org_id', 'held_on'], unique=False)

    op.create_table('offline_attendance',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['offline_session.id'], name=op.f('fk_offline_attendance_session_id_offline_session')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_offline_attendance_user_id_user')),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_offline_attendance'))
    )
    with op.batch_alter_table('offline_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_attendance_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entry_user_year')
        batch_op.create_index('ix_ledger_entry_user_year', ['user_id', 'year', 'local_date', 'source', 'seconds'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entry_user_year')
        batch_op.create_index('ix_ledger_entry_user_year', ['user_id', 'year', 'local_date'], unique=False)

    with op.batch_alter_table('offline_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_attendance_user_id'))

    op.drop_table('offline_attendance')
    with op.batch_alter_table('offline_session', schema=None) as batch_op:
        batch_op.drop_index('ix_offline_session_org_date')

    op.drop_table('offline_session')
