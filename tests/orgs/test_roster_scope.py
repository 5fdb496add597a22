"""Scope: every roster route answers 404 for another branch's member or branch, and changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_token

# (method, path, form data). {b1}/{b2}: the secretary's own / a foreign branch; {m2}: a foreign member.
ROUTES = [
    ("GET", "/orgs/{b2}", None),
    ("GET", "/orgs/{b2}?status=inactive", None),
    ("GET", "/orgs/{b2}/members/new", None),
    ("POST", "/orgs/{b2}/members/new", {"name": "越权", "member_no": "X9001", "org_id": "{b2}"}),
    ("POST", "/orgs/{b1}/members/new", {"name": "越权", "member_no": "X9002", "org_id": "{b2}"}),
    ("GET", "/orgs/members/{m2}", None),
    ("GET", "/orgs/members/{m2}/edit", None),
    ("POST", "/orgs/members/{m2}/edit", {"name": "越权", "member_no": "X9003"}),
    ("GET", "/orgs/members/{m2}/deactivate", None),
    ("POST", "/orgs/members/{m2}/deactivate", {}),
    ("GET", "/orgs/members/{m2}/reactivate", None),
    ("POST", "/orgs/members/{m2}/reactivate", {}),
    ("GET", "/orgs/members/{m2}/password", None),
    ("POST", "/orgs/members/{m2}/password", {"mode": "generate"}),
    ("GET", "/orgs/members/{m2}/move", None),
    ("POST", "/orgs/members/{m2}/move", {"org_id": "{b1}"}),
]


def _call(client, method, path, data, ids):
    path = path.format(**ids)
    if method == "GET":
        return client.get(path)
    form = {k: str(v).format(**ids) for k, v in data.items()}
    form["csrf_token"] = csrf_token(client, "/account/password")
    return client.post(path, data=form)


def _unchanged(db, tree):
    import sqlalchemy as sa

    from lms.audit.models import AuditEvent
    from lms.auth.models import User

    with db() as s:
        m2 = s.get(User, tree["m2"].id)
        assert (m2.name, m2.active, m2.org_id, m2.session_version) == ("党员乙", True, tree["b2"].id, 1)
        assert s.scalar(sa.select(sa.func.count(User.id)).where(User.name == "越权")) == 0
        assert s.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


@pytest.mark.parametrize(("method", "path", "data"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_secretary_gets_404_for_a_foreign_branch(client, tree, login, db, method, path, data):
    ids = {"b1": tree["b1"].id, "b2": tree["b2"].id, "m2": tree["m2"].id}
    login(tree["sec1"])
    resp = _call(client, method, path, data, ids)
    assert resp.status_code == 404
    assert "不在您的查看范围内" in resp.get_data(as_text=True)
    _unchanged(db, tree)


def test_admin_of_another_committee_gets_404_everywhere(app, tree, make_org, make_user, db):
    other = make_org("另一党委", kind="党委")
    other_branch = make_org("另一支部", parent_id=other.id)
    admin = make_user("admin", other.id)
    client = app.test_client()
    client.post("/login", data={"login": admin.login_name, "password": PASSWORD, "csrf_token": csrf_token(client)})
    # Their own branch stands in for {b1}; everything of the first committee is foreign.
    ids = {"b1": other_branch.id, "b2": tree["b2"].id, "m2": tree["m2"].id}
    for method, path, data in ROUTES:
        assert _call(client, method, path, data, ids).status_code == 404, (method, path)
    _unchanged(db, tree)


def test_import_cannot_reach_a_foreign_branch(client, tree, login, db):
    """The import's own scope check: a row naming another branch is refused (see test_import)."""
    import io

    login(tree["sec1"])
    data = "姓名,党员编号,所在支部\n越权,X9100,第二支部\n".encode()
    resp = client.post("/orgs/import", data={"csrf_token": csrf_token(client, "/orgs/import"),
                                             "file": (io.BytesIO(data), "名册.csv")})
    assert "第 2 行：所在支部“第二支部”不存在或不在您的管理范围内" in resp.get_data(as_text=True)
    _unchanged(db, tree)
