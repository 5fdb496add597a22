"""question.exam_pool: the course exam pool (content/courses/<course>/exam.yaml), apart from lesson quizzes

Issue 13 point 3: exams draw only from the pool and lesson quizzes never show it. Existing rows are
lesson-quiz questions (exam_pool false). A pool question's qid (e1 …) is unique within its course's
file, so the unique key becomes (lesson_id, exam_pool, qid).

The downgrade cannot keep the pool apart: its questions are retired (so no lesson quiz draws them) and
renamed exam-<qid> (so the old (lesson_id, qid) key holds); attempts that drew them keep pointing at them.

Revision ID: 0014_exam_pool
Revises: 0013_ledger_sanity
Create Date: 2026-12-02 04:00:00
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = '0014_exam_pool'
down_revision: str | None = '0013_ledger_sanity'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exam_pool', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_question_lesson_id_qid'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_question_lesson_id_exam_pool_qid'),
                                          ['lesson_id', 'exam_pool', 'qid'])


def downgrade() -> None:
    question = sa.table('question', sa.column('qid', sa.String()), sa.column('exam_pool', sa.Boolean()),
                        sa.column('retired_at', lms.db.UTCDateTime()))
    op.execute(
        question.update()
        .where(question.c.exam_pool.is_(True))
        .values(qid=sa.literal('exam-') + question.c.qid,
                retired_at=sa.func.coalesce(question.c.retired_at, sa.bindparam('now', datetime.now(UTC),
                                                                                 type_=lms.db.UTCDateTime())))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_question_lesson_id_exam_pool_qid'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_question_lesson_id_qid'), ['lesson_id', 'qid'])
        batch_op.drop_column('exam_pool')
