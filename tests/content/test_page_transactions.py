"""The content pages' statements and transactions.

The lesson page writes (it remembers the visit), so `@writes` opens its transaction with
BEGIN IMMEDIATE on SQLite. After the view's commit the write intent is gone: the panels' reads
(the study status, the quiz card) run in an ordinary deferred transaction and do not hold the
write lock that the study beats queue behind.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager

import pytest

from lms import hooks
from lms.db import engine
from tests.sql import each_statement

LESSON = "/courses/cadre-selection-regulations/good-cadre-standard"
CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


@contextmanager
def sql(app):
    seen: list[str] = []
    with each_statement(app, lambda statement, parameters: seen.append(" ".join(statement.split()))):
        yield seen


def _sqlite_only(app):
    with app.app_context():
        if engine().dialect.name != "sqlite":
            pytest.skip("BEGIN IMMEDIATE and SQLite's write lock exist on SQLite only")


@pytest.mark.parametrize(("path", "most"), [("/", 9), ("/courses/cadre-selection-regulations", 13), (LESSON, 11)])
def test_the_content_pages_statement_counts(app, client, make_user, login, synced, path, most):
    """The counts before the panels moved to hooks; loading them in the view adds none. Issue 12 adds
    one each to the course page (the estimated study times' question counts) and to the lesson page
    (the quiz card's missing study time), and one more to the lesson page: the 学习心得 panel reads
    the member's answers."""
    login(make_user())
    client.get(path)
    with sql(app) as seen:
        assert client.get(path).status_code == 200
    statements = [s for s in seen if not CONTROL.match(s)]
    assert len(statements) <= most, statements


def test_the_lesson_page_reads_after_its_commit_without_write_intent(app, client, make_user, login, synced):
    _sqlite_only(app)
    login(make_user())
    client.get(LESSON)
    with sql(app) as seen:
        assert client.get(LESSON).status_code == 200
    begins = [s for s in seen if s.upper().startswith("BEGIN")]
    # The login check, the view's write (the visit), then the panels' reads.
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN"], seen
    after_write = seen[seen.index("BEGIN IMMEDIATE"):]
    assert any(s.startswith("UPDATE lesson_visit") or s.startswith("INSERT INTO lesson_visit")
               for s in after_write[: after_write.index("BEGIN", 1)])
    # The study status is read in the last, ordinary transaction.
    assert any("ledger_entry" in s for s in after_write[after_write.index("BEGIN", 1):])


def test_another_writer_is_not_blocked_while_the_lesson_page_reads_its_panels(app, client, make_user, login,
                                                                               synced):
    """While the page collects its panels (its read transaction open), a beat could write."""
    _sqlite_only(app)
    with app.app_context():
        path = engine().url.database
    outcome = {}

    def probe(**_):
        other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            outcome["other writer"] = "wrote"
        except sqlite3.OperationalError as exc:
            outcome["other writer"] = str(exc)
        finally:
            other.close()

    # Runs after the study status (lesson.status) has read in the request's post-commit transaction.
    hooks.register_panel(app, "lesson.after", probe, order=0)
    login(make_user())
    assert client.get(LESSON).status_code == 200
    assert outcome == {"other writer": "wrote"}
