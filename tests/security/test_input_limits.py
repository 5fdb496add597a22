"""Inputs that could take the server down or break a response: oversized requests, .xlsx zip
bombs, names with line breaks."""

from __future__ import annotations

import io
import zipfile

from lms.orgs import import_table
from tests.conftest import csrf_token
from tests.security.test_xss import post, sign_in


def _xlsx(rows, pad: int = 0) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    if pad:  # a member that inflates to `pad` bytes from a few KB
        with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/media/pad.bin", b"\0" * pad)
    return out.getvalue()


def _upload(client, data: bytes, filename: str):
    return client.post("/orgs/import", data={"file": (io.BytesIO(data), filename),
                                             "csrf_token": csrf_token(client, "/orgs/import")},
                       content_type="multipart/form-data")


def test_an_xlsx_that_unpacks_to_too_much_is_refused_unread(client, tree):
    sign_in(client, tree["sec1"])
    bomb = _xlsx([("姓名", "党员编号", "所在支部"), ("张三", "ZB-0001", "第一支部")],
                 pad=import_table.MAX_XLSX_UNPACKED + 1)
    assert len(bomb) < import_table.MAX_BYTES // 20
    page = _upload(client, bomb, "名册.xlsx").get_data(as_text=True)
    assert "解压后过大" in page
    ok = _upload(client, _xlsx([("姓名", "党员编号", "所在支部"), ("张三", "ZB-0001", "第一支部")]), "名册.xlsx")
    assert "解压后过大" not in ok.get_data(as_text=True) and 'name="token"' in ok.get_data(as_text=True)


def test_a_request_over_the_size_limit_gets_a_chinese_413(client, app):
    assert app.config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    resp = client.post("/login", data={"login": "x" * (6 * 1024 * 1024), "password": "y"})
    assert resp.status_code == 413
    assert "提交的内容过大" in resp.get_data(as_text=True)


def test_names_with_line_breaks_are_refused(client, tree):
    sign_in(client, tree["sec1"])
    resp = post(client, f"/orgs/{tree['b1'].id}/members/new",
                {"name": "张\r\n三", "member_no": "NL-0001", "org_id": tree["b1"].id})
    assert resp.status_code == 200 and "不能有换行" in resp.get_data(as_text=True)
    resp = post(client, f"/orgs/members/{tree['m1'].id}/edit", {"name": "李\n四", "member_no": tree["m1"].member_no})
    assert "不能有换行" in resp.get_data(as_text=True)
    csv_data = '姓名,党员编号,所在支部\r\n"王\n五",NL-0002,第一支部\r\n'.encode()
    page = _upload(client, csv_data, "名册.csv").get_data(as_text=True)
    assert "姓名不能有换行（U+000A）" in page and 'name="token"' not in page


def test_a_legacy_name_with_a_line_break_still_downloads(app):
    from lms.certificates.models import Certificate
    from lms.certificates.services import download_name

    cert = Certificate(kind="annual", holder_name="王\n五/六", serial="2026-0001")
    name = download_name(cert)
    assert "\n" not in name and "/" not in name and name.startswith("王 五 六-")
    with app.test_request_context():
        from flask import send_file

        resp = send_file(io.BytesIO(b"%PDF"), download_name=name, as_attachment=True)
        assert "attachment" in resp.headers["Content-Disposition"]
