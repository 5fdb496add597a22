"""Public verification: no login, 有效 / 已撤销 / 未找到, masked names, rate limited."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lms.certificates import codes
from lms.certificates.models import Certificate
from tests.certificates.conftest import claim, post


@pytest.fixture
def cert(client, db, login, tree, eligible, course_id, frozen, make_user):
    member = make_user("member", tree["b1"].id, name="张晓明")
    eligible.course(member, course_id)
    login(member)
    claim(client, kind="course", course_id=course_id)
    client.post("/logout", data={"csrf_token": _token(client)})
    with db() as s:
        return s.exec(select(Certificate)).one()


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/certificates/")


def test_a_valid_certificate_shows_masked_details_without_login(client, cert):
    resp = client.get(f"/verify/{codes.group(cert.code)}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "有效" in html
    assert "张*明" in html and "张晓明" not in html
    assert "课程结业证书" in html and f"{cert.hours:g} 学时" in html
    assert "2026年6月15日" in html and "测试党委" in html
    assert "第一支部" not in html  # the holder's branch is not public


def test_typed_codes_work_in_any_case_and_spacing(client, cert):
    typed = " ".join(codes.group(cert.code).lower().split("-"))
    resp = client.get("/verify", query_string={"code": typed})
    assert resp.status_code == 302
    assert "有效" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_tampered_code_is_not_found(client, cert):
    code = cert.code
    swapped = code[:-1] + ("A" if code[-1] != "A" else "B")
    resp = client.get(f"/verify/{codes.group(swapped)}")
    html = resp.get_data(as_text=True)
    assert "未找到" in html and "张*明" not in html
    assert "未找到" in client.get("/verify/not-a-code").get_data(as_text=True)


def test_a_revoked_certificate_shows_as_revoked_everywhere(client, db, login, tree, cert):
    login(tree["admin"])
    detail = f"/certificates/{cert.id}"
    # The reason is required; what was typed is kept.
    resp = post(client, f"{detail}/revoke", {"reason": "  ", "category": "info"}, token_from=detail)
    assert resp.status_code == 400 and "请填写撤销原因" in resp.get_data(as_text=True)
    resp = post(client, f"{detail}/revoke", {"reason": "学时记录有误，经支部核实撤销", "category": "info"},
                token_from=detail)
    assert resp.status_code == 302
    page = client.get(detail).get_data(as_text=True)
    assert "已撤销" in page and "学时记录有误" in page
    assert "已撤销" in client.get("/certificates/manage").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": _token(client)})
    html = client.get(f"/verify/{codes.group(cert.code)}").get_data(as_text=True)
    assert "已撤销" in html and "有效</p>" not in html
    assert "张*明" not in html


def test_only_an_admin_can_revoke(client, login, tree, cert):
    login(tree["sec1"])
    detail = f"/certificates/{cert.id}"
    assert "撤销此证书" not in client.get(detail).get_data(as_text=True)
    resp = post(client, f"{detail}/revoke", {"reason": "无权撤销"}, token_from=detail)
    assert resp.status_code == 403


def test_verification_is_rate_limited(client, cert):
    url = f"/verify/{codes.group(cert.code)}"
    statuses = [client.get(url).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
