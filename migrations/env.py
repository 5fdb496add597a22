"""Alembic environment: SQLModel metadata, batch mode for SQLite, URL from the app's configuration."""

from __future__ import annotations

from pathlib import Path

from alembic import context
from sqlalchemy import pool

import lms.models  # noqa: F401  (registers every table)
from lms.config import PROJECT_ROOT, load_config
from lms.db import create_db_engine, metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    return load_config(Path(PROJECT_ROOT / "instance"))["DATABASE_URL"]


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(_url(), poolclass=pool.NullPool) if not _url().startswith("sqlite") else create_db_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
