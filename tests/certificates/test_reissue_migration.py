"""0015_certificate_reissue: old revocations get the category 其他; the downgrade refuses while a
subject has a replacement (rather than delete a certificate), and restores the old key otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lms.db import UTCDateTime, create_db_engine
from tests.test_migrations import empty_database_url  # noqa: F401  (fixture)

ISSUED = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _cert_table(*extra):
    return sa.table(
        "certificate", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("subject_key", sa.String),
        *(sa.column(n, sa.Integer) for n in ("user_id", "org_id", "issuer_org_id", "year", "seconds", "serial_no")),
        sa.column("hours", sa.Float), *(sa.column(n, sa.String) for n in (
            "holder_name", "org_name", "issuer_name", "subject", "serial", "code", "code_digest", "sha256")),
        sa.column("pdf", sa.LargeBinary), sa.column("issued_at", UTCDateTime()), sa.column("revoked_at", UTCDateTime()),
        *extra,
    )


def _row(n: int, user_id: int, org_id: int, revoked: bool, **kw) -> dict:
    return {"kind": "annual", "subject_key": "annual:2025", "user_id": user_id, "org_id": org_id,
            "issuer_org_id": org_id, "year": 2025, "seconds": 115200, "serial_no": n, "hours": 32.0,
            "holder_name": "党员甲", "org_name": "党委", "issuer_name": "党委", "subject": "2025年度",
            "serial": f"2026-000{n}", "code": f"CODE{n}", "code_digest": f"{n}" * 64, "sha256": "0" * 64,
            "pdf": b"%PDF", "issued_at": ISSUED, "revoked_at": ISSUED if revoked else None, **kw}


def test_0015_categorises_old_revocations_and_downgrades_only_without_replacements(empty_database_url):  # noqa: F811
    from alembic import command
    from sqlmodel import Session

    from lms.auth.models import User
    from lms.orgs.models import Organization
    from tests.conftest import alembic_config

    cfg = alembic_config(empty_database_url)
    command.upgrade(cfg, "0014_exam_pool")
    engine = create_db_engine(empty_database_url)
    with Session(engine) as s:
        org = Organization(name="党委", kind="党委", path="/")
        s.add(org)
        s.flush()
        users = [User(name=n, member_no=n, password_hash="x", org_id=org.id) for n in ("D1", "D2")]
        s.add_all(users)
        s.commit()
        org_id, (u1, u2) = org.id, [u.id for u in users]
    old = _cert_table()
    with engine.begin() as conn:
        conn.execute(old.insert(), [_row(1, u1, org_id, revoked=True), _row(2, u2, org_id, revoked=False)])
    engine.dispose()

    command.upgrade(cfg, "0015_certificate_reissue")
    new = _cert_table(sa.column("revoke_category", sa.String), sa.column("replaces_id", sa.Integer),
                      sa.column("template_version", sa.String))
    engine = create_db_engine(empty_database_url)
    with engine.begin() as conn:
        rows = conn.execute(sa.select(new.c.serial, new.c.revoke_category, new.c.template_version)
                            .order_by(new.c.id)).all()
        assert [tuple(r) for r in rows] == [("2026-0001", "other", None), ("2026-0002", None, None)]
        conn.execute(new.insert(), [_row(3, u1, org_id, revoked=False, replaces_id=1)])  # the re-issue
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # a second valid one for D1
        conn.execute(new.insert(), [_row(4, u1, org_id, revoked=False)])
    engine.dispose()

    with pytest.raises(RuntimeError, match="more than one certificate"):
        command.downgrade(cfg, "0014_exam_pool")
    engine = create_db_engine(empty_database_url)
    with engine.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(new)).scalar() == 3  # nothing lost
        conn.execute(new.delete().where(new.c.id == 3))
    engine.dispose()

    command.downgrade(cfg, "0014_exam_pool")
    engine = create_db_engine(empty_database_url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the old key is back
        conn.execute(old.insert(), [_row(5, u1, org_id, revoked=True)])
    engine.dispose()
