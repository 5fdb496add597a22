"""Ledger sanity: 集中学习 gains a start time and an approval status; certificates gain a review flag

- offline_session.start_time (nullable: sessions recorded before it was asked for keep NULL,
  "unknown", which the overlap check treats as the whole day);
- offline_session.status ('approved' for every existing row: they were credited when recorded),
  decided_by_id, decided_at, reject_reason: a secretary's session crediting only themself is
  'pending' until the next level approves it;
- certificate.flagged_at, flag_reason: set when a correction leaves the holder below the
  certificate's requirement, for an admin to review.

Downgrade drops the columns (pending or rejected sessions then read as ordinary records; they have
no ledger rows, so totals are unchanged).

Revision ID: 0013_ledger_sanity
Revises: 0012_throttle
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import lms.db

revision: str = '0013_ledger_sanity'
down_revision: str | None = '0012_throttle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('offline_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_time', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10),
                                      server_default='approved', nullable=False))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reject_reason', sqlmodel.sql.sqltypes.AutoString(length=500),
                                      server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_offline_session_decided_by_id_user'), 'user',
                                    ['decided_by_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_offline_session_status'),
                                         "status IN ('approved', 'pending', 'rejected')")
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flagged_at', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('flag_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('flag_reason')
        batch_op.drop_column('flagged_at')
    with op.batch_alter_table('offline_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_offline_session_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_offline_session_decided_by_id_user'), type_='foreignkey')
        batch_op.drop_column('reject_reason')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('status')
        batch_op.drop_column('start_time')
