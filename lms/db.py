"""Engine, per-request session, naming convention, SQLite pragmas and immediate write transactions."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata

# Set while a unit of work intends to write: SQLite then opens the transaction with
# BEGIN IMMEDIATE so two writers queue on busy_timeout instead of failing on upgrade.
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("lms_write_intent", default=False)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes everywhere; SQLite stores them naive (as UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_db_engine(url: str, **kw) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)
        _configure_sqlite(engine)
    else:
        kw.setdefault("pool_pre_ping", True)
        if "poolclass" not in kw:
            kw.setdefault("pool_size", 5)
            kw.setdefault("max_overflow", 10)
        engine = sa.create_engine(url, **kw)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is off).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def write_intent() -> Iterator[None]:
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def init_app(app: Flask) -> None:
    app.extensions["lms_engine"] = create_db_engine(app.config["DATABASE_URL"])

    @app.before_request
    def _mark_writes():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            g._lms_write_token = _write_intent.set(True)

    @app.teardown_appcontext
    def _close_session(exc):
        session = g.pop("_lms_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()
        token = g.pop("_lms_write_token", None)
        if token is not None:
            _write_intent.reset(token)


def engine() -> Engine:
    return current_app.extensions["lms_engine"]


def get_session() -> Session:
    """The session of this request (or app context); views commit it once on success."""
    if "_lms_session" not in g:
        g._lms_session = Session(engine(), expire_on_commit=False)
    return g._lms_session


@contextmanager
def cli_session(write: bool = True) -> Iterator[Session]:
    """A session for CLI commands and scripts: commits on success, rolls back on error."""
    ctx = write_intent() if write else _nullcontext()
    with ctx, Session(engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield


def utcnow_default() -> datetime:
    from lms import clock

    return clock.now()


def writes(view):
    """Mark a GET view that writes, so SQLite opens its transaction with BEGIN IMMEDIATE.

    The intent lasts until the view's first commit: what the view reads after it (the page's
    panels) runs in an ordinary deferred transaction and holds no write lock that the study beats
    would queue behind. A view that writes again after committing enters `write_intent()` itself.
    """
    import functools

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with write_intent():
            session = get_session()
            if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
                # A read transaction already began (loading the user for login_required): end it, so
                # the view's first statement opens the write transaction with BEGIN IMMEDIATE. Upgrading
                # the old read snapshot after another writer committed fails at once ("database is locked").
                session.commit()

            def _written(_session) -> None:
                _write_intent.set(False)  # restored to the request's own value when the block ends

            event.listen(session, "after_commit", _written)
            try:
                return view(*args, **kwargs)
            finally:
                event.remove(session, "after_commit", _written)

    return wrapper
