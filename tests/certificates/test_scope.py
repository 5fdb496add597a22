"""Secretaries and admins see their subtree; everyone else's certificates are a 404."""

from __future__ import annotations

from sqlmodel import select

from lms.certificates.models import Certificate
from tests.certificates.conftest import claim, post


def _issue(client, login, member, eligible, db):
    eligible.year(member, 2026)
    login(member)
    claim(client, kind="annual", year=2026)
    client.get("/")
    with db() as s:
        return s.exec(select(Certificate).where(Certificate.user_id == member.id)).one()


def test_foreign_certificates_are_404(app, client, db, login, tree, eligible, frozen):
    cert = _issue(client, login, tree["m1"], eligible, db)
    for user, expected in ((tree["m1b"], 404), (tree["sec2"], 404), (tree["sec1"], 200), (tree["admin"], 200)):
        c = app.test_client()
        from tests.conftest import csrf_token

        c.post("/login", data={"login": user.login_name, "password": "pass1234", "csrf_token": csrf_token(c)})
        assert c.get(f"/certificates/{cert.id}").status_code == expected, user.name
        assert c.get(f"/certificates/{cert.id}/pdf").status_code == expected, user.name


def test_members_cannot_manage(client, login, tree):
    login(tree["m1"])
    assert client.get("/certificates/manage").status_code == 403
    assert client.get("/certificates/batch").status_code == 403


def test_a_secretary_cannot_print_for_another_branch(client, db, login, tree, eligible, frozen):
    eligible.year(tree["m2"], 2026)
    login(tree["sec1"])
    resp = post(client, "/certificates/batch",
                {"org_id": tree["b1"].id, "kind": "annual", "year": 2026, "user_id": tree["m2"].id, "mode": "selected"},
                token_from="/certificates/batch")
    assert resp.status_code == 404
    assert client.get(f"/certificates/batch?org_id={tree['b2'].id}").status_code == 404
    with db() as s:
        assert s.exec(select(Certificate)).all() == []
