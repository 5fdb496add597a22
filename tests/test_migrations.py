"""The models and the migrations agree, on whichever database the suite runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
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
    engine = create_db_engine(database_url)
    insp = sa.inspect(engine)
    fks = insp.get_foreign_keys("lesson")
    assert fks[0]["name"] == "fk_lesson_course_id_course"
    assert insp.get_pk_constraint("lesson")["name"] in ("pk_lesson", None)  # SQLite does not keep PK names
    engine.dispose()


def test_sqlite_pragmas(app):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite pragmas; PostgreSQL has none")
    from lms.db import engine

    with app.app_context(), engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """A database with no tables yet, on the backend the suite runs on."""
    admin_url = os.environ.get("LMS_TEST_DATABASE_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"lms_migration_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_0007_carries_open_study_sessions_over_and_back(empty_database_url):
    """Sessions open during the upgrade keep their anchor and pending check (as epoch ms), and
    the downgrade restores them."""
    from alembic import command
    from sqlmodel import Session

    from lms.auth.models import User
    from lms.content.models import Course, Lesson
    from lms.db import UTCDateTime
    from lms.orgs.models import Organization
    from tests.conftest import alembic_config

    cfg = alembic_config(empty_database_url)
    command.upgrade(cfg, "0006")
    anchor = datetime(2025, 3, 10, 1, 0, 0, 250000, tzinfo=UTC)
    issued = datetime(2025, 3, 10, 0, 59, 30, tzinfo=UTC)
    old = sa.table(
        "study_session", *(sa.column(n, sa.Integer) for n in (
            "user_id", "lesson_id", "course_id", "version", "cap_seconds", "credit_year", "year_credited",
            "since_check_seconds", "next_check_seconds")),
        sa.column("token", sa.String), sa.column("started_at", UTCDateTime()),
        sa.column("last_beat_at", UTCDateTime()), sa.column("check_issued_at", UTCDateTime()),
    )
    common = {"version": 4, "cap_seconds": 1800, "credit_year": 2025,
              "year_credited": 600, "since_check_seconds": 300, "next_check_seconds": 1000, "started_at": anchor}
    engine = sa.create_engine(empty_database_url)
    with Session(engine) as s:  # the rows a study session refers to (tables 0007 leaves alone)
        org = Organization(name="机关第一党支部", kind="党支部", path="/")
        course = Course(slug="c", title="课程", summary="", order=1, category="必修", body_md="", content_hash="")
        s.add_all([org, course])
        s.flush()
        lesson = Lesson(key="c/l", course_id=course.id, slug="l", title="课", hours=0.5, order=1, required=True,
                        objectives=[], source="", body_md="", content_hash="")
        users = [User(name=n, member_no=n, password_hash="x", org_id=org.id) for n in ("D1", "D2")]
        s.add_all([lesson, *users])
        s.flush()
        common.update(lesson_id=lesson.id, course_id=course.id)
        user_ids = [u.id for u in users]
        s.commit()
    with engine.begin() as conn:
        conn.execute(old.insert(), [
            {"user_id": user_ids[0], "token": "a", "last_beat_at": anchor, "check_issued_at": issued, **common},
            {"user_id": user_ids[1], "token": "b", "last_beat_at": anchor, "check_issued_at": None, **common},
        ])

    command.upgrade(cfg, "0007")
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT user_id, anchor_ms, check_issued_ms, year_credited, last_gap_ms, credit_prev_day, credit_today"
            " FROM study_session ORDER BY user_id")).all()
    ms = int(anchor.timestamp() * 1000)
    assert [tuple(r) for r in rows] == [
        (user_ids[0], ms, int(issued.timestamp() * 1000), 600, 0, 0, 0),
        (user_ids[1], ms, None, 600, 0, 0, 0),
    ]

    command.downgrade(cfg, "0006")
    with engine.connect() as conn:
        back = conn.execute(sa.select(old.c.user_id, old.c.last_beat_at, old.c.check_issued_at)
                            .order_by(old.c.user_id)).all()
    engine.dispose()
    assert [tuple(r) for r in back] == [(user_ids[0], anchor, issued), (user_ids[1], anchor, None)]
