"""学习心得: note_answer, a member's written answer to each 思考题 of a lesson

One row per (member, lesson, 思考题 number): a draft, or submitted (what secretaries in scope
read). New table only; the downgrade drops it with its answers.

Revision ID: 0009_notes
Revises: 0008
Create Date: 2026-12-02 01:43:18.317509
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import lms.db


revision: str = '0009_notes'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('note_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.Integer(), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_note_answer_status')),
    sa.CheckConstraint('item > 0', name=op.f('ck_note_answer_item_positive')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_note_answer_lesson_id_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_note_answer_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_answer')),
    sa.UniqueConstraint('user_id', 'lesson_id', 'item', name=op.f('uq_note_answer_user_id_lesson_id_item'))
    )
    with op.batch_alter_table('note_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_answer_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index('ix_note_answer_user_year', ['user_id', 'year'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('note_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_note_answer_user_year')
        batch_op.drop_index(batch_op.f('ix_note_answer_lesson_id'))

    op.drop_table('note_answer')
