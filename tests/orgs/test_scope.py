from __future__ import annotations


def test_secretary_sees_own_branch_only(client, tree, login):
    login(tree["sec1"])
    own = client.get(f"/orgs/{tree['b1'].id}").get_data(as_text=True)
    assert "党员甲" in own and "党员乙" not in own
    assert client.get(f"/orgs/members/{tree['m1'].id}").status_code == 200
    # Another branch, and a member of it, are 404: they do not exist for this secretary.
    assert client.get(f"/orgs/{tree['b2'].id}").status_code == 404
    assert client.get(f"/orgs/members/{tree['m2'].id}").status_code == 404
    assert client.get(f"/orgs/{tree['committee'].id}").status_code == 404
    overview = client.get("/orgs/").get_data(as_text=True)
    assert "第一支部" in overview and "第二支部" not in overview


def test_admin_sees_whole_tree(client, tree, login):
    login(tree["admin"])
    overview = client.get("/orgs/").get_data(as_text=True)
    assert "第一支部" in overview and "第二支部" in overview
    assert client.get(f"/orgs/members/{tree['m2'].id}").status_code == 200
    committee = client.get(f"/orgs/{tree['committee'].id}").get_data(as_text=True)
    assert "党员甲" in committee and "党员乙" in committee


def test_admin_of_another_committee_sees_nothing_here(client, tree, make_org, make_user, login):
    other = make_org("另一党委", kind="党委")
    login(make_user("admin", other.id))
    assert client.get(f"/orgs/members/{tree['m1'].id}").status_code == 404
    assert client.get(f"/orgs/{tree['b1'].id}").status_code == 404


def test_member_cannot_open_org_pages(client, tree, login):
    login(tree["m1"])
    resp = client.get("/orgs/")
    assert resp.status_code == 403
    assert "没有权限" in resp.get_data(as_text=True)


def test_scope_in_service_layer(app, tree, db):
    from lms.access import scope_for
    from lms.orgs import services

    with db() as s:
        scope = scope_for(session=s, user=tree["sec2"])
        names = {u.name for u in services.members_in_scope(session=s, scope=scope)}
        assert names == {"书记乙", "党员乙"}
        member_scope = scope_for(session=s, user=tree["m1"])
        assert [u.name for u in services.members_in_scope(session=s, scope=member_scope)] == ["党员甲"]


def test_search_members(client, tree, login):
    login(tree["admin"])
    page = client.get(f"/orgs/{tree['committee'].id}?q=丙").get_data(as_text=True)
    assert "党员丙" in page and "党员甲" not in page


def test_demo_data_is_idempotent(runner, db, synced):
    import sqlalchemy as sa

    from lms.auth.models import User
    from lms.hours.models import LedgerEntry, SelfReport
    from lms.orgs.models import Organization

    def counts():
        with db() as s:
            return {
                "users": s.execute(sa.select(sa.func.count(User.id))).scalar_one(),
                "orgs": dict(s.execute(sa.select(Organization.kind, sa.func.count()).group_by(Organization.kind)).all()),
                "ledger": s.execute(sa.select(sa.func.count(LedgerEntry.id), sa.func.sum(LedgerEntry.seconds))).one(),
                "reports": s.execute(sa.select(sa.func.count(SelfReport.id))).scalar_one(),
            }

    first = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0, first.output
    after_first = counts()
    assert after_first["users"] == 31 and after_first["orgs"] == {"党委": 1, "党支部": 3}
    assert after_first["ledger"][0] > 0 and after_first["reports"] > 0  # the demo has some study to show
    runner.invoke(args=["lms", "demo"])
    assert counts() == after_first
