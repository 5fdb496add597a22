"""The password policy, where a member changes their password, a secretary sets one, and create-admin."""

from __future__ import annotations

import re

import pytest

from lms.auth import passwords
from tests.conftest import PASSWORD, csrf_token

GOOD = "Yanhe-Bridge-1935"


@pytest.fixture
def member(make_user):
    return make_user(name="张建国", member_no="ZJG-2024", phone="13712345678")


@pytest.fixture
def change(client, login, member):
    login(member)

    def _change(new: str, confirm: str | None = None):
        return client.post("/account/password", data={
            "old_password": PASSWORD, "new_password": new, "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client, "/account/password"),
        })

    return _change


@pytest.mark.parametrize(("password", "reason"), [
    ("        1a", "开头和结尾不能有空格"),
    ("Yanhe-Bridge-1935 ", "开头和结尾不能有空格"),
    ("a1      b", "去掉空格后至少需要 8 位"),
    ("abc1234", "8 到 128 位"),
    ("abcdefghij", "同时包含字母和数字"),
    ("password1", "常见密码"),
    ("woaini1314", "常见密码"),
    ("qq123456", "常见密码"),
    ("a123456 7", "常见密码"),  # spaces inside are squeezed out before the list is read
    ("Ａ１２３４５６７", "常见密码"),  # full-width forms are folded
    ("demo1234", "常见密码"),  # the demo accounts' published password
    ("zjg-2024x", "党员编号或手机号"),
    ("x13712345678", "党员编号或手机号"),
    ("zhangjianguo1", "姓名拼音"),
    ("ZJG19650701", "姓名拼音"),  # the name's initials
    ("zjg196507", "姓名拼音"),
    ("jianguo2024", "姓名拼音"),
    ("qwerty12345", "很容易被猜到"),
    ("aaaaaaa1111", "很容易被猜到"),
])
def test_each_refusal_says_why_in_chinese(change, password, reason):
    resp = change(password)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and reason in page, re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]*)', page)
    assert "密码已修改" not in page
    assert not re.search(r"\b(?:easy to guess|common password|Add another word)\b", page)  # no zxcvbn English


def test_a_good_password_is_accepted_and_works(change, client, member):
    resp = change(GOOD)
    assert resp.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    resp = client.post("/login", data={"login": member.phone, "password": GOOD, "csrf_token": csrf_token(client)})
    assert resp.status_code == 302


def test_the_form_keeps_no_password_it_was_given(change):
    page = change("woaini1314").get_data(as_text=True)
    assert "woaini1314" not in page and PASSWORD not in page


def test_the_minimum_score_is_configurable(app, change):
    assert change("Hongqi1960x").status_code == 302  # zxcvbn scores it 2: enough by default
    app.config["PASSWORD_MIN_SCORE"] = 4
    with app.app_context():
        with pytest.raises(passwords.PasswordError, match="容易被猜到"):
            passwords.check("Hongqi1960x")
        passwords.check(GOOD + "-Lujiazui")


def test_a_secretary_cannot_set_a_common_or_demo_password(client, tree, login):
    login(tree["sec1"])
    # (This form strips what the secretary typed: the password set and shown has no spaces at its ends.)
    for weak, reason in (("demo1234", "常见密码"), ("a12345678", "常见密码")):
        resp = client.post(f"/orgs/members/{tree['m1'].id}/password", data={
            "mode": "manual", "password": weak, "csrf_token": csrf_token(client, "/account/password")})
        page = resp.get_data(as_text=True)
        assert resp.status_code == 200 and reason in page
        assert "已重置" not in page


def test_create_admin_refuses_its_own_login_name_and_common_passwords(runner):
    for password, reason in (("A-77-2026x", "党员编号或手机号"), ("iloveyou1", "常见密码"),
                             ("wanggang88", "姓名拼音")):
        result = runner.invoke(args=["lms", "create-admin", "--login", "A-77", "--name", "王刚", "--org", "某某党委"],
                               input=f"{password}\n{password}\n")
        assert result.exit_code == 1 and reason in result.output, result.output


def test_the_demo_accounts_keep_their_password(runner, client, synced):
    result = runner.invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    resp = client.post("/login", data={"login": "D1001", "password": "demo1234", "csrf_token": csrf_token(client)})
    assert resp.status_code == 302
