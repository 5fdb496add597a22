"""The authorization matrix: every route × anonymous, member, secretary, the other branch's
secretary and admin. Every response is also checked for headers, inert markup and leaks."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import url_for

from tests.security.checks import body_problems, cache_problems, header_problems
from tests.security.conftest import client_as
from tests.security.routes import (
    ALLOW,
    LOGIN,
    ROUTES,
    classification_problems,
    get_cases,
    get_request,
    post_cases,
)
from tests.security.world import M1_NO, M1B_NO, M1C_NO, M2_NO, changed_tables, fingerprint

# Member numbers a role must never see (the member's own branch mates included, for a member).
HIDDEN = {
    "anon": (M1_NO, M1B_NO, M1C_NO, M2_NO),
    "member": (M1B_NO, M1C_NO, M2_NO),
    "sec": (M2_NO,),
    "foreign": (M1_NO, M1B_NO, M1C_NO),
    "admin": (),
}


def test_every_rule_is_classified(world_app):
    """A new route fails here until tests/security/routes.py says who may use it."""
    app, _ = world_app
    assert classification_problems(app) == []


def _url(app, world, endpoint: str, args) -> str:
    with app.test_request_context():
        return url_for(endpoint, **args(world))


def _check_status(resp, expected, role: str) -> None:
    body = resp.get_data(as_text=True)[:300] if resp.mimetype.startswith(("text/", "application/json")) else ""
    if expected == LOGIN:
        assert resp.status_code == 302, f"{role}: expected a redirect to /login, got {resp.status_code} {body}"
        assert urlsplit(resp.headers["Location"]).path == "/login"
    else:
        assert resp.status_code == expected, f"{role}: expected {expected}, got {resp.status_code} {body}"


def _check_response(resp, role: str, endpoint: str) -> None:
    problems = header_problems(resp) + body_problems(resp) + cache_problems(resp, endpoint=endpoint,
                                                                            signed_in=role != "anon")
    assert not problems, problems
    data = resp.get_data()
    leaked = [m for m in HIDDEN[role] if m.encode() in data]
    assert not leaked, f"{role} sees {leaked}"


@pytest.mark.parametrize("endpoint,variant,role", get_cases())
def test_get(world_app, endpoint, variant, role):
    app, world = world_app
    route = ROUTES[endpoint]
    args, expected = get_request(route, variant)
    client, _ = client_as(app, world, role)
    resp = client.get(_url(app, world, endpoint, args))
    _check_status(resp, expected[role], role)
    _check_response(resp, role, endpoint)


@pytest.mark.parametrize("endpoint,role", post_cases())
def test_post_refused(world_app, endpoint, role):
    """With a valid CSRF token, a role without the right is refused and nothing changes."""
    app, world = world_app
    route = ROUTES[endpoint]
    expected = route.post[role]
    assert expected != ALLOW
    client, token = client_as(app, world, role)
    url = _url(app, world, endpoint, route.args)
    before = fingerprint(app)
    resp = client.post(url, data={**route.data(world), "csrf_token": token})
    if route.json and role == "anon":
        assert resp.status_code == 401 and resp.is_json
    else:
        _check_status(resp, expected, role)
    assert changed_tables(before, fingerprint(app)) == []
    _check_response(resp, role, endpoint)
