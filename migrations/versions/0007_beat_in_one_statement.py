"""study sessions measure in epoch milliseconds, so a beat is one UPDATE

The beat now measures, credits and records its outcome in a single UPDATE … RETURNING
(lms/hours/tracker.py): instants become integer milliseconds since the epoch (the same integer
arithmetic on SQLite and PostgreSQL), the row keeps what the latest beat credited (RETURNING
sees only new values), and `version` goes (the UPDATE computes from the row it overwrites, so
no compare-and-set is needed). Open sessions are carried over: their anchors and pending checks
are converted, so a tab open during the upgrade keeps counting.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 09:40:00
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_COUNTERS = ('last_gap_ms', 'credit_prev_day', 'credit_today')


def _ms(at: datetime | None) -> int | None:
    return None if at is None else int(round(at.timestamp() * 1000))


def _at(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _table(*columns: sa.Column) -> sa.Table:
    return sa.Table('study_session', sa.MetaData(), sa.Column('user_id', sa.Integer, primary_key=True), *columns)


def upgrade() -> None:
    with op.batch_alter_table('study_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_ms', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('check_issued_ms', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('last_gap_ms', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('credit_prev_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('credit_today', sa.Integer(), nullable=True))

    t = _table(
        sa.Column('last_beat_at', lms.db.UTCDateTime()), sa.Column('check_issued_at', lms.db.UTCDateTime()),
        sa.Column('anchor_ms', sa.BigInteger), sa.Column('check_issued_ms', sa.BigInteger),
        *(sa.Column(name, sa.BigInteger) for name in _NEW_COUNTERS),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(t.c.user_id, t.c.last_beat_at, t.c.check_issued_at)).all()
    if rows:
        bind.execute(
            t.update().where(t.c.user_id == sa.bindparam('uid')).values(
                anchor_ms=sa.bindparam('anchor'), check_issued_ms=sa.bindparam('issued'),
                **{name: 0 for name in _NEW_COUNTERS},
            ),
            [{'uid': r.user_id, 'anchor': _ms(r.last_beat_at), 'issued': _ms(r.check_issued_at)} for r in rows],
        )

    with op.batch_alter_table('study_session', schema=None) as batch_op:
        for name in ('anchor_ms', *_NEW_COUNTERS):
            batch_op.alter_column(name, existing_type=sa.Integer() if name.startswith('credit') else sa.BigInteger(),
                                  nullable=False)
        batch_op.drop_column('version')
        batch_op.drop_column('last_beat_at')
        batch_op.drop_column('check_issued_at')


def downgrade() -> None:
    with op.batch_alter_table('study_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_beat_at', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('check_issued_at', lms.db.UTCDateTime(timezone=True), nullable=True))

    t = _table(
        sa.Column('version', sa.Integer), sa.Column('last_beat_at', lms.db.UTCDateTime()),
        sa.Column('check_issued_at', lms.db.UTCDateTime()),
        sa.Column('anchor_ms', sa.BigInteger), sa.Column('check_issued_ms', sa.BigInteger),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(t.c.user_id, t.c.anchor_ms, t.c.check_issued_ms)).all()
    if rows:
        bind.execute(
            t.update().where(t.c.user_id == sa.bindparam('uid')).values(
                version=0, last_beat_at=sa.bindparam('anchor'), check_issued_at=sa.bindparam('issued'),
            ),
            [{'uid': r.user_id, 'anchor': _at(r.anchor_ms), 'issued': _at(r.check_issued_ms)} for r in rows],
        )

    with op.batch_alter_table('study_session', schema=None) as batch_op:
        batch_op.alter_column('version', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('last_beat_at', existing_type=lms.db.UTCDateTime(timezone=True), nullable=False)
        for name in ('anchor_ms', 'check_issued_ms', *_NEW_COUNTERS):
            batch_op.drop_column(name)
