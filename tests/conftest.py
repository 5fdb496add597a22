"""Shared fixtures: an app per test on its own fresh database, client, runner, login, factories.

SQLite (default): the migrations run once into a template file; each test gets a copy.
PostgreSQL (LMS_TEST_DATABASE_URL=postgresql+psycopg://…/postgres): a fresh database is
created for the run, migrated once, and every table is truncated between tests.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from lms import clock, create_app
from lms.auth import services as auth_services
from lms.db import cli_session, create_db_engine, metadata
from lms.orgs.services import create_org

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pass1234"


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


class _Postgres:
    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.name = f"lms_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        base = sa.engine.make_url(admin_url)
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        admin.dispose()
        migrate(self.url)
        self.engine = create_db_engine(self.url)
        tables = [t.name for t in metadata.sorted_tables]
        self.truncate_sql = "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"

    def clean(self) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self.truncate_sql)

    def drop(self) -> None:
        self.engine.dispose()
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> Iterator[object]:
    pg_url = os.environ.get("LMS_TEST_DATABASE_URL")
    if pg_url:
        pg = _Postgres(pg_url)
        yield pg
        pg.drop()
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        migrate(f"sqlite:///{path}")
        yield path


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if isinstance(database_template, _Postgres):
        database_template.clean()
        return database_template.url
    path = tmp_path / "test.db"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Override per test module by redefining this fixture (e.g. shorter intervals)."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": True,
    }


@pytest.fixture
def app(app_config):
    from lms.extensions import limiter

    app = create_app(app_config)
    with app.app_context():
        limiter.reset()
    yield app
    app.extensions["lms_engine"].dispose()
    clock.unfreeze()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A committing session for arranging data: `with db() as s: …`."""

    @contextmanager
    def _session():
        with app.app_context(), cli_session() as session:
            yield session

    return _session


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert m, f"no CSRF token on {path}"
    return m.group(1)


@pytest.fixture
def make_org(db):
    def _make(name: str | None = None, kind: str = "党支部", parent_id: int | None = None):
        from lms.orgs.models import Organization

        with db() as s:
            parent = s.get(Organization, parent_id) if parent_id else None
            return create_org(session=s, name=name or f"组织{uuid.uuid4().hex[:4]}", kind=kind, parent=parent)

    return _make


@pytest.fixture
def make_user(db, make_org):
    counter = {"n": 0}

    def _make(role: str = "member", org_id: int | None = None, name: str | None = None, must_change: bool = False,
              password: str = PASSWORD, **kw):
        counter["n"] += 1
        if org_id is None:
            org_id = make_org(kind="党支部" if role == "member" else "党委").id
        with db() as s:
            return auth_services.create_user(
                session=s,
                name=name or f"测试{counter['n']}",
                org_id=org_id,
                password=password,
                role=role,
                member_no=kw.pop("member_no", f"T{uuid.uuid4().hex[:8]}"),
                must_change_password=must_change,
                **kw,
            )

    return _make


@pytest.fixture
def login(client):
    def _login(user, password: str = PASSWORD, follow: bool = False):
        token = csrf_token(client)
        return client.post(
            "/login",
            data={"login": user.login_name, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    return _login


@pytest.fixture
def tree(make_org, make_user):
    """One 党委 with two 党支部, a secretary and two members each, and an admin."""
    committee = make_org("测试党委", kind="党委")
    b1 = make_org("第一支部", parent_id=committee.id)
    b2 = make_org("第二支部", parent_id=committee.id)
    return {
        "committee": committee,
        "b1": b1,
        "b2": b2,
        "admin": make_user("admin", committee.id, name="管理员"),
        "sec1": make_user("secretary", b1.id, name="书记甲"),
        "sec2": make_user("secretary", b2.id, name="书记乙"),
        "m1": make_user("member", b1.id, name="党员甲"),
        "m1b": make_user("member", b1.id, name="党员丙"),
        "m2": make_user("member", b2.id, name="党员乙"),
    }


@pytest.fixture
def synced(runner):
    """The real content/ synced into the test database."""
    result = runner.invoke(args=["lms", "content", "sync"])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """The default scrypt costs ~0.1 s per account; the tests create and log in many. The hash
    method is not what they test, so a cheap one keeps the suite fast."""
    from werkzeug import security

    from lms.auth import services

    monkeypatch.setattr(
        services, "generate_password_hash",
        lambda password, **kw: security.generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )
