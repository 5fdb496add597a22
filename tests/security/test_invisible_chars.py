"""Characters nobody can see: every form's text fields refuse bidi controls, zero-width characters,
line separators, controls and NUL (multi-line fields: NUL and bidi only); so do roster imports, the
create-admin command and 学习心得; download and ZIP names drop them; NUL in a URL is a 400, never a
500 on PostgreSQL."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.csrf.core import CSRFTokenField

from lms import clock, textcheck
from lms.web import CheckedForm
from tests.conftest import csrf_token

# The spoof: shown as "王芳exe.pdf", saved as an .exe.
RTL_NAME = "王芳\u202efdp.exe"

SINGLE_LINE_REFUSED = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
                       "\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
                       "\u2028", "\u2029", "\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f"]
MULTI_LINE_REFUSED = ["\x00", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                      "\u2069", "\u200e", "\u200f", "\u061c"]


@pytest.mark.parametrize("ch", SINGLE_LINE_REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_single_line_rule_refuses_and_names_each_invisible_character(ch):
    message = textcheck.problem(f"张{ch}三", label="姓名")
    code = f"U+{ord(ch):04X}"
    assert message in (f"姓名含有不可见的控制字符（{code}），请删除后重试。", f"姓名不能有换行（{code}），请改为一行后重试。")
    assert textcheck.safe_filename(f"张{ch}三.pdf") == "张 三.pdf"


@pytest.mark.parametrize("ch", MULTI_LINE_REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_multi_line_rule_refuses_nul_and_bidi(ch):
    assert f"U+{ord(ch):04X}" in textcheck.problem(f"第一行\n第{ch}二行", label="理由", multiline=True)


def test_ordinary_text_passes():
    for text in ("张三", "阿卜杜·热合曼", "Zhang San-2", "学习《条例》第二章（上）", "👍", "ｆｕｌｌ　width"):
        assert textcheck.problem(text, label="姓名") is None
    assert textcheck.problem("第一行\r\n第二行\t缩进 👨‍👩‍👧", label="理由", multiline=True) is None
    assert textcheck.safe_filename("a/b\\c") == "a b c"


def _forms(app):
    """Every form class the app defines (its view modules are imported by create_app)."""
    from flask_wtf import FlaskForm

    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("lms.") and sub is not CheckedForm:
                found.append(sub)
    return found


def test_every_form_of_the_app_is_a_checked_form(app):
    forms = _forms(app)
    assert len(forms) >= 15, [f.__name__ for f in forms]
    assert [f for f in forms if not issubclass(f, CheckedForm)] == []


def test_every_text_field_of_every_form_refuses_invisible_characters(app):
    checked = 0
    for form_class in _forms(app):
        with app.test_request_context(method="POST"):
            fields = [(name, f) for name, f in form_class(meta={"csrf": False})._fields.items()
                      if isinstance(f, StringField) and not isinstance(f, PasswordField | CSRFTokenField)]
        for name, field in fields:
            multiline = isinstance(field, TextAreaField)
            cases = [("甲\u202e乙", "U+202E"), ("甲\x00乙", "U+0000")]
            cases += [] if multiline else [("甲\u200b乙", "U+200B"), ("甲\u2028乙", "U+2028")]
            for value, code in cases:
                with app.test_request_context(method="POST", data=MultiDict({name: value})):
                    form = form_class(meta={"csrf": False})
                    form.validate()
                    assert any(code in e for e in form.errors.get(name, [])), (form_class.__name__, name, value)
                    assert form[name].data == value  # kept, so the page shows back what was typed
                    checked += 1
            if multiline:
                with app.test_request_context(method="POST", data=MultiDict({name: "第一行\r\n第二行"})):
                    form = form_class(meta={"csrf": False})
                    form.validate()
                    assert not any("U+" in e for e in form.errors.get(name, [])), (form_class.__name__, name)
    assert checked >= 40


def _user_count(db):
    from lms.auth.models import User

    with db() as s:
        return s.scalar(sa.select(sa.func.count(User.id)))


def test_roster_form_refuses_the_rtl_override_name_and_keeps_it(client, tree, login, db):
    login(tree["sec1"])
    before = _user_count(db)
    token = csrf_token(client, "/account/password")
    resp = client.post(f"/orgs/{tree['b1'].id}/members/new",
                       data={"name": RTL_NAME, "member_no": "RTL-0001", "org_id": tree["b1"].id, "csrf_token": token})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "姓名含有不可见的控制字符（U+202E），请删除后重试" in page
    assert f'value="{RTL_NAME}"' in page and 'value="RTL-0001"' in page
    assert _user_count(db) == before
    resp = client.post(f"/orgs/members/{tree['m1'].id}/edit",
                       data={"name": "党员\u200b甲", "member_no": tree["m1"].member_no, "csrf_token": token})
    assert "姓名含有不可见的控制字符（U+200B）" in resp.get_data(as_text=True)


def test_self_report_fields_refuse_invisible_characters(client, tree, login, db):
    login(tree["m1"])
    form = {"study_date": clock.today().isoformat(), "minutes": "30", "topic": "学习\u2066条例",
            "place": "支部活动室\n读书笔记", "csrf_token": csrf_token(client, "/hours/self-reports")}
    resp = client.post("/hours/self-reports", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "学习内容含有不可见的控制字符（U+2066），请删除后重试" in page
    resp = client.post("/hours/self-reports", data={**form, "topic": "学习条例", "place": "活动室\u202e"})
    assert "学习地点或佐证材料含有不可见的控制字符（U+202E）" in resp.get_data(as_text=True)
    assert client.post("/hours/self-reports", data={**form, "topic": "学习条例"}).status_code == 302  # line break kept


def test_roster_import_refuses_the_rtl_override_name(client, tree, login, db):
    login(tree["sec1"])
    before = _user_count(db)
    data = f"姓名,党员编号,所在支部\r\n张三,RTL-0002,第一支部\r\n{RTL_NAME},RTL-0003,第一支部\r\n".encode()
    resp = client.post("/orgs/import", data={"file": (io.BytesIO(data), "名册.csv"),
                                             "csrf_token": csrf_token(client, "/orgs/import")},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert "姓名含有不可见的控制字符（U+202E）" in page and 'name="token"' not in page
    assert _user_count(db) == before


def test_create_admin_refuses_invisible_characters(runner, db):
    before = _user_count(db)
    result = runner.invoke(args=["lms", "create-admin", "--login", "RTL-ADMIN", "--name", RTL_NAME,
                                 "--org", "测试党委", "--password", "Zq7-wlb-93kd"])
    assert result.exit_code != 0 and "姓名含有不可见的控制字符（U+202E）" in result.output
    result = runner.invoke(args=["lms", "create-admin", "--login", "RTL-ADMIN", "--name", "管理员",
                                 "--org", "测试\u2029党委", "--password", "Zq7-wlb-93kd"])
    assert result.exit_code != 0 and "党委名称不能有换行（U+2029）" in result.output
    assert _user_count(db) == before


def test_notes_refuse_bidi_controls(client, tree, login, synced, db):
    from lms.content.models import Lesson
    from lms.content.reflection import reflection_prompts

    with db() as s:
        lesson = next(x for x in s.scalars(sa.select(Lesson).where(Lesson.retired_at.is_(None)))
                      if reflection_prompts(x.body_md))
    login(tree["m1"])
    token = csrf_token(client, "/account/password")
    resp = client.post(f"/notes/lessons/{lesson.id}/1/draft", data={"body": "我的体会\u202e", "csrf_token": token})
    assert resp.status_code == 400 and "回答含有不可见的控制字符（U+202E）" in resp.json["message"]
    resp = client.post(f"/notes/lessons/{lesson.id}/1/draft", data={"body": "第一段\n第二段", "csrf_token": token})
    assert resp.status_code == 200 and resp.json["ok"]


def test_download_and_zip_names_drop_invisible_characters(app):
    from lms.certificates.models import Certificate
    from lms.certificates.services import download_name, zip_of
    from lms.web import attachment

    cert = Certificate(id=1, kind="annual", holder_name=RTL_NAME, serial="2026-0001", pdf=b"%PDF")
    name = download_name(cert)
    assert name.startswith("王芳 fdp.exe-") and name.endswith("-2026-0001.pdf")
    with zipfile.ZipFile(io.BytesIO(zip_of([cert]))) as z:
        assert z.namelist() == [name]
    with app.test_request_context():
        from flask import Response

        resp = attachment(Response(b""), f"{RTL_NAME}.csv", ascii_name='x"\u202ey.csv')
    disposition = resp.headers["Content-Disposition"]
    assert "%E2%80%AE" not in disposition and "\u202e" not in disposition  # U+202E, raw or encoded
    assert 'filename="x y.csv"' in disposition


def test_report_export_of_a_legacy_org_name_has_a_clean_file_name(client, tree, login, db):
    from lms.orgs.models import Organization

    with db() as s:
        s.get(Organization, tree["b1"].id).name = "第一\u202e支部"
    login(tree["admin"])
    resp = client.get(f"/reports/org/{tree['b1'].id}/export.csv")
    assert resp.status_code == 200
    assert "%E2%80%AE" not in resp.headers["Content-Disposition"]


NUL_TEXT = "含有空字符（U+0000），无法处理"


def test_nul_never_reaches_the_database(client, tree, login, db):
    """On PostgreSQL each of these was a 500 (text fields cannot contain NUL)."""
    before = _user_count(db)
    token = csrf_token(client)
    resp = client.post("/login", data={"login": "D1001\x00", "password": "x", "csrf_token": token})
    assert resp.status_code == 400 and NUL_TEXT in resp.get_data(as_text=True)
    assert client.get("/verify/AB%00CD").status_code == 400
    assert client.get("/verify?code=%00").status_code == 400
    login(tree["admin"])
    for path in ("/orgs/?q=%00", "/orgs/?status=%00", "/audit/?actor=%00", "/audit/?action=%00", "/reports/?q=%00",
                 f"/reports/org/{tree['b1'].id}?q=a%00b&sort=%00", "/certificates/manage?org_id=%00",
                 "/orgs/?q%00=1"):
        resp = client.get(path)
        assert resp.status_code == 400 and NUL_TEXT in resp.get_data(as_text=True), path
    token = csrf_token(client, "/account/password")
    resp = client.post(f"/orgs/{tree['b1'].id}/members/new",
                       data={"name": "张\x00三", "member_no": "NUL-0001", "org_id": tree["b1"].id, "csrf_token": token})
    assert resp.status_code == 400 and NUL_TEXT in resp.get_data(as_text=True)
    resp = client.post("/hours/beat", data={"token": "x\x00"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 400 and NUL_TEXT in resp.get_json()["message"]
    assert _user_count(db) == before


def test_a_blank_answer_refuses_invisible_characters():
    from lms import question_types
    from lms.question_types import BadAnswer

    blank = question_types.get("blank")
    with pytest.raises(BadAnswer, match=r"U\+202E"):
        blank.parse([], ["三十二\u202e"])
    with pytest.raises(BadAnswer, match=r"U\+200B"):
        blank.parse([], ["32\u200b"])
    assert blank.parse([], [" ３２ "]) == ["３２"]
