from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from lms.auth.models import User


def test_healthz_checks_the_database(client, app):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok", "database": "ok"}
    # A database that cannot be reached makes it 503, cleanly.
    app.extensions["lms_engine"] = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["database"] == "unreachable"


def _names(db) -> set[str]:
    with db() as s:
        return set(s.exec(sa.select(User.name)).scalars())


def test_sqlite_backup_and_restore(app, runner, db, make_user, tmp_path):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite round trip (PostgreSQL: the next test and test_deploy.py)")
    make_user(name="备份前")
    target = tmp_path / "backup.db"
    out = runner.invoke(args=["lms", "backup", "-o", str(target)])
    assert out.exit_code == 0, out.output
    make_user(name="备份后")
    assert _names(db) == {"备份前", "备份后"}
    out = runner.invoke(args=["lms", "restore", str(target), "--yes"])
    assert out.exit_code == 0, out.output
    assert _names(db) == {"备份前"}


def test_restore_on_postgres_points_to_pg_restore(app, runner, tmp_path):
    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("PostgreSQL: restoring is pg_restore's job (the SQLite round trip is above)")
    out = runner.invoke(args=["lms", "restore", str(tmp_path / "x.db"), "--yes"])
    assert out.exit_code == 1 and "pg_restore" in out.output


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"not a database at all" * 100)
    out = runner.invoke(args=["lms", "restore", str(bogus), "--yes"])
    assert out.exit_code == 1
    assert "无法恢复" in out.output or "pg_restore" in out.output


def test_postgres_backup_with_pg_dump(app, runner, tmp_path):
    import shutil

    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("PostgreSQL path (the SQLite round trip is test_sqlite_backup_and_restore)")
    if shutil.which("pg_dump") is None:
        if os.environ.get("CI"):
            pytest.fail("pg_dump missing in CI")
        pytest.skip("postgresql-client (pg_dump) not installed")
    target = tmp_path / "pg.dump"
    out = runner.invoke(args=["lms", "backup", "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert target.read_bytes()[:5] == b"PGDMP"


def test_proxy_headers_trusted_only_when_configured(app_config):
    from flask import request

    from lms import create_app

    for count, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        app = create_app({**app_config, "PROXY_COUNT": count})

        @app.route("/ip")
        def ip():
            return request.remote_addr

        resp = app.test_client().get("/ip", headers={"X-Forwarded-For": "203.0.113.9"})
        assert resp.get_data(as_text=True) == expected
