"""certificate: re-issue after revocation, the revocation's category, the template version

Issue 15 points 1 and 5. The unique key (user_id, subject_key) becomes a partial unique index over
the certificates that are not revoked, so an admin can issue a replacement after a revocation; the
replacement points at the certificate it replaces (replaces_id, unique). Revocations get a category
(existing revoked rows become 其他, their free-text reason stays). template_version records which
certificate template rendered the PDF (NULL for certificates issued before it was recorded).

The downgrade restores the old unique key, which cannot hold once a subject has a replacement: it
refuses then rather than delete a certificate.

Revision ID: 0015_certificate_reissue
Revises: 0014_exam_pool
Create Date: 2026-12-02 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015_certificate_reissue'
down_revision: str | None = '0014_exam_pool'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_REVOKED = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoke_category', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('template_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_certificate_user_id_subject_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_replaces_id'), ['replaces_id'])
        batch_op.create_foreign_key(batch_op.f('fk_certificate_replaces_id_certificate'), 'certificate',
                                    ['replaces_id'], ['id'])
    op.create_index('uq_certificate_current', 'certificate', ['user_id', 'subject_key'], unique=True,
                    sqlite_where=NOT_REVOKED, postgresql_where=NOT_REVOKED)
    cert = sa.table('certificate', sa.column('revoked_at'), sa.column('revoke_category', sa.String()))
    op.execute(cert.update().where(cert.c.revoked_at.is_not(None)).values(revoke_category='other'))


def downgrade() -> None:
    clash = op.get_bind().execute(sa.text(
        "SELECT user_id, subject_key FROM certificate GROUP BY user_id, subject_key HAVING COUNT(*) > 1"
    )).first()
    if clash is not None:
        raise RuntimeError(
            f"certificate: member {clash[0]} has more than one certificate for {clash[1]} (a re-issue); "
            "the old unique key (user_id, subject_key) cannot be restored without deleting one"
        )
    op.drop_index('uq_certificate_current', table_name='certificate')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificate_replaces_id_certificate'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_certificate_replaces_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_user_id_subject_key'), ['user_id', 'subject_key'])
        batch_op.drop_column('template_version')
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('revoke_category')
