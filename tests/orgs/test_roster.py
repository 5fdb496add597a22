"""Roster actions by secretaries and admins: each shows up for the user and in the audit log."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_token


def shown_password(resp) -> str:
    m = re.search(r'class="secret">([^<]+)<', resp.get_data(as_text=True))
    assert m, "no initial password on the page"
    return m.group(1)


def log_in(app, user_login: str, password: str):
    c = app.test_client()
    token = csrf_token(c)
    resp = c.post("/login", data={"login": user_login, "password": password, "csrf_token": token})
    return c, resp


def test_secretary_adds_member_who_must_change_password(app, client, tree, login, post, events, db):
    login(tree["sec1"])
    form = client.get(f"/orgs/{tree['b1'].id}/members/new").get_data(as_text=True)
    assert "添加党员" in form and "第一支部" in form and 'name="role"' not in form
    resp = post(f"/orgs/{tree['b1'].id}/members/new",
                {"name": "新党员", "member_no": "D9001", "phone": "139 1234 5678", "org_id": tree["b1"].id})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "已添加 新党员" in page and "只显示这一次" in page
    assert resp.headers["Cache-Control"] == "no-store"
    password = shown_password(resp)

    from lms.auth.models import User

    with db() as s:
        user = s.scalars(sa.select(User).where(User.member_no == "D9001")).one()
        assert (user.org_id, user.role, user.phone, user.must_change_password) == (
            tree["b1"].id, "member", "13912345678", True)
    (event,) = events("member.create")
    assert (event.actor_id, event.target_id, event.org_id) == (tree["sec1"].id, user.id, tree["b1"].id)
    assert "新党员" in event.summary and password not in str(event.details)

    member_client, resp = log_in(app, "D9001", password)
    assert resp.headers["Location"].endswith("/account/password")
    assert member_client.get("/").headers["Location"].endswith("/account/password")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "王五", "member_no": "", "phone": "12345"}, "手机号“12345”格式不正确"),
        ({"name": "王五", "member_no": "D 1", "phone": ""}, "党员编号“D 1”格式不正确"),
        ({"name": "王五", "member_no": "", "phone": ""}, "党员编号和手机号至少填写一项"),
        ({"name": "", "member_no": "D9002", "phone": ""}, "请填写姓名"),
        ({"name": "王五", "member_no": "TAKEN01", "phone": ""}, "党员编号“TAKEN01”已被其他账号使用"),
        ({"name": "王五", "member_no": "", "phone": "13900000001"}, "手机号“13900000001”已被其他账号使用"),
    ],
)
def test_add_member_validation_keeps_what_was_typed(client, tree, make_user, login, post, events, db, data, message):
    make_user("member", tree["b2"].id, member_no="TAKEN01", phone="13900000001")
    login(tree["sec1"])
    resp = post(f"/orgs/{tree['b1'].id}/members/new", {**data, "org_id": tree["b1"].id})
    assert resp.status_code == 200
    page = html.unescape(resp.get_data(as_text=True))
    assert message in page
    for value in data.values():
        if value:
            assert f'value="{value}"' in page
    from lms.auth.models import User

    with db() as s:
        assert s.scalar(sa.select(sa.func.count(User.id)).where(User.name == "王五")) == 0
    assert events() == []


def test_edit_member_is_audited_with_old_and_new_values(client, tree, login, post, events, fetch_user):
    m1 = tree["m1"]
    login(tree["sec1"])
    page = client.get(f"/orgs/members/{m1.id}/edit").get_data(as_text=True)
    assert f'value="{m1.member_no}"' in page and 'name="role"' not in page
    resp = post(f"/orgs/members/{m1.id}/edit", {"name": "党员甲改", "member_no": m1.member_no, "phone": "13711112222"})
    assert resp.status_code == 302
    assert "已保存修改" in client.get(resp.headers["Location"]).get_data(as_text=True)
    user = fetch_user(m1.id)
    assert (user.name, user.phone) == ("党员甲改", "13711112222")
    (event,) = events("member.update")
    assert event.details["changes"] == {"name": ["党员甲", "党员甲改"], "phone": [None, "13711112222"]}
    assert event.actor_id == tree["sec1"].id and event.org_id == tree["b1"].id


def test_edit_with_a_bad_phone_keeps_the_form(client, tree, login, post, fetch_user, events):
    login(tree["sec1"])
    resp = post(f"/orgs/members/{tree['m1'].id}/edit", {"name": "新名字", "member_no": "", "phone": "1381234"})
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200 and "手机号“1381234”格式不正确" in page
    assert 'value="新名字"' in page and 'value="1381234"' in page
    assert fetch_user(tree["m1"].id).name == "党员甲"
    assert events() == []


def test_secretary_cannot_grant_roles(app, client, tree, make_user, login, post, fetch_user, events, db):
    login(tree["sec1"])
    # A forged role field is ignored: the form has no role for a secretary.
    post(f"/orgs/members/{tree['m1'].id}/edit", {"name": "党员甲", "member_no": tree["m1"].member_no, "role": "admin"})
    assert fetch_user(tree["m1"].id).role == "member"
    resp = post(f"/orgs/{tree['b1'].id}/members/new",
                {"name": "想当书记", "member_no": "D9100", "org_id": tree["b1"].id, "role": "secretary"})
    assert resp.status_code == 200
    from lms.auth.models import User
    from lms.orgs import roster

    with db() as s:
        assert s.scalars(sa.select(User.role).where(User.member_no == "D9100")).one() == "member"
    # …and the service refuses it too.
    with app.app_context(), db() as s:
        sec1 = s.get(User, tree["sec1"].id)
        with pytest.raises(roster.RosterError, match="只有管理员"):
            roster.update_member(session=s, actor=sec1, user_id=tree["m1"].id, name="党员甲",
                                 member_no=tree["m1"].member_no, role="secretary")
        with pytest.raises(roster.RosterError, match="只有管理员"):
            roster.add_member(session=s, actor=sec1, org_id=tree["b1"].id, name="某", member_no="D9101",
                              role="secretary")
    assert fetch_user(tree["m1"].id).role == "member"
    # Another secretary of the same branch is not theirs to manage.
    other_sec = make_user("secretary", tree["b1"].id, name="副书记")
    assert client.get(f"/orgs/members/{other_sec.id}/edit").status_code == 403
    assert post(f"/orgs/members/{other_sec.id}/deactivate").status_code == 403
    assert fetch_user(other_sec.id).active is True
    assert [e.action for e in events()] == ["member.create"]


def test_admin_makes_a_member_secretary(client, tree, login, post, fetch_user, events):
    login(tree["admin"])
    page = client.get(f"/orgs/members/{tree['m1'].id}/edit").get_data(as_text=True)
    assert 'name="role"' in page
    resp = post(f"/orgs/members/{tree['m1'].id}/edit",
                {"name": "党员甲", "member_no": tree["m1"].member_no, "role": "secretary"})
    assert resp.status_code == 302
    assert fetch_user(tree["m1"].id).role == "secretary"
    (event,) = events("member.update")
    assert event.details["changes"] == {"role": ["党员", "支部书记"]}


def test_deactivated_member_cannot_log_in_and_keeps_history(app, client, tree, login, post, events, db, synced):
    from lms.content.models import Lesson, LessonVisit

    m1 = tree["m1"]
    with db() as s:
        lesson = s.scalars(sa.select(Lesson).limit(1)).one()
        s.add(LessonVisit(user_id=m1.id, lesson_id=lesson.id))
    member_client, resp = log_in(app, m1.login_name, PASSWORD)
    assert member_client.get("/").status_code == 200

    login(tree["sec1"])
    confirm = client.get(f"/orgs/members/{m1.id}/deactivate").get_data(as_text=True)
    assert "确认停用" in confirm and "不能再登录" in confirm
    resp = post(f"/orgs/members/{m1.id}/deactivate")
    assert resp.status_code == 302
    assert "学习记录全部保留" in client.get(resp.headers["Location"]).get_data(as_text=True)

    # The open session ends, and the password no longer works.
    assert member_client.get("/").status_code == 302
    _, resp = log_in(app, m1.login_name, PASSWORD)
    assert "账号或密码不正确" in resp.get_data(as_text=True)

    # History kept: the record, its visits, and the member's page (listed under 已停用).
    with db() as s:
        assert s.scalar(sa.select(sa.func.count(LessonVisit.id)).where(LessonVisit.user_id == m1.id)) == 1
    assert "已停用" in client.get(f"/orgs/members/{m1.id}").get_data(as_text=True)
    assert "党员甲" not in client.get(f"/orgs/{tree['b1'].id}").get_data(as_text=True)
    assert "党员甲" in client.get(f"/orgs/{tree['b1'].id}?status=inactive").get_data(as_text=True)
    (event,) = events("member.deactivate")
    assert (event.actor_id, event.target_id) == (tree["sec1"].id, m1.id)

    assert post(f"/orgs/members/{m1.id}/reactivate").status_code == 302
    _, resp = log_in(app, m1.login_name, PASSWORD)
    assert resp.status_code == 302
    assert len(events("member.reactivate")) == 1


def test_reset_password_forces_change_at_next_login(app, client, tree, login, post, events):
    m1 = tree["m1"]
    member_client, _ = log_in(app, m1.login_name, PASSWORD)
    login(tree["sec1"])
    resp = post(f"/orgs/members/{m1.id}/password", {"mode": "generate"})
    password = shown_password(resp)
    assert "已重置 党员甲 的密码" in resp.get_data(as_text=True)
    # Signed out everywhere; the old password is gone; the new one must be changed at once.
    assert member_client.get("/").status_code == 302
    _, resp = log_in(app, m1.login_name, PASSWORD)
    assert "账号或密码不正确" in resp.get_data(as_text=True)
    c, resp = log_in(app, m1.login_name, password)
    assert resp.headers["Location"].endswith("/account/password")
    assert "请先设置您自己的密码" in c.get("/account/password").get_data(as_text=True)
    (event,) = events("member.password_reset")
    assert event.details == {"password": "系统随机生成"} and password not in event.summary


def test_reset_password_typed_by_the_secretary(app, client, tree, login, post):
    login(tree["sec1"])
    resp = post(f"/orgs/members/{tree['m1'].id}/password", {"mode": "manual", "password": "short1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "密码至少需要 8 位" in page and 'value="short1"' in page
    resp = post(f"/orgs/members/{tree['m1'].id}/password", {"mode": "manual", "password": "Dangyuan2025"})
    assert shown_password(resp) == "Dangyuan2025"
    _, resp = log_in(app, tree["m1"].login_name, "Dangyuan2025")
    assert resp.headers["Location"].endswith("/account/password")


def test_secretary_cannot_move_members(client, tree, login, post, fetch_user, events):
    login(tree["sec1"])
    assert client.get(f"/orgs/members/{tree['m1'].id}/move").status_code == 403
    assert post(f"/orgs/members/{tree['m1'].id}/move", {"org_id": tree["b2"].id}).status_code == 403
    assert "调整支部" not in client.get(f"/orgs/members/{tree['m1'].id}").get_data(as_text=True)
    assert fetch_user(tree["m1"].id).org_id == tree["b1"].id
    assert events() == []


def test_admin_moves_member_between_branches(app, client, tree, login, post, fetch_user, events):
    login(tree["admin"])
    page = client.get(f"/orgs/members/{tree['m1'].id}/move").get_data(as_text=True)
    assert "第二支部" in page
    resp = post(f"/orgs/members/{tree['m1'].id}/move", {"org_id": tree["b2"].id})
    assert resp.status_code == 302
    assert fetch_user(tree["m1"].id).org_id == tree["b2"].id
    (event,) = events("member.move")
    assert event.details == {"from_org": "第一支部", "to_org": "第二支部"} and event.org_id == tree["b2"].id
    # Now the other secretary's member.
    sec1, _ = log_in(app, tree["sec1"].login_name, PASSWORD)
    assert sec1.get(f"/orgs/members/{tree['m1'].id}").status_code == 404
    sec2, _ = log_in(app, tree["sec2"].login_name, PASSWORD)
    assert sec2.get(f"/orgs/members/{tree['m1'].id}").status_code == 200


def test_move_target_must_be_a_branch_in_scope(client, tree, make_org, login, post, fetch_user, events):
    foreign = make_org("外单位支部", parent_id=make_org("外单位党委", kind="党委").id)
    login(tree["admin"])
    resp = post(f"/orgs/members/{tree['m1'].id}/move", {"org_id": tree["committee"].id})
    assert resp.status_code == 200 and "党员只能编入党支部" in resp.get_data(as_text=True)
    assert post(f"/orgs/members/{tree['m1'].id}/move", {"org_id": foreign.id}).status_code == 404
    assert fetch_user(tree["m1"].id).org_id == tree["b1"].id
    assert events() == []


def test_admin_cannot_lock_themself_out(app, tree, db):
    from lms.auth.models import User
    from lms.orgs import roster

    with app.app_context(), db() as s:
        admin = s.get(User, tree["admin"].id)
        with pytest.raises(roster.RosterError, match="不能停用自己"):
            roster.set_active(session=s, actor=admin, user_id=admin.id, active=False)
        with pytest.raises(roster.RosterError, match="不能修改自己的角色"):
            roster.update_member(session=s, actor=admin, user_id=admin.id, name=admin.name,
                                 member_no=admin.member_no, role="member")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/orgs/{b1}/members/new", {"name": "伪造", "member_no": "D9999", "org_id": "{b1}"}),
        ("/orgs/members/{m1}/edit", {"name": "伪造", "member_no": "D9999"}),
        ("/orgs/members/{m1}/deactivate", {}),
        ("/orgs/members/{m1}/password", {"mode": "generate"}),
        ("/orgs/members/{m1}/move", {"org_id": "{b2}"}),
        ("/orgs/import", {}),
        ("/orgs/import/confirm", {"token": "x" * 32}),
        ("/orgs/import/passwords.csv", {"passwords": "[]"}),
    ],
)
def test_forged_requests_without_csrf_are_refused(client, tree, login, post, fetch_user, events, path, data):
    ids = {"b1": tree["b1"].id, "b2": tree["b2"].id, "m1": tree["m1"].id}
    login(tree["admin"])
    resp = post(path.format(**ids), {k: str(v).format(**ids) for k, v in data.items()}, csrf=False)
    assert resp.status_code == 400
    assert "页面已过期" in resp.get_data(as_text=True)
    m1 = fetch_user(tree["m1"].id)
    assert (m1.name, m1.active, m1.org_id) == ("党员甲", True, tree["b1"].id)
    assert events() == []


def test_members_cannot_manage_anyone(client, tree, login):
    login(tree["m1"])
    for path in (f"/orgs/{tree['b1'].id}/members/new", f"/orgs/members/{tree['m1b'].id}/edit", "/orgs/import",
                 "/orgs/import/template.csv", "/orgs/home"):
        assert client.get(path).status_code in (403, 404), path


def test_nav_leads_secretary_to_branch_roster_and_admin_to_overview(app, client, tree, login):
    login(tree["sec1"])
    resp = client.get("/orgs/home")
    assert resp.headers["Location"].endswith(f"/orgs/{tree['b1'].id}")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "添加党员" in page and "批量导入" in page and "党员甲" in page and "操作日志" not in page
    admin, _ = log_in(app, tree["admin"].login_name, PASSWORD)
    assert admin.get("/orgs/home").headers["Location"].endswith("/orgs/")
    assert "操作日志" in admin.get("/orgs/").get_data(as_text=True)


def test_roster_search_and_status_filter(client, tree, make_user, login):
    login(tree["admin"])
    page = client.get(f"/orgs/{tree['committee'].id}?q=党员&status=all").get_data(as_text=True)
    assert "党员甲" in page and "党员乙" in page and "书记甲" not in page
    assert "第一支部" in page  # the branch column when a whole committee is listed


def test_a_login_taken_at_the_same_moment_gets_a_message_not_an_error(client, tree, login, post, monkeypatch, db):
    from lms.auth.models import User
    from lms.orgs import member_rules

    monkeypatch.setattr(member_rules, "logins_taken", lambda **kw: set())  # as if the other save came just after the check
    login(tree["sec1"])
    resp = post(f"/orgs/{tree['b1'].id}/members/new",
                {"name": "同时保存", "member_no": tree["m2"].member_no, "org_id": tree["b1"].id})
    assert resp.status_code == 200 and "刚刚被其他账号使用" in resp.get_data(as_text=True)
    assert 'value="同时保存"' in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalar(sa.select(sa.func.count(User.id)).where(User.name == "同时保存")) == 0
