"""ratelimit_counter: the rate-limit counters shared by every worker (lms/limiter_storage.py)

Flask-Limiter's limits and the login throttle count here when LMS_REDIS_URL is unset. On
PostgreSQL the app database holds them; on SQLite they live in a file of their own
(<instance>/ratelimit.db, created on first use), and this table stays empty. New table only; the
downgrade drops it with its counters (they expire within minutes anyway).

Revision ID: 0012_throttle
Revises: 0011_login_sessions
Create Date: 2026-12-02 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_throttle'
down_revision: str | None = '0011_login_sessions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ratelimit_counter',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ratelimit_counter'))
    )


def downgrade() -> None:
    op.drop_table('ratelimit_counter')
