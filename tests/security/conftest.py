"""The security suite's world: built once per module on its own database (the matrix opens ~250
pages; building the world per request would take minutes)."""

from __future__ import annotations

import re
import shutil

import pytest

from lms import clock, create_app
from tests.conftest import _Postgres
from tests.security.world import PASSWORD, build_world


def _cheap_hash(monkeypatch) -> None:
    from werkzeug import security

    from lms.auth import services

    monkeypatch.setattr(
        services, "generate_password_hash",
        lambda password, **kw: security.generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture(scope="module")
def world_app(database_template, tmp_path_factory):
    """(app, world) shared by the tests of one module. Tests must leave the world as they found it
    (the denial tests check exactly that)."""
    from lms.extensions import limiter

    tmp = tmp_path_factory.mktemp("world")
    if isinstance(database_template, _Postgres):
        database_template.clean()
        url = database_template.url
    else:
        shutil.copy(database_template, tmp / "world.db")
        url = f"sqlite:///{tmp / 'world.db'}"
    with pytest.MonkeyPatch.context() as mp:
        _cheap_hash(mp)
        app = create_app({
            "TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "instance"),
            "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True,
        })
        with app.app_context():
            limiter.reset()
        world = build_world(app)
        yield app, world
        app.extensions["lms_engine"].dispose()
        clock.unfreeze()


def token_from(html: str) -> str | None:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    return m.group(1) if m else None


def client_as(app, world, role: str):
    """A test client signed in as the role ("anon": a session, not signed in), and its CSRF token."""
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = token_from(html)
    if role != "anon":
        resp = client.post("/login", data={"login": world.logins[role], "password": PASSWORD, "csrf_token": token})
        assert resp.status_code == 302, f"login as {role} failed"
    return client, token
