"""Migration 0009_notes: the note_answer table comes and goes, up and down, on the suite's database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from lms.db import create_db_engine
from tests.conftest import alembic_config
from tests.test_migrations import empty_database_url  # noqa: F401  (the fixture)


def test_0009_notes_up_and_down(empty_database_url):  # noqa: F811
    cfg = alembic_config(empty_database_url)
    before = ScriptDirectory.from_config(cfg).get_revision("0009_notes").down_revision
    command.upgrade(cfg, before)
    engine = create_db_engine(empty_database_url)
    assert "note_answer" not in sa.inspect(engine).get_table_names()

    command.upgrade(cfg, "0009_notes")
    insp = sa.inspect(engine)
    assert "note_answer" in insp.get_table_names()
    assert {ix["name"] for ix in insp.get_indexes("note_answer")} >= {"ix_note_answer_user_year"}
    # The constraints hold: one answer per member, lesson and question; only the two statuses.
    cols = {c["name"] for c in insp.get_columns("note_answer")}
    assert cols >= {"user_id", "lesson_id", "item", "prompt", "body", "status", "year", "submitted_at"}
    uniques = [u["column_names"] for u in insp.get_unique_constraints("note_answer")]
    assert ["user_id", "lesson_id", "item"] in uniques
    engine.dispose()

    command.downgrade(cfg, before)
    engine = create_db_engine(empty_database_url)
    assert "note_answer" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    command.upgrade(cfg, "head")


@pytest.mark.parametrize("status, ok", [("draft", True), ("submitted", True), ("deleted", False)])
def test_the_status_check_constraint(app, make_user, synced, db, status, ok):
    from lms import clock
    from lms.content.models import Lesson
    from lms.notes.models import NoteAnswer

    user = make_user()
    with db() as s:
        lesson_id = s.exec(sa.select(Lesson.id).limit(1)).scalar_one()
    row = NoteAnswer(user_id=user.id, lesson_id=lesson_id, item=1, body="x", status=status,
                     year=clock.today().year)
    if ok:
        with db() as s:
            s.add(row)
    else:
        with pytest.raises(sa.exc.IntegrityError), db() as s:
            s.add(row)
