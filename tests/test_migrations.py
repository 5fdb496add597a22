"""The models and the migrations agree, on whichever database the suite runs."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import lms.models  # noqa: F401
from lms.db import create_db_engine, metadata


def test_models_match_migrations(database_url):
    engine = create_db_engine(database_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(ctx, metadata)
    engine.dispose()
    assert diff == []


def test_constraint_names_follow_convention(database_url):
    import sqlalchemy as sa

    engine = create_db_engine(database_url)
    insp = sa.inspect(engine)
    fks = insp.get_foreign_keys("lesson")
    assert fks[0]["name"] == "fk_lesson_course_id_course"
    assert insp.get_pk_constraint("lesson")["name"] in ("pk_lesson", None)  # SQLite does not keep PK names
    engine.dispose()


def test_sqlite_pragmas(app):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        return
    from lms.db import engine

    with app.app_context(), engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
