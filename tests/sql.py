"""The one SQL recorder the statement-count tests share: every statement the app's engine sends
inside the block goes to `record(statement, parameters)`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from lms.db import engine


@contextmanager
def each_statement(app, record: Callable[[str, object], None]) -> Iterator[None]:
    with app.app_context():
        eng = engine()

    def listener(conn, cursor, statement, parameters, context, executemany):
        record(statement, parameters)

    event.listen(eng, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(eng, "before_cursor_execute", listener)
