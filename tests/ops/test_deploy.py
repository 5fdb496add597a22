"""The deployment as the README documents it: gunicorn -c deploy/gunicorn.conf.py, Redis for the limiter."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_runs_with_the_documented_config_and_healthz_answers(database_url, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "LMS_DATABASE_URL": database_url,
        "LMS_SECRET_KEY": "deploy-test",
        "LMS_INSTANCE_PATH": str(tmp_path),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        answer = None
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    answer = (resp.status, json.loads(resp.read()))
                    server_headers = resp.headers.get_all("Server") or []
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        assert answer == (200, {"status": "ok", "database": "ok"}), proc.stdout.read1().decode()
        assert server_headers == []  # gunicorn's "Server: gunicorn" is dropped by the config
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} does not answer in CI: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return client


def test_login_rate_limit_counts_in_redis_when_configured(app_config, make_user):
    """With LMS_REDIS_URL the limiter's counters live in Redis, shared by every gunicorn worker."""
    from lms import create_app
    from tests.conftest import csrf_token

    r = _redis()
    prefix = f"lms-test-{uuid.uuid4().hex[:8]}"
    app = create_app({**app_config, "REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix})
    try:
        user = make_user()
        client = app.test_client()
        for _ in range(5):
            resp = client.post("/login", data={"login": user.login_name, "password": "wrong",
                                               "csrf_token": csrf_token(client)})
            assert resp.status_code == 200
        keys = [k.decode() for k in r.scan_iter(f"*{prefix}*")]
        assert any(f"user:{user.id}/" in k for k in keys), keys  # the login throttle's account counter
        # A second app (another worker) shares the count: the account is now locked there too.
        other = create_app({**app_config, "REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix})
        c2 = other.test_client()
        resp = c2.post("/login", data={"login": user.login_name, "password": "pass1234", "csrf_token": csrf_token(c2)})
        assert resp.status_code == 429
        other.extensions["lms_engine"].dispose()
    finally:
        for k in r.scan_iter(f"*{prefix}*"):
            r.delete(k)
        app.extensions["lms_engine"].dispose()  # the next test's app puts the limiter back on its SQL counters


def test_postgres_backup_restores_with_pg_restore_as_documented(app, runner, make_user, tmp_path):
    """README: `flask lms backup` (pg_dump, custom format), then `pg_restore --no-owner -d <db> <file>`."""
    import shutil

    import sqlalchemy as sa

    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        pytest.skip("PostgreSQL path (the SQLite round trip is in test_ops.py)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if os.environ.get("CI"):
            pytest.fail("pg_dump/pg_restore missing in CI")
        pytest.skip("postgresql-client not installed")
    make_user(name="备份中的党员")
    dump = tmp_path / "lms.dump"
    out = runner.invoke(args=["lms", "backup", "-o", str(dump)])
    assert out.exit_code == 0, out.output
    base = sa.engine.make_url(url)
    name = f"lms_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        target = base.set(database=name, drivername="postgresql")
        result = subprocess.run(["pg_restore", "--no-owner", "-d", target.render_as_string(hide_password=False),
                                 str(dump)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        restored = sa.create_engine(base.set(database=name))
        with restored.connect() as conn:
            names = set(conn.exec_driver_sql('SELECT name FROM "user"').scalars())
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        restored.dispose()
        assert "备份中的党员" in names and revision
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
