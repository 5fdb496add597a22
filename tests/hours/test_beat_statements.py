"""The beat does constant work: one or two indexed statements, the login check included.

Counted on the real endpoint with SQLAlchemy's cursor events (transaction control — BEGIN,
COMMIT — is not a statement here), on whichever database the suite runs.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlmodel import select

from lms import clock
from lms.auth.models import User
from lms.db import engine
from tests.sql import each_statement

READ_ONLY_OR_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


@contextmanager
def statements(app):
    """The SQL statements the app runs inside the block, as [(sql, parameters)]."""
    seen: list[tuple[str, object]] = []

    def record(statement, parameters):
        if not READ_ONLY_OR_CONTROL.match(statement):
            seen.append((statement, parameters))

    with each_statement(app, record):
        yield seen


def kinds(seen: list[tuple[str, object]]) -> list[str]:
    """'UPDATE study_session' / 'INSERT INTO ledger_entry' / 'SELECT …' for each statement."""
    out = []
    for sql, _params in seen:
        m = re.match(r"\s*(UPDATE \w+|INSERT INTO \w+|SELECT|DELETE FROM \w+)", sql, re.I)
        out.append(m.group(1) if m else " ".join(sql.split())[:40])
    return out


def test_a_crediting_beat_is_two_statements(app, make_user, open_lesson, frozen, ledger):
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clock.advance(seconds=30)
    with statements(app) as seen:
        assert tab.beat()["credited"] == 30
    assert kinds(seen) == ["UPDATE study_session", "INSERT INTO ledger_entry"], seen
    # The login is checked inside the UPDATE, not by a separate user lookup.
    assert '"user"' in seen[0][0] and "session_version" in seen[0][0]


def test_a_beat_across_midnight_is_still_two_statements(app, make_user, open_lesson, frozen, ledger, lesson):
    user = make_user()
    frozen(2025, 3, 10, 23, 59, 40)
    tab = open_lesson(user)
    clock.advance(seconds=30)
    with statements(app) as seen:
        assert tab.beat()["credited"] == 30
    assert kinds(seen) == ["UPDATE study_session", "INSERT INTO ledger_entry"], seen
    assert ledger(user.id) == [("online", "2025-03-10", 20, lesson.id), ("online", "2025-03-11", 10, lesson.id)]


@pytest.mark.parametrize("case", ["too_fast", "new_segment", "capped_before"])
def test_a_beat_that_credits_nothing_is_one_statement(app, db, make_user, open_lesson, frozen, lesson, case):
    from lms.hours import services

    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    if case == "capped_before":
        with db() as s:
            services.upsert_online(session=s, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                                   local_date=clock.today(), seconds=1800, at=clock.now())
    tab = open_lesson(user)
    clock.advance(seconds={"too_fast": 0.5, "new_segment": 600, "capped_before": 30}[case])
    with statements(app) as seen:
        body = tab.beat()
    assert body["credited"] == 0
    assert body["state"] == {"too_fast": "studying", "new_segment": "new_segment", "capped_before": "capped"}[case]
    assert kinds(seen) == ["UPDATE study_session"], seen


def test_the_beat_statements_use_primary_keys_and_the_roll_up_index(app, make_user, open_lesson, frozen):
    """EXPLAIN each statement the beat ran: no full scan of study_session, user or ledger_entry."""
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clock.advance(seconds=30)
    with statements(app) as captured:
        tab.beat()
    with app.app_context():
        eng = engine()
    assert len(captured) == 2
    with eng.connect() as conn:
        raw = conn.connection.driver_connection
        cur = raw.cursor()
        for statement, params in captured:
            if eng.dialect.name == "sqlite":
                cur.execute("EXPLAIN QUERY PLAN " + statement, params)
                plan = "\n".join(str(r[-1]) for r in cur.fetchall())
                # A full scan reads "SCAN <table>" without an index; searches name the key used.
                assert not re.search(r"SCAN (study_session|user|ledger_entry)\b(?! USING)", plan), plan
            else:
                cur.execute("SET enable_seqscan = off")  # is an index path available at all?
                cur.execute("EXPLAIN " + statement, params)
                plan = "\n".join(r[0] for r in cur.fetchall())
                assert "Seq Scan" not in plan, plan
        raw.rollback()


def test_a_beat_from_a_login_that_no_longer_holds_is_refused(app, db, client, make_user, open_lesson, frozen,
                                                             ledger):
    """The claim in the session cookie is checked by the UPDATE itself: a deactivated account,
    a password changed on another device, or a pending forced change all credit nothing (401)."""
    user = make_user()
    frozen(2025, 3, 10, 9, 0, 0)
    tab = open_lesson(user)
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 30

    def beat_status() -> int:
        clock.advance(seconds=30)
        return client.post("/hours/beat", data={"token": tab.token}, headers={"X-CSRFToken": tab.csrf}).status_code

    for change, undo in [
        ({"active": False}, {"active": True}),
        ({"must_change_password": True}, {"must_change_password": False}),
        ({"session_version": 2}, None),  # a password change elsewhere ends this login for good
    ]:
        with db() as s:
            s.exec(sa.update(User).where(User.id == user.id).values(**change))
            s.commit()
        assert beat_status() == 401, change
        if undo:
            with db() as s:
                s.exec(sa.update(User).where(User.id == user.id).values(**undo))
                s.commit()
            assert beat_status() == 200
    # A refused beat leaves the anchor alone: the next good one counts the 60 s since the last
    # good one (within the gap cap), so nothing is lost and nothing counts twice.
    online = sum(sec for src, _d, sec, _l in ledger(user.id) if src == "online")
    assert online == 30 + 60 + 60
    with db() as s:
        assert s.exec(select(User.session_version).where(User.id == user.id)).one() == 2
