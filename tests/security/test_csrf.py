"""CSRF: every state-changing rule in app.url_map refuses a request without a valid token, from
a user who could otherwise do it, and nothing changes."""

from __future__ import annotations

import re

from flask import url_for

from tests.security.conftest import client_as
from tests.security.routes import ALLOW, ROLES, ROUTES
from tests.security.world import PASSWORD, changed_tables, fingerprint

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_PAGE = "页面已过期"  # the CSRF refusal, not a form's own validation error


def _state_changing_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        for method in sorted(rule.methods & STATE_CHANGING):
            yield rule, method


def _role_for(endpoint: str) -> str:
    """A role that may do it, so only the missing token stands in the way."""
    post = ROUTES[endpoint].post
    return next(r for r in ROLES if post[r] == ALLOW)


def _data(endpoint: str, world) -> dict:
    if endpoint == "auth.login":  # correct credentials: only the token is missing
        return {"login": world.logins["member"], "password": PASSWORD}
    return ROUTES[endpoint].data(world)


def test_every_state_changing_route_requires_the_token(world_app):
    app, world = world_app
    checked, failures = [], []
    other_session_token = client_as(app, world, "anon")[1]
    for rule, method in _state_changing_rules(app):
        endpoint = rule.endpoint
        assert endpoint in ROUTES, f"{endpoint} is not classified in tests/security/routes.py"
        role = _role_for(endpoint)
        with app.test_request_context():
            url = url_for(endpoint, **ROUTES[endpoint].args(world))
        for label, extra, headers in (
            ("no token", {}, {}),
            ("another session's token", {"csrf_token": other_session_token}, {"X-CSRFToken": other_session_token}),
        ):
            client, _ = client_as(app, world, role)
            before = fingerprint(app)
            resp = client.open(url, method=method, data={**_data(endpoint, world), **extra}, headers=headers)
            changed = changed_tables(before, fingerprint(app))
            refused = resp.status_code == 400 and CSRF_PAGE in resp.get_data(as_text=True)
            if not refused or changed:
                failures.append(f"{method} {url} as {role} with {label}: {resp.status_code}, changed {changed}")
            still = client.get("/")
            signed_in = still.status_code == 200
            if signed_in != (role != "anon"):
                failures.append(f"{method} {url} as {role} with {label}: signed in is now {signed_in}")
        checked.append(f"{method} {endpoint}")
    assert not failures, "\n".join(failures)
    assert len(checked) == sum(1 for r in ROUTES.values() if r.post)  # every one was walked


def test_refusal_page_is_chinese_and_keeps_the_session(world_app):
    app, world = world_app
    client, _ = client_as(app, world, "member")
    resp = client.post("/hours/self-reports", data={"topic": "学习", "minutes": "30"})
    assert resp.status_code == 400
    assert "页面已过期" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_json_endpoints_take_the_token_from_the_header(world_app):
    """The tracker sends X-CSRFToken; the header alone is enough, and a wrong one is refused."""
    app, world = world_app
    client, token = client_as(app, world, "member")
    bad = client.post("/hours/start", data={"lesson_id": world.lesson_id}, headers={"X-CSRFToken": token[:-2] + "xx"})
    assert bad.status_code == 400
    page = client.get(f"/courses/{world.course}/{world.lesson}").get_data(as_text=True)
    ticket = re.search(r'data-ticket="([^"]+)"', page).group(1)
    ok = client.post("/hours/start", data={"lesson_id": world.lesson_id, "ticket": ticket},
                     headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.is_json
    assert client.get("/").status_code == 200  # still signed in
