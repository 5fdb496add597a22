"""study integrity: study tickets, the 防挂机 challenge's evidence, and 学时异常 review

study_session gains the ticket it was opened with (view instant and nonce: a ticket opens one
session), the start's address, and the evidence the beat and the presence answers keep in the
row (credited seconds, the counted beats' gap count/sum/sum of squares, the previous beat's
instant and early beats in a row,
answer counts and response times) and the day's 学时 budget across sources (DAILY_MAX_HOURS:
open sessions start with budget day 0, i.e. the whole daily maximum, until their next start).
study_stretch keeps a replaced session's evidence (and the
review's decision on it); study_event keeps refused starts. Open sessions carry over (their
ticket instant is 0, so the next page view opens a new one as before).

Revision ID: 0010_study_integrity
Revises: 0009_notes
Create Date: 2026-12-02 04:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import lms.db

revision: str = '0010_study_integrity'
down_revision: str | None = '0009_notes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ZERO_INT = ('session_credited', 'beat_n', 'early_beats', 'presence_n', 'presence_fast', 'presence_wrong',
             'day_budget')
_ZERO_BIG = ('view_ms', 'gap_sum_ms', 'gap_sq_ms', 'presence_ms_sum', 'last_beat_ms', 'budget_day_ms')


def upgrade() -> None:
    with op.batch_alter_table('study_session', schema=None) as batch_op:
        for name in _ZERO_BIG:
            batch_op.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default='0'))
        for name in _ZERO_INT:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('ticket_nonce', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('no_visit', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('presence_ms_min', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('study_session', schema=None) as batch_op:
        for name in (*_ZERO_BIG, *_ZERO_INT, 'ticket_nonce', 'ip', 'no_visit'):
            batch_op.alter_column(name, server_default=None)

    op.create_table('study_stretch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('started_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False),
    sa.Column('no_visit', sa.Boolean(), nullable=False),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('credited', sa.Integer(), nullable=False),
    sa.Column('beat_n', sa.Integer(), nullable=False),
    sa.Column('gap_sum_ms', sa.BigInteger(), nullable=False),
    sa.Column('gap_sq_ms', sa.BigInteger(), nullable=False),
    sa.Column('presence_n', sa.Integer(), nullable=False),
    sa.Column('presence_ms_sum', sa.BigInteger(), nullable=False),
    sa.Column('presence_ms_min', sa.BigInteger(), nullable=True),
    sa.Column('presence_fast', sa.Integer(), nullable=False),
    sa.Column('presence_wrong', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'cleared', 'voided')", name=op.f('ck_study_stretch_status')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_study_stretch_course_id_course')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_study_stretch_decided_by_id_user')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'],
                            name=op.f('fk_study_stretch_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_study_stretch_lesson_id_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_study_stretch_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_stretch'))
    )
    with op.batch_alter_table('study_stretch', schema=None) as batch_op:
        batch_op.create_index('ix_study_stretch_ended', ['ended_at'], unique=False)
        batch_op.create_index('ix_study_stretch_user_ended', ['user_id', 'ended_at'], unique=False)

    op.create_table('study_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=True),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.CheckConstraint("status IN ('open', 'cleared')", name=op.f('ck_study_event_status')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_study_event_lesson_id_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_study_event_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_event'))
    )
    with op.batch_alter_table('study_event', schema=None) as batch_op:
        batch_op.create_index('ix_study_event_user_at', ['user_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('study_event', schema=None) as batch_op:
        batch_op.drop_index('ix_study_event_user_at')
    op.drop_table('study_event')
    with op.batch_alter_table('study_stretch', schema=None) as batch_op:
        batch_op.drop_index('ix_study_stretch_user_ended')
        batch_op.drop_index('ix_study_stretch_ended')
    op.drop_table('study_stretch')
    with op.batch_alter_table('study_session', schema=None) as batch_op:
        for name in ('presence_ms_min', 'no_visit', 'ip', 'ticket_nonce', *_ZERO_INT, *_ZERO_BIG):
            batch_op.drop_column(name)
