"""Roster import: every problem named by its row, nothing imported unless the whole file is clean."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_token

HEADER = ["姓名", "党员编号", "手机号", "所在支部", "角色"]


def csv_bytes(rows, encoding="utf-8", header=HEADER, delimiter=",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows] if header else rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in [header, *rows]:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def upload(client):
    def _upload(data: bytes, filename: str = "名册.csv", c=None):
        c = c or client
        token = csrf_token(c, "/orgs/import")
        return c.post("/orgs/import", data={"csrf_token": token, "file": (io.BytesIO(data), filename)})

    return _upload


@pytest.fixture
def confirm(client):
    def _confirm(preview, c=None):
        c = c or client
        m = re.search(r'name="token" type="hidden" value="([^"]+)"', preview.get_data(as_text=True)) or re.search(
            r'id="token" name="token" type="hidden" value="([^"]+)"', preview.get_data(as_text=True))
        assert m, "no confirm button: the preview was not clean"
        return c.post("/orgs/import/confirm", data={"csrf_token": csrf_token(c, "/orgs/import"), "token": m.group(1)})

    return _confirm


@pytest.fixture
def user_count(db):
    def _count():
        from lms.auth.models import User

        with db() as s:
            return s.scalar(sa.select(sa.func.count(User.id)))

    return _count


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


GOOD = [["李明", "D5001", "13912340001", "第一支部", "党员"], ["赵芳", "", "13912340002", "第一支部", ""]]


@pytest.mark.parametrize(
    ("encoding", "make"),
    [
        ("UTF-8", lambda: csv_bytes(GOOD, "utf-8")),
        ("UTF-8 BOM", lambda: csv_bytes(GOOD, "utf-8-sig")),
        ("GBK", lambda: csv_bytes(GOOD, "gbk")),
        ("GB18030", lambda: csv_bytes(GOOD, "gb18030")),
        ("UTF-16 tab", lambda: csv_bytes(GOOD, "utf-16", delimiter="\t")),
        ("XLSX", lambda: xlsx_bytes(GOOD)),
    ],
)
def test_clean_file_imports_every_row_after_confirmation(
    app, client, tree, login, upload, confirm, user_count, events, db, encoding, make
):
    login(tree["sec1"])
    before = user_count()
    preview = upload(make(), "名册.xlsx" if encoding == "XLSX" else "名册.csv")
    page = text(preview)
    assert "共 2 名党员，全部检查无误" in page and "李明" in page and "赵芳" in page
    assert user_count() == before  # the preview writes nothing

    done = confirm(preview)
    assert done.headers["Cache-Control"] == "no-store"
    page = text(done)
    assert "已导入 2 名党员" in page and "只显示这一次" in page
    assert user_count() == before + 2
    from lms.auth.models import User

    with db() as s:
        users = {u.name: u for u in s.scalars(sa.select(User).where(User.name.in_(["李明", "赵芳"])))}
    assert users["李明"].member_no == "D5001" and users["赵芳"].phone == "13912340002"
    assert all(u.org_id == tree["b1"].id and u.must_change_password and u.role == "member" for u in users.values())
    (event,) = events("roster.import")
    assert event.details["count"] == 2 and event.actor_id == tree["sec1"].id and "导入 2 名党员" in event.summary

    # The initial passwords on the page work once, then must be changed.
    password = re.search(r'<td>13912340002</td><td><span class="secret">([^<]+)<', page).group(1)
    member = app.test_client()
    resp = member.post("/login", data={"login": "13912340002", "password": password, "csrf_token": csrf_token(member)})
    assert resp.headers["Location"].endswith("/account/password")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["", "D6001", "", "第一支部", ""], "缺少姓名"),
        (["王一", "", "1391234", "第一支部", ""], "手机号“1391234”格式不正确"),
        (["王一", "", "1.39123E+10", "第一支部", ""], "科学计数法"),
        (["王一", "D 6 0", "", "第一支部", ""], "党员编号“D 6 0”格式不正确"),
        (["王一", "", "", "第一支部", ""], "党员编号和手机号都为空"),
        (["王一", "D6001", "", "第一支部", ""], "党员编号“D6001”与第 2 行重复"),
        (["王一", "EXIST01", "", "第一支部", ""], "党员编号“EXIST01”已被系统中的账号使用"),
        (["王一", "", "13900009999", "第一支部", ""], "手机号“13900009999”已被系统中的账号使用"),
        (["王一", "D6002", "", "不存在支部", ""], "所在支部“不存在支部”不存在或不在您的管理范围内"),
        (["王一", "D6002", "", "第二支部", ""], "所在支部“第二支部”不存在或不在您的管理范围内"),
        (["王一", "D6002", "", "", ""], "缺少所在支部"),
        (["王一", "D6002", "", "第一支部", "组长"], "角色“组长”无法识别"),
        (["王一", "D6002", "", "第一支部", "支部书记"], "只有管理员可以导入支部书记"),
    ],
)
def test_each_problem_is_named_with_its_row_and_nothing_is_imported(
    client, tree, make_user, login, upload, user_count, events, row, problem
):
    make_user("member", tree["b2"].id, member_no="EXIST01", phone="13900009999")
    login(tree["sec1"])
    before = user_count()
    rows = [["好人", "D6001", "13912345600", "第一支部", ""], row, ["另一好人", "D6003", "", "第一支部", ""]]
    page = text(upload(csv_bytes(rows)))
    assert "没有导入任何党员" in page
    assert re.search(rf"第 3 行：[^<]*{re.escape(problem)}", page), page[page.find("problems"):][:600]
    assert "第 2 行：" not in page and "第 4 行：" not in page  # the good rows are not blamed
    assert "orgs/import/confirm" not in page  # no confirm button
    assert user_count() == before and events() == []


def test_admin_rows_name_a_branch_not_a_committee(client, tree, login, upload):
    login(tree["admin"])
    page = text(upload(csv_bytes([["王一", "D6010", "", "测试党委", ""], ["王二", "D6011", "", "第二支部", "支部书记"]])))
    assert "第 2 行：“测试党委”是党委，不是党支部" in page
    assert "第 3 行：" not in page  # an admin may import a secretary into any branch of the subtree


def test_many_problems_are_all_listed(client, tree, login, upload):
    login(tree["sec1"])
    rows = [["", "D 1", "123", "无此支部", "组长"], ["甲", "D7001", "", "第一支部", ""], ["乙", "D7001", "", "第一支部", ""]]
    page = text(upload(csv_bytes(rows)))
    for message in ("第 2 行：缺少姓名", "党员编号“D 1”格式不正确", "手机号“123”格式不正确",
                    "所在支部“无此支部”不存在", "角色“组长”无法识别", "第 4 行：党员编号“D7001”与第 3 行重复"):
        assert message in page
    assert "共 2 行有问题" in page


@pytest.mark.parametrize(
    ("data", "filename", "problem"),
    [
        (b"", "a.csv", "文件是空的"),
        (b"\r\n,,,\r\n", "a.csv", "文件是空的"),
        ("姓名,党员编号,手机号,所在支部\r\n".encode(), "a.csv", "只有表头，没有党员数据"),
        ("姓名,手机号\r\n张三,13912345678\r\n".encode(), "a.csv", "第 1 行（表头）缺少“所在支部”列"),
        ("名字,电话,支部\r\n张三,13912345678,第一支部\r\n".encode(), "a.csv", "缺少“姓名”“党员编号或手机号”列"),
        (b"\x00\x01\x02\xff\xfe\x00binary", "a.csv", "无法识别文件的编码"),
        (b"PK\x03\x04 broken zip", "a.xlsx", "无法读取该 Excel 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a.xls", "不支持旧版 Excel（.xls）"),
        (b"%PDF-1.4", "a.pdf", "只支持 CSV 或 Excel（.xlsx）文件"),
    ],
)
def test_file_level_problems(client, tree, login, upload, user_count, data, filename, problem):
    login(tree["sec1"])
    before = user_count()
    page = text(upload(data, filename))
    assert problem in page and "没有导入任何党员" in page
    assert user_count() == before


def test_no_file_chosen(client, tree, login):
    login(tree["sec1"])
    resp = client.post("/orgs/import", data={"csrf_token": csrf_token(client, "/orgs/import")})
    assert resp.status_code == 200 and "请选择要导入的文件" in text(resp)


def test_too_large_files_are_refused(client, tree, login, upload, user_count):
    from lms.orgs import import_table

    login(tree["sec1"])
    before = user_count()
    rows = [[f"党员{i}", f"B{i:05d}", "", "第一支部", ""] for i in range(import_table.MAX_ROWS + 1)]
    assert "超过 5000 行" in text(upload(csv_bytes(rows)))
    big = csv_bytes([["张三", "D8001", "", "第一支部", "x" * 1000]] * 2200)
    assert len(big) > import_table.MAX_BYTES
    assert "文件超过 2 MB" in text(upload(big))
    assert user_count() == before


def test_confirm_checks_again_and_imports_nothing_if_the_roster_changed(
    client, tree, make_user, login, upload, confirm, user_count
):
    login(tree["sec1"])
    preview = upload(csv_bytes(GOOD))
    make_user("member", tree["b2"].id, phone="13912340002")  # someone took the phone meanwhile
    before = user_count()
    page = text(confirm(preview))
    assert "第 3 行：手机号“13912340002”已被系统中的账号使用" in page and "没有导入任何党员" in page
    assert user_count() == before


def test_upload_is_bound_to_the_uploader(app, client, tree, login, upload, confirm, user_count):
    login(tree["sec1"])
    preview = upload(csv_bytes(GOOD))
    other = app.test_client()
    other.post("/login", data={"login": tree["admin"].login_name, "password": PASSWORD, "csrf_token": csrf_token(other)})
    before = user_count()
    assert "已经完成或已过期" in text(confirm(preview, c=other))
    assert user_count() == before
    assert "已导入 2 名党员" in text(confirm(preview))
    assert "已经完成或已过期" in text(confirm(preview))  # a second confirm imports nothing more
    assert user_count() == before + 2


def test_import_is_one_transaction(client, tree, login, upload, confirm, user_count, monkeypatch):
    from lms.audit import services as audit

    login(tree["sec1"])
    preview = upload(csv_bytes(GOOD))
    before = user_count()

    def boom(**kw):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "record", boom)
    with pytest.raises(RuntimeError):
        confirm(preview)
    assert user_count() == before  # the rows flushed before the failure were rolled back


def test_templates_download_and_import_cleanly(client, tree, login, upload):
    from openpyxl import load_workbook

    login(tree["sec1"])
    resp = client.get("/orgs/import/template.csv")
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")
    lines = resp.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "姓名,党员编号,手机号,所在支部,角色" and "第一支部" in lines[1]
    assert "共 1 名党员，全部检查无误" in text(upload(resp.data, "模板.csv"))

    resp = client.get("/orgs/import/template.xlsx")
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADER and ws["D2"].value == "第一支部"
    assert "共 1 名党员，全部检查无误" in text(upload(resp.data, "模板.xlsx"))
    assert client.get("/orgs/import/template.doc").status_code == 404


def test_initial_password_list_downloads_as_csv(client, tree, login, upload, confirm):
    login(tree["sec1"])
    done = confirm(upload(csv_bytes(GOOD)))
    pairs = html.unescape(re.search(r'name="passwords" value="([^"]*)"', done.get_data(as_text=True)).group(1))
    resp = client.post("/orgs/import/passwords.csv",
                       data={"csrf_token": csrf_token(client, "/orgs/import"), "passwords": pairs})
    assert resp.mimetype == "text/csv" and resp.headers["Cache-Control"] == "no-store"
    got = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert got[0] == ["姓名", "登录账号", "初始密码", "所在支部"]
    assert [r[:2] for r in got[1:]] == [["李明", "D5001"], ["赵芳", "13912340002"]]
    assert all(len(r[2]) == 10 and r[3] == "第一支部" for r in got[1:])
    assert [r[2] for r in got[1:]] == re.findall(r'class="secret">([^<]+)<', done.get_data(as_text=True))
    # Another branch's accounts are not listed, whatever ids are sent.
    resp = client.post("/orgs/import/passwords.csv", data={
        "csrf_token": csrf_token(client, "/orgs/import"), "passwords": f'[[{tree["m2"].id},"x"]]'})
    assert len(list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))) == 1


def test_admin_imports_a_secretary_into_any_branch(client, tree, login, upload, confirm, db):
    login(tree["admin"])
    done = confirm(upload(xlsx_bytes([["钱书记", "D9301", "", "第二支部", "支部书记"]]), "名册.xlsx"))
    assert "已导入 1 名党员" in text(done)
    from lms.auth.models import User

    with db() as s:
        u = s.scalars(sa.select(User).where(User.member_no == "D9301")).one()
    assert (u.role, u.org_id) == ("secretary", tree["b2"].id)


def _rows(*rows: tuple[list[str], str]) -> bytes:
    """A CSV whose rows are each encoded on their own: (cells, encoding)…"""
    return b"".join((",".join(cells) + "\r\n").encode(enc) for cells, enc in rows)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        # GBK header and first row, then a row pasted in from a UTF-8 file
        (_rows((HEADER, "gbk"), (GOOD[0], "gbk"), (["王五", "D5003", "", "第一支部", ""], "utf-8"),
               (GOOD[1], "gbk")),
         "第 3 行的编码（UTF-8）与文件其他行（GBK）不同"),
        # mostly UTF-8, one GBK row
        (_rows((HEADER, "utf-8"), (GOOD[0], "utf-8"), (["王五", "D5003", "", "第一支部", ""], "gbk"),
               (GOOD[1], "utf-8")),
         "第 3 行的编码（GBK）与文件其他行（UTF-8）不同"),
        # a UTF-8 file with a BOM says what it is, even when the GBK rows are more
        (b"\xef\xbb\xbf" + _rows((HEADER, "gbk"), (GOOD[0], "gbk"), (GOOD[1], "utf-8")),
         "第 1 行的编码（GBK）与文件其他行（UTF-8）不同"),
        # a UTF-8 file with one damaged row
        (_rows((HEADER, "utf-8"), (GOOD[0], "utf-8")) + "赵芳,,13912340002,第一支部,\r\n".encode()[:4] + b"\xff\r\n",
         "第 3 行的文字无法按 UTF-8 编码读取"),
    ],
    ids=["gbk-with-a-utf8-row", "utf8-with-a-gbk-row", "bom-utf8-with-gbk-rows", "damaged-utf8-row"],
)
def test_a_file_mixing_encodings_is_refused_naming_the_first_odd_row(
    client, tree, login, upload, user_count, data, problem
):
    login(tree["sec1"])
    before = user_count()
    page = text(upload(data))
    assert problem in page and "没有导入任何党员" in page
    assert 'name="token"' not in page  # no confirm button
    assert "鐜嬩簲" not in page and "王五" not in page  # no garbled or half-read preview
    assert user_count() == before


def test_a_gbk_file_whose_rows_all_decode_still_imports(client, tree, login, upload):
    login(tree["sec1"])
    rows = [[f"党员{n}", f"D8{n:03d}", "", "第一支部", ""] for n in range(30)]
    page = text(upload(csv_bytes(rows, "gbk")))
    assert "共 30 名党员，全部检查无误" in page and "党员29" in page
