"""个人自学申报 (member → secretary in scope) and 调整 (admin corrections)."""

from __future__ import annotations

import re

from sqlmodel import select

from lms.hours.models import LedgerEntry, SelfReport
from tests.conftest import csrf_token


def submit(client, **data):
    form = {"study_date": "2025-03-08", "minutes": "90", "topic": "学习《条例》第二章",
            "place": "支部活动室，读书笔记 3 页", **data}
    form["csrf_token"] = csrf_token(client, "/hours/self-reports")
    return client.post("/hours/self-reports", data=form)


def reports(db, user_id):
    with db() as s:
        return list(s.exec(select(SelfReport).where(SelfReport.user_id == user_id)))


def ledger_rows(db, user_id):
    with db() as s:
        return list(s.exec(select(LedgerEntry).where(LedgerEntry.user_id == user_id).order_by(LedgerEntry.id)))


def test_member_reports_and_bad_input_keeps_what_was_typed(client, login, tree, frozen, db):
    frozen(2025, 3, 10, 9, 0, 0)
    login(tree["m1"])
    resp = submit(client, study_date="2025-03-11", topic="未来的学习")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "学习日期不能晚于今天" in html
    assert 'value="未来的学习"' in html and "支部活动室，读书笔记 3 页" in html
    for minutes, message in (("0", "1 至 480 分钟"), ("481", "1 至 480 分钟"), ("一小时", "请填写整数")):
        resp = submit(client, minutes=minutes)
        assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert "请填写学习内容" in submit(client, topic="").get_data(as_text=True)
    assert "只能申报本年度" in submit(client, study_date="2024-12-30").get_data(as_text=True)
    assert reports(db, tree["m1"].id) == []

    assert submit(client).status_code == 302
    page = client.get("/hours/self-reports").get_data(as_text=True)
    assert "学习《条例》第二章" in page and "待审批" in page
    # Pending reports do not count.
    assert ledger_rows(db, tree["m1"].id) == []
    # No more than 480 minutes reported for one day.
    resp = submit(client, minutes="400")
    assert resp.status_code == 400 and "该日已申报 90 分钟" in resp.get_data(as_text=True)


def test_secretary_in_scope_approves_and_the_member_sees_it(app, client, login, tree, frozen, db):
    frozen(2025, 3, 10, 9, 0, 0)
    login(tree["m1"])
    submit(client)
    (report,) = reports(db, tree["m1"].id)

    sec = app.test_client()
    from tests.hours.conftest import login_with

    login_with(sec, tree["sec1"])
    queue = sec.get("/hours/self-reports/review").get_data(as_text=True)
    assert "党员甲" in queue and "学习《条例》第二章" in queue and "90 分钟" in queue
    token = csrf_token(sec, "/hours/self-reports/review")
    assert sec.post(f"/hours/self-reports/{report.id}/approve", data={"csrf_token": token}).status_code == 302
    # A second click (or a second secretary) does not write a second row.
    sec.post(f"/hours/self-reports/{report.id}/approve", data={"csrf_token": token})
    rows = ledger_rows(db, tree["m1"].id)
    assert [(r.source, r.seconds, r.local_date.isoformat(), r.recorded_by_id, r.self_report_id) for r in rows] == [
        ("self_report", 5400, "2025-03-08", tree["sec1"].id, report.id)
    ]
    mine = client.get("/hours/self-reports").get_data(as_text=True)
    assert "已通过" in mine
    hours = client.get("/hours/").get_data(as_text=True)
    assert "1.5" in hours and "个人自学申报" in hours


def test_rejection_needs_a_reason_and_the_member_sees_it(app, client, login, tree, frozen, db):
    from tests.hours.conftest import login_with

    frozen(2025, 3, 10, 9, 0, 0)
    login(tree["m1"])
    submit(client)
    (report,) = reports(db, tree["m1"].id)
    sec = app.test_client()
    login_with(sec, tree["sec1"])
    token = csrf_token(sec, "/hours/self-reports/review")
    resp = sec.post(f"/hours/self-reports/{report.id}/reject", data={"csrf_token": token, "reason": "  "})
    assert resp.status_code == 400 and "请填写不通过的理由" in resp.get_data(as_text=True)
    assert reports(db, tree["m1"].id)[0].status == "pending"
    resp = sec.post(f"/hours/self-reports/{report.id}/reject",
                    data={"csrf_token": token, "reason": "请补充读书笔记照片"})
    assert resp.status_code == 302
    assert reports(db, tree["m1"].id)[0].status == "rejected"
    assert ledger_rows(db, tree["m1"].id) == []
    mine = client.get("/hours/self-reports").get_data(as_text=True)
    assert "未通过" in mine and "请补充读书笔记照片" in mine


def test_other_branch_and_own_reports_are_out_of_reach(app, client, login, tree, frozen, db):
    from tests.hours.conftest import login_with

    frozen(2025, 3, 10, 9, 0, 0)
    login(tree["m1"])
    submit(client)
    (report,) = reports(db, tree["m1"].id)
    # The member cannot review at all.
    token = csrf_token(client, "/hours/self-reports")
    assert client.get("/hours/self-reports/review").status_code == 403
    assert client.post(f"/hours/self-reports/{report.id}/approve", data={"csrf_token": token}).status_code == 403
    # The other branch's secretary: not in the queue, and a 404 on the report.
    sec2 = app.test_client()
    login_with(sec2, tree["sec2"])
    assert "学习《条例》第二章" not in sec2.get("/hours/self-reports/review").get_data(as_text=True)
    token2 = csrf_token(sec2, "/hours/self-reports/review")
    assert sec2.post(f"/hours/self-reports/{report.id}/approve", data={"csrf_token": token2}).status_code == 404
    assert sec2.post(f"/hours/self-reports/{report.id}/reject",
                     data={"csrf_token": token2, "reason": "x"}).status_code == 404
    # A secretary's own report needs someone else (the committee's admin) to approve it.
    sec1 = app.test_client()
    login_with(sec1, tree["sec1"])
    submit(sec1, topic="书记本人的自学")
    (own,) = reports(db, tree["sec1"].id)
    assert "书记本人的自学" not in sec1.get("/hours/self-reports/review").get_data(as_text=True)
    token1 = csrf_token(sec1, "/hours/self-reports/review")
    assert sec1.post(f"/hours/self-reports/{own.id}/approve", data={"csrf_token": token1}).status_code == 404
    admin = app.test_client()
    login_with(admin, tree["admin"])
    queue = admin.get("/hours/self-reports/review").get_data(as_text=True)
    assert "书记本人的自学" in queue and "学习《条例》第二章" in queue
    assert ledger_rows(db, tree["m1"].id) == [] and ledger_rows(db, tree["sec1"].id) == []


def adjust(client, user_id, **data):
    form = {"minutes": "-30", "local_date": "2025-03-10", "reason": "重复登记的集中学习，予以扣减", **data}
    form["csrf_token"] = csrf_token(client, f"/hours/members/{user_id}")
    return client.post(f"/hours/members/{user_id}/adjust", data=form)


def test_admin_adjustment_is_a_new_row_with_a_reason(app, client, login, tree, frozen, db):
    from lms.hours import services

    frozen(2025, 3, 10, 9, 0, 0)
    m1 = tree["m1"]
    with db() as s:
        services.add_entry(session=s, user_id=m1.id, source="offline", seconds=7200,
                           local_date=services.clock.today(), recorded_by_id=tree["sec1"].id, reason="三会一课")
    login(tree["admin"])
    resp = adjust(client, m1.id, reason="")
    assert resp.status_code == 400 and "请填写调整理由" in resp.get_data(as_text=True)
    assert 'value="-30"' in resp.get_data(as_text=True)
    resp = adjust(client, m1.id, minutes="-200")
    assert resp.status_code == 400 and "将小于 0" in resp.get_data(as_text=True)
    assert adjust(client, m1.id).status_code == 302
    rows = [(r.source, r.seconds, r.note, r.recorded_by_id) for r in ledger_rows(db, m1.id)]
    assert rows == [
        ("offline", 7200, "三会一课", tree["sec1"].id),
        ("adjustment", -1800, "重复登记的集中学习，予以扣减", tree["admin"].id),
    ]
    page = client.get(f"/hours/members/{m1.id}").get_data(as_text=True)
    assert "1.5" in page and "重复登记的集中学习，予以扣减" in page and "−30 分钟" in page


def test_only_admins_adjust_and_only_in_scope(app, client, login, tree, make_org, make_user, frozen, db):
    from tests.hours.conftest import login_with

    frozen(2025, 3, 10, 9, 0, 0)
    login(tree["sec1"])
    page = client.get(f"/hours/members/{tree['m1'].id}")
    assert page.status_code == 200 and "学时调整" not in page.get_data(as_text=True)
    assert adjust(client, tree["m1"].id).status_code == 403
    assert client.get(f"/hours/members/{tree['m2'].id}").status_code == 404
    other = make_user("admin", make_org("另一党委", kind="党委").id)
    outsider = app.test_client()
    login_with(outsider, other)
    assert outsider.get(f"/hours/members/{tree['m1'].id}").status_code == 404
    assert adjust(outsider, tree["m1"].id, minutes="60").status_code == 404
    assert ledger_rows(db, tree["m1"].id) == []


def test_member_page_links_to_hours(client, login, tree):
    login(tree["sec1"])
    html = client.get(f"/orgs/members/{tree['m1'].id}").get_data(as_text=True)
    assert re.search(r'href="/hours/members/\d+"', html) and "年度学时" in html
