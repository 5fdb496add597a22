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


def test_0008_links_the_ledger_to_offline_sessions_and_back(empty_database_url, caplog):
    """Rows that point at a session keep their link; an id whose session is gone becomes NULL
    (the row and its seconds stay); afterwards the database refuses an id with no session."""
    from datetime import date
    from types import SimpleNamespace

    from alembic import command
    from sqlmodel import Session

    from lms.auth.models import User
    from lms.hours.models import LedgerEntry
    from lms.orgs.models import Organization
    from tests.conftest import alembic_config

    cfg = alembic_config(empty_database_url)
    command.upgrade(cfg, "0007")
    engine = create_db_engine(empty_database_url)  # SQLite: foreign_keys=ON, as the app runs
    day = date(2026, 3, 5)
    with Session(engine) as s:
        org = Organization(name="机关第一党支部", kind="党支部", path="/")
        s.add(org)
        s.flush()
        user = User(name="张三", member_no="D1", password_hash="x", org_id=org.id)
        s.add(user)
        s.flush()
        # The 0007 columns only (the model has grown since): plain SQL.
        s.execute(sa.text(
            "INSERT INTO offline_session (org_id, type, topic, held_on, duration_seconds, place, recorded_by_id,"
            " created_at, updated_at, revision, void_reason) VALUES (:o, '党课', '学习党章', :d, 5400, '', :u,"
            " :t, :t, 1, '')"), {"o": org.id, "d": day, "u": user.id, "t": datetime(2026, 3, 5, tzinfo=UTC)})
        held = SimpleNamespace(id=s.execute(sa.text("SELECT max(id) FROM offline_session")).scalar_one())
        entry = {"user_id": user.id, "seconds": 5400, "local_date": day, "year": 2026, "recorded_by_id": user.id}
        rows = [LedgerEntry(source="offline", offline_session_id=held.id, **entry),
                LedgerEntry(source="offline", offline_session_id=held.id + 1000, **entry),  # its session is gone
                LedgerEntry(source="adjustment", **entry)]
        s.add_all(rows)
        s.commit()
        ids = [r.id for r in rows]
        held_id, user_id = held.id, user.id

    def ledger() -> list[tuple]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT id, source, seconds, offline_session_id FROM ledger_entry ORDER BY id"))]

    def insert_dangling(conn) -> None:
        conn.execute(sa.text(
            "INSERT INTO ledger_entry (user_id, source, seconds, local_date, year, offline_session_id, note,"
            " created_at, updated_at) VALUES (:u, 'offline', 60, :d, 2026, :s, '', :t, :t)"),
            {"u": user_id, "d": day, "s": held_id + 2000, "t": datetime(2026, 3, 5, tzinfo=UTC)})

    with caplog.at_level("WARNING", logger="alembic.runtime.migration"):
        command.upgrade(cfg, "0008")
    assert f"{ids[1]}→{held_id + 1000}" in caplog.text  # the operator learns which row lost its link
    after = [(ids[0], "offline", 5400, held_id), (ids[1], "offline", 5400, None), (ids[2], "adjustment", 5400, None)]
    assert ledger() == after
    fks = {fk["name"]: fk for fk in sa.inspect(engine).get_foreign_keys("ledger_entry")}
    fk = fks["fk_ledger_entry_offline_session_id_offline_session"]
    assert fk["referred_table"] == "offline_session" and fk["constrained_columns"] == ["offline_session_id"]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        insert_dangling(conn)
    engine.dispose()

    command.downgrade(cfg, "0007")
    assert ledger() == after
    assert "fk_ledger_entry_offline_session_id_offline_session" not in {
        fk["name"] for fk in sa.inspect(engine).get_foreign_keys("ledger_entry")}
    with engine.begin() as conn:
        insert_dangling(conn)  # no constraint any more
    engine.dispose()


def test_0014_keeps_the_exam_pool_apart_and_retires_it_on_the_way_back(empty_database_url):
    """Existing questions become lesson-quiz questions; a pool question may share a quiz question's
    id; the downgrade retires the pool (renamed exam-<id>) so no lesson quiz draws it."""
    from alembic import command
    from sqlmodel import Session

    from lms.content.models import Course, Lesson
    from tests.conftest import alembic_config

    cfg = alembic_config(empty_database_url)
    command.upgrade(cfg, "0009_notes")
    engine = create_db_engine(empty_database_url)
    with Session(engine) as s:
        course = Course(slug="c", title="课程")
        s.add(course)
        s.flush()
        lesson = Lesson(key="c/l", course_id=course.id, slug="l", title="一课")
        s.add(lesson)
        s.commit()
        lesson_id = lesson.id
    insert = ("INSERT INTO question (lesson_id, qid, type, stem, options, answer, section, explanation, \"order\","
              " content_hash{extra}) VALUES (:l, 'q1', 'judge', '题', '[]', '[true]', '', '', 1, ''{values})")
    with engine.begin() as conn:
        conn.execute(sa.text(insert.format(extra="", values="")), {"l": lesson_id})
    engine.dispose()

    command.upgrade(cfg, "0014_exam_pool")
    engine = create_db_engine(empty_database_url)
    with engine.begin() as conn:
        assert [tuple(r) for r in conn.execute(sa.text("SELECT qid, exam_pool FROM question"))] == [("q1", False)]
        conn.execute(sa.text(insert.format(extra=", exam_pool", values=", :p")), {"l": lesson_id, "p": True})
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(insert.format(extra=", exam_pool", values=", :p")), {"l": lesson_id, "p": True})
    engine.dispose()

    command.downgrade(cfg, "0009_notes")
    engine = create_db_engine(empty_database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT qid, retired_at IS NOT NULL FROM question ORDER BY id")).all()
    engine.dispose()
    assert [(qid, bool(retired)) for qid, retired in rows] == [("q1", False), ("exam-q1", True)]
