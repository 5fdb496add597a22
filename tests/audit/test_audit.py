"""The audit log page: admins only, their subtree only, with filters and pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lms import clock
from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def record(app, db):
    def _record(actor, action, org, summary, at=None, **details):
        from lms.audit import services
        from lms.auth.models import User

        if at is not None:
            clock.freeze(at)
        with app.app_context(), db() as s:
            services.record(session=s, actor=s.get(User, actor.id) if actor else None, action=action,
                            target_type="user", target_id=None, org_id=org.id, summary=summary, details=details)
        clock.unfreeze()

    return _record


def test_record_is_part_of_the_callers_transaction(app, tree):
    from lms.audit import services
    from lms.audit.models import AuditEvent
    from lms.db import cli_session

    with app.app_context():
        with pytest.raises(RuntimeError), cli_session() as s:
            services.record(session=s, actor=None, action="member.create", target_type="user", target_id=1,
                            org_id=tree["b1"].id, summary="不会保存")
            raise RuntimeError("the action failed")
        with cli_session() as s:
            assert s.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_only_admins_open_the_audit_log(client, tree, login):
    login(tree["sec1"])
    assert client.get("/audit/").status_code == 403
    assert "操作日志" not in client.get("/").get_data(as_text=True)


def test_members_cannot_open_the_audit_log(client, tree, login):
    login(tree["m1"])
    assert client.get("/audit/").status_code == 403


def test_admin_sees_actions_with_actor_time_target_and_details(client, tree, login, post_as_admin):
    post_as_admin(f"/orgs/members/{tree['m1'].id}/edit", {"name": "党员甲", "member_no": "NEW-001", "role": "member"})
    post_as_admin(f"/orgs/members/{tree['m2'].id}/move", {"org_id": tree["b1"].id})
    page = client.get("/audit/").get_data(as_text=True)
    assert "共 2 条记录" in page
    assert "修改党员信息" in page and "党员编号：" in page and "NEW-001" in page
    assert "调整所在支部" in page and "原支部：第二支部" in page and "新支部：第一支部" in page
    assert "管理员" in page  # the actor
    assert f'href="/orgs/members/{tree["m1"].id}"' in page  # the target
    body = page[page.index("<tbody>"):]
    assert body.index("调整所在支部") < body.index("修改党员信息")  # newest first


def test_admin_sees_only_their_subtree(app, tree, make_org, make_user, record):
    other = make_org("另一党委", kind="党委")
    other_admin = make_user("admin", other.id, name="外单位管理员")
    record(tree["sec1"], "member.create", tree["b1"], "本单位的事")
    record(other_admin, "member.create", other, "外单位的事")
    c = app.test_client()
    c.post("/login", data={"login": other_admin.login_name, "password": PASSWORD, "csrf_token": csrf_token(c)})
    page = c.get("/audit/").get_data(as_text=True)
    assert "外单位的事" in page and "本单位的事" not in page


def test_filters_by_action_actor_and_date(client, tree, login, record):
    day = lambda d, h=4: datetime(2025, 3, d, h, tzinfo=UTC)  # noqa: E731
    record(tree["sec1"], "member.create", tree["b1"], "一号添加", at=day(1))
    record(tree["sec2"], "member.deactivate", tree["b2"], "二号停用", at=day(2))
    record(tree["admin"], "member.move", tree["b1"], "管理员调整", at=day(3))
    # 23:30 Beijing time on 3 March is 15:30 UTC: still 3 March for the filter.
    record(tree["sec1"], "member.password_reset", tree["b1"], "深夜重置", at=datetime(2025, 3, 3, 15, 30, tzinfo=UTC))
    login(tree["admin"])

    def shown(query):
        page = client.get(f"/audit/?{query}").get_data(as_text=True)
        return {s for s in ("一号添加", "二号停用", "管理员调整", "深夜重置") if s in page}

    assert shown("") == {"一号添加", "二号停用", "管理员调整", "深夜重置"}
    assert shown("action=member.deactivate") == {"二号停用"}
    assert shown("actor=书记甲") == {"一号添加", "深夜重置"}
    assert shown(f"actor={tree['sec2'].member_no}") == {"二号停用"}
    assert shown("from=2025-03-02&to=2025-03-02") == {"二号停用"}
    assert shown("from=2025-03-03") == {"管理员调整", "深夜重置"}
    assert shown("to=2025-03-01") == {"一号添加"}
    page = client.get("/audit/?from=2025-13-01&actor=书记甲").get_data(as_text=True)
    assert "开始日期“2025-13-01”不是有效日期" in page and 'value="书记甲"' in page


def test_pagination(client, tree, login, record, app, db):
    from lms.audit import services
    from lms.auth.models import User

    with app.app_context(), db() as s:
        actor = s.get(User, tree["sec1"].id)
        for i in range(55):
            services.record(session=s, actor=actor, action="member.update", target_type="user", target_id=None,
                            org_id=tree["b1"].id, summary=f"第{i:02d}号修改")
    login(tree["admin"])
    first = client.get("/audit/?action=member.update").get_data(as_text=True)
    assert "共 55 条记录，第 1 / 2 页" in first and "第54号修改" in first and "第04号修改" not in first
    assert "/audit/?page=2&amp;action=member.update" in first or "action=member.update&amp;page=2" in first
    second = client.get("/audit/?action=member.update&page=2").get_data(as_text=True)
    assert "第04号修改" in second and "第54号修改" not in second and "上一页" in second
    assert "第04号修改" in client.get("/audit/?action=member.update&page=99").get_data(as_text=True)


@pytest.fixture
def post_as_admin(client, tree, login):
    login(tree["admin"])

    def _post(path, data):
        data = {**data, "csrf_token": csrf_token(client, "/account/password")}
        resp = client.post(path, data=data)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp

    return _post
