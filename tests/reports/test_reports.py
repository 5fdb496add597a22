"""Year reports: numbers, status thresholds, sorting/filter/search, roll-up, charts, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from html import unescape
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlmodel import select

from lms import clock
from lms.access import scope_for
from lms.hours import services as hours
from lms.reports import committee
from lms.reports import services as reports
from tests.conftest import csrf_token

CST = ZoneInfo("Asia/Shanghai")
H = 3600


@pytest.fixture(autouse=True)
def _frozen():
    # 1 July 2025: 182 of 365 days gone, so being on pace means ≥ 32 × 182/365 ≈ 15.96 学时.
    clock.freeze(datetime(2025, 7, 1, 10, 0, tzinfo=CST))


@pytest.fixture
def data(tree, make_user, db, synced):
    from lms.content.models import Lesson

    m1c = make_user("member", tree["b1"].id, name="党员丁")
    with db() as s:
        lesson = s.exec(select(Lesson).order_by(Lesson.id)).first()

        def add(user, source, seconds, day):
            if source == "online":
                hours.upsert_online(session=s, user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
                                    local_date=day, seconds=seconds, at=clock.now())
            else:
                hours.add_entry(session=s, user_id=user.id, source=source, seconds=seconds, local_date=day,
                                recorded_by_id=tree["sec1"].id, reason="测试")

        add(tree["m1"], "online", 20 * H, date(2025, 3, 2))
        add(tree["m1"], "offline", 12 * H, date(2025, 6, 20))
        add(tree["m1b"], "offline", 16 * H, date(2025, 2, 1))          # exactly on pace → 进度正常
        add(tree["m1b"], "offline", 16 * H, date(2024, 5, 1))          # last year: short of 32 → 滞后
        add(m1c, "self_report", 16 * H, date(2025, 4, 9))
        add(m1c, "adjustment", -1 * H, date(2025, 4, 10))              # 15 学时 → 滞后
        add(tree["m2"], "offline", 40 * H, date(2025, 5, 5))           # the other branch
    return {**tree, "m1c": m1c}


def branch(app, user, org, year=2025):
    from lms.db import cli_session

    with app.app_context(), cli_session() as s:
        return reports.branch_report(session=s, scope=scope_for(session=s, user=user), org_id=org.id, year=year,
                                     today=clock.today())


def test_member_rows_sums_status_and_last_date(app, data):
    report = branch(app, data["sec1"], data["b1"])
    rows = {r.name: r for r in report.rows}
    assert sorted(rows) == sorted(["书记甲", "党员甲", "党员丙", "党员丁"])
    a, b, d, s = rows["党员甲"], rows["党员丙"], rows["党员丁"], rows["书记甲"]
    assert (a.by_source["online"], a.by_source["offline"], a.by_source["self_report"], a.by_source["adjustment"],
            a.total) == (20 * H, 12 * H, 0, 0, 32 * H)
    assert (a.status, a.percent, a.last_date) == ("done", 100, date(2025, 6, 20))
    assert (b.total, b.status, b.percent) == (16 * H, "on_track", 50)
    assert (d.by_source["self_report"], d.by_source["adjustment"], d.total, d.status, d.percent) == (
        16 * H, -H, 15 * H, "behind", 46)
    assert d.last_date == date(2025, 4, 9)  # the negative 调整 is not study
    assert (s.total, s.status, s.last_date) == (0, "behind", None)
    assert report.counts == {"done": 1, "on_track": 1, "behind": 2}
    assert report.reached_rate == 25


def test_status_moves_with_the_date_and_a_past_year_is_behind_unless_reached(app, data):
    clock.freeze(datetime(2025, 7, 3, 10, 0, tzinfo=CST))  # 184 days: on pace needs ≈ 16.13 学时
    rows = {r.name: r for r in branch(app, data["sec1"], data["b1"]).rows}
    assert rows["党员丙"].status == "behind"
    past = {r.name: r for r in branch(app, data["sec1"], data["b1"], year=2024).rows}
    assert (past["党员丙"].total, past["党员丙"].status) == (16 * H, "behind")


def test_rollup_per_branch_matches_the_branch_tables(app, data):
    from lms.db import cli_session

    with app.app_context(), cli_session() as s:
        rollup = committee.committee_rollup(session=s, scope=scope_for(session=s, user=data["admin"]), year=2025,
                                          today=clock.today())
    by_name = {r.org.name: r for r in rollup.orgs}
    b1 = by_name["第一支部"]
    assert (b1.members, b1.done, b1.on_track, b1.behind, b1.rate) == (4, 1, 1, 2, 25)
    assert b1.average == (32 + 16 + 15) * H / 4
    b2 = by_name["第二支部"]
    assert (b2.members, b2.done, b2.behind) == (2, 1, 1)
    assert by_name["测试党委"].members == 1  # the admin, directly in the committee
    assert rollup.overall.members == 7 and rollup.overall.done == 2
    report = branch(app, data["sec1"], data["b1"])
    assert report.counts == {"done": b1.done, "on_track": b1.on_track, "behind": b1.behind}
    assert sum(rollup.bins) == 7 and rollup.bins[8] == 1 and rollup.bins[10] == 1  # 32 and 40 学时


def rows_of(html):
    """[(cell texts)] of the branch table's body rows."""
    body = html.split('<table class="data-table stack-table report-table">', 1)[1].split("</table>", 1)[0]
    out = []
    for tr in re.findall(r'<tr class="status-row-[^"]+">(.*?)</tr>', body, re.S):
        out.append([unescape(re.sub(r"<[^>]+>", "", td)).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)])
    return out


def test_branch_page_sorts_filters_and_searches(client, login, data):
    login(data["sec1"])
    resp = client.get("/reports/", follow_redirects=True)
    assert resp.request.path == f"/reports/org/{data['b1'].id}"
    names = [r[0] for r in rows_of(client.get(f"/reports/org/{data['b1'].id}?sort=-total").get_data(as_text=True))]
    assert names == ["党员甲", "党员丙", "党员丁", "书记甲"]
    names = [r[0] for r in rows_of(client.get(f"/reports/org/{data['b1'].id}?sort=total").get_data(as_text=True))]
    assert names == ["书记甲", "党员丁", "党员丙", "党员甲"]
    html = client.get(f"/reports/org/{data['b1'].id}?status=behind&sort=name").get_data(as_text=True)
    assert sorted(r[0] for r in rows_of(html)) == ["书记甲", "党员丁"]
    assert "筛选结果 2 人（共 4 人）" in html
    assert [r[0] for r in rows_of(client.get(f"/reports/org/{data['b1'].id}?q=丙").get_data(as_text=True))] == ["党员丙"]
    # Charts: the distribution with the 32 学时 line, and the monthly progress against the pace.
    assert '<svg class="report-chart histogram"' in html and "32 学时</text>" in html
    assert '<svg class="report-chart progress"' in html and 'class="actual"' in html


def test_the_numbers_match_the_members_own_page(app, client, login, data):
    login(data["sec1"])
    row = next(r for r in rows_of(client.get(f"/reports/org/{data['b1'].id}").get_data(as_text=True))
               if r[0] == "党员丁")
    member = app.test_client()
    member.post("/login", data={"login": data["m1c"].login_name, "password": "pass1234",
                                "csrf_token": csrf_token(member)})
    mine = member.get("/hours/").get_data(as_text=True)
    total = re.search(r'<p class="big-number"><strong>([\d.]+)</strong> / 32 学时 <span class="muted">（(\d+)%）', mine)
    sources = dict(re.findall(r'</span>(线上自学|集中学习|个人自学申报|调整)</th><td class="num">(-?[\d.]+)</td>', mine))
    # 姓名, 党员编号, 线上, 集中, 自学, 调整, 合计, 完成率, 最近学习, 状态
    assert row[2:8] == [sources["线上自学"], sources["集中学习"], sources["个人自学申报"], sources["调整"],
                        total.group(1), total.group(2) + "%"]
    assert row[9] == "滞后" and "进度落后" in mine


def test_admin_rollup_page_and_drill_down(client, login, data):
    login(data["admin"])
    html = client.get("/reports/").get_data(as_text=True)
    assert "测试党委 · 2025 年度学时汇总" in html
    assert f'href="/reports/org/{data["b1"].id}?year=2025"' in html
    assert '<svg class="report-chart histogram"' in html
    page = client.get(f"/reports/org/{data['b1'].id}?year=2025").get_data(as_text=True)
    assert len(rows_of(page)) == 4
    # Everyone of the committee, with the 所在组织 column.
    everyone = rows_of(client.get(f"/reports/org/{data['committee'].id}?view=members").get_data(as_text=True))
    assert len(everyone) == 7 and any(r[2] == "第二支部" for r in everyone)


def test_members_get_no_reports(client, login, data):
    login(data["m1"])
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/org/{data['b1'].id}").status_code == 403
    assert client.get(f"/reports/org/{data['b1'].id}/export.csv").status_code == 403


def test_csv_export_matches_the_screen_and_neutralises_formulas(client, login, data, make_user):
    make_user("member", data["b1"].id, name="=1+1")
    make_user("member", data["b1"].id, name="@SUM(A1)")
    login(data["sec1"])
    args = "?status=behind&sort=-total"
    screen = rows_of(client.get(f"/reports/org/{data['b1'].id}{args}").get_data(as_text=True))
    resp = client.get(f"/reports/org/{data['b1'].id}/export.csv{args}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert table[0] == ["姓名", "党员编号", "线上学时", "集中学时", "自学学时", "调整学时", "合计学时", "完成率", "最近学习", "状态"]
    names = [r[0] for r in table[1:]]
    assert "'=1+1" in names and "'@SUM(A1)" in names and "=1+1" not in names
    assert [[r[0].lstrip("'"), *r[1:]] for r in table[1:]] == screen


def test_xlsx_export_opens_and_matches(client, login, data, make_user):
    make_user("member", data["b1"].id, name="=1+1")
    login(data["sec1"])
    resp = client.get(f"/reports/org/{data['b1'].id}/export.xlsx?sort=-total")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][:3] == ["姓名", "党员编号", "线上学时"]
    assert [v[0] for v in values[1:]] == ["党员甲", "党员丙", "党员丁", "'=1+1", "书记甲"]
    first = values[1]
    assert first[2:7] == [20, 12, 0, 0, 32] and first[7] == 1 and first[9] == "已达标"
    assert all(ws.cell(row=i, column=1).data_type == "s" for i in range(2, ws.max_row + 1))
