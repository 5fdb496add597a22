"""ledger_entry.offline_session_id becomes a foreign key to offline_session

The column has held 集中学习 record ids since 0003 (the offline_session table came in 0006), without
the constraint. Sessions are voided, never deleted, so every id should point at a session; an id
that does not (a row deleted by hand) is set to NULL before the constraint is added, keeping the
ledger row and its seconds, and each such row is logged (ledger id and the missing session id).
The downgrade drops the constraint only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:30:00
"""
import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

_DANGLING = sa.text(
    "SELECT id, offline_session_id FROM ledger_entry WHERE offline_session_id IS NOT NULL"
    " AND offline_session_id NOT IN (SELECT id FROM offline_session) ORDER BY id"
)


def upgrade() -> None:
    conn = op.get_bind()
    dangling = conn.execute(_DANGLING).all()
    if dangling:
        log.warning("ledger_entry rows pointing at missing offline sessions, now NULL (ledger id → session id): %s",
                    ", ".join(f"{entry}→{session}" for entry, session in dangling))
        conn.execute(sa.text("UPDATE ledger_entry SET offline_session_id = NULL WHERE id IN :ids")
                     .bindparams(sa.bindparam("ids", expanding=True)), {"ids": [entry for entry, _ in dangling]})
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_ledger_entry_offline_session_id_offline_session'),
                                    'offline_session', ['offline_session_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ledger_entry_offline_session_id_offline_session'), type_='foreignkey')
