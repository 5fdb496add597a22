"""学习档案: what the PDF says for a member with data of every kind, the year range, who may
produce it (a secretary only in scope), and a branch as one PDF or a ZIP."""

from __future__ import annotations

import io
import re
import zipfile

from tests.certificates.conftest import pdf_fonts
from tests.pdf_checks import assert_pdf_quality
from tests.records.conftest import pdf_text, zip_names


def _get(client, path, **args):
    return client.get(path, query_string=args)


def test_a_members_record_lists_every_kind_of_study(client, login, tree, full, tmp_path):
    login(tree["m1"])
    resp = _get(client, "/records/record.pdf", **{"from": 2025, "to": 2026})
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert "private" in resp.headers["Cache-Control"]
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    text = pdf_text(resp.data, tmp_path)
    flat = re.sub(r"\s+", "", text)

    assert "党员学习档案" in text and "党员甲" in text and "第一支部" in text
    assert "2025—2026 年度" in text
    # When it was produced (10:30 Beijing time), and that it is not a certificate.
    assert "2026年6月15日 10:30" in text
    assert "不是证书" in flat
    assert "/verify" not in text and "证书编号" not in text.split("获得的证书")[0]
    # Per year: the totals, the requirement and the status.
    assert "2025 年度" in text and "2026 年度" in text
    assert "未达到年度学时要求" in flat  # 2025 ended short
    assert "学习中，距年度要求还差" in flat  # 2026 is this year
    # The breakdown by source (the ledger registry's labels).
    for label in ("线上自学", "集中学习", "个人自学申报", "调整"):
        assert label in text
    # 2025: 2 学时 of 党课, 1.5 of self-report, 0.5 of 调整 = 4 学时.
    year_2025 = flat.split("2025年度")[-1].split("2026年度")[0]
    assert "学习党章专题党课" in year_2025 and "自学《习近平谈治国理政》第四卷" in year_2025
    assert "未通过的申报" not in flat
    assert "4/32学时" in year_2025
    # 2026: the course with its best exam score, its certificate with serial and code, the 心得.
    year_2026 = flat.split("2026年度")[-1]
    assert re.sub(r"\s+", "", full.course_title)[:8] in year_2026
    assert f"{full.exam_score}分" in year_2026 and full.exam_score < 100
    assert full.cert_serial in year_2026 and full.cert_code in year_2026
    assert "重温入党誓词" in year_2026 and "观看专题片" in year_2026
    assert re.sub(r"\s+", "", full.note_prompt)[:10] in year_2026
    # Page numbers in the margin, printed (like everything) in the certificates' subset faces: the
    # margin boxes once fell back to the whole system font.
    assert re.search(r"第 1 页，共 \d+ 页", text)
    fonts = pdf_fonts(resp.data, tmp_path)
    assert fonts and all(row[0].split("+")[1].startswith("Noto-Serif-CJK-SC-Subset") for row in fonts), fonts
    assert all(row[-5:-3] == ["yes", "yes"] for row in fonts), fonts  # embedded, as subsets
    assert_pdf_quality(resp.data)  # qpdf --check, the PDF/A-3b XMP (pikepdf), every font a subset


def test_the_year_range(client, login, tree, full, tmp_path):
    login(tree["m1"])
    one = pdf_text(_get(client, "/records/record.pdf", **{"from": 2025, "to": 2025}).data, tmp_path)
    assert "2025 年度" in one and "2026 年度" not in one and "学习党章专题党课" in one
    default = pdf_text(_get(client, "/records/record.pdf").data, tmp_path)  # no range: this year
    assert "2026 年度" in default and "2025 年度" not in default

    for args, message in (
        ({"from": 2026, "to": 2025}, "起始年度不能晚于截止年度"),
        ({"from": 1999, "to": 2026}, "年度应在 2000 年至 2026 年之间"),
        ({"from": 2026, "to": 2027}, "年度应在 2000 年至 2026 年之间"),
        ({"from": 2010, "to": 2026}, "最多包含 10 个年度"),
        ({"from": "abc", "to": 2026}, "请选择起止年度"),
    ):
        resp = _get(client, "/records/record.pdf", **args)
        assert resp.status_code == 400, args
        html = resp.get_data(as_text=True)
        assert message in html
        assert 'name="from"' in html  # the picker again, to correct the range


def test_the_controls_on_my_hours_and_the_member_page(client_for, tree, full):
    page = client_for(tree["m1"]).get("/hours/").get_data(as_text=True)
    assert 'action="/records/record.pdf"' in page and "下载学习档案" in page
    client = client_for(tree["sec1"])
    page = client.get(f"/orgs/members/{tree['m1'].id}").get_data(as_text=True)
    assert f'action="/records/members/{tree["m1"].id}/record.pdf"' in page
    page = client.get(f"/orgs/{tree['b1'].id}").get_data(as_text=True)
    assert f'href="/records/orgs/{tree["b1"].id}"' in page


def test_a_secretary_in_scope_and_no_one_else(client_for, tree, full, tmp_path):
    path = f"/records/members/{tree['m1'].id}/record.pdf"
    client = client_for(tree["sec1"])
    resp = _get(client, path, **{"from": 2025, "to": 2026})
    assert resp.status_code == 200
    assert "党员甲" in pdf_text(resp.data, tmp_path)
    assert _get(client, f"/records/members/{tree['m2'].id}/record.pdf").status_code == 404  # another branch
    assert _get(client, f"/records/orgs/{tree['b2'].id}").status_code == 404
    assert _get(client, f"/records/orgs/{tree['b2'].id}/download", fmt="pdf").status_code == 404
    assert _get(client_for(tree["sec2"]), path).status_code == 404
    member = client_for(tree["m1b"])  # a member: not even their branch-mate's
    assert _get(member, path).status_code == 403
    assert _get(member, f"/records/orgs/{tree['b1'].id}").status_code == 403
    assert _get(client_for(tree["admin"]), path).status_code == 200


def test_a_branch_as_one_pdf_or_a_zip(client, login, tree, full, tmp_path):
    login(tree["sec1"])
    page = client.get(f"/records/orgs/{tree['b1'].id}").get_data(as_text=True)
    assert "在册党员 3 人" in page  # the secretary and two members

    resp = _get(client, f"/records/orgs/{tree['b1'].id}/download", fmt="pdf", **{"from": 2025, "to": 2026})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(resp.data, tmp_path)
    assert_pdf_quality(resp.data)
    for name in ("党员甲", "党员丙", "书记甲"):
        assert name in text
    assert "党员乙" not in text  # branch 2
    # One document: each member starts a page, named in the running head of each of their pages
    # (the page numbers run through the file; the ZIP's files are numbered each on their own).
    pages = text.split("\f")
    starts = [i for i, page in enumerate(pages) if "党员学习档案" in page]
    assert len(starts) == 3
    for start, end in zip(starts, [*starts[1:], len(pages) - 1], strict=True):
        [name] = [n for n in ("党员甲", "党员丙", "书记甲") if n in pages[start]]
        assert all(name in page for page in pages[start:end]), name
    assert "学习党章专题党课" in text.split("党员丙")[-1] or "学习党章专题党课" in text  # m1b attended too

    resp = _get(client, f"/records/orgs/{tree['b1'].id}/download", fmt="zip", **{"from": 2026, "to": 2026})
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    files = zip_names(resp.data)
    assert sorted(files) == sorted(f"学习档案-{n}-2026.pdf" for n in ("党员甲", "党员丙", "书记甲"))
    assert all(data.startswith(b"%PDF-") for data in files.values())
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:  # the entries' times: 10:30 in Beijing, not UTC
        assert {i.date_time for i in zf.infolist()} == {(2026, 6, 15, 10, 30, 0)}
    assert full.cert_serial in pdf_text(files["学习档案-党员甲-2026.pdf"], tmp_path, "z.pdf")

    resp = _get(client, f"/records/orgs/{tree['b1'].id}/download", fmt="rar")
    assert resp.status_code == 400 and "请选择导出格式" in resp.get_data(as_text=True)


def test_a_branch_over_the_cap_is_refused_with_a_reason(client_for, tree, monkeypatch):
    from lms.records import views

    monkeypatch.setattr(views, "MAX_BRANCH_MEMBERS", 2)
    resp = client_for(tree["sec1"]).get(f"/records/orgs/{tree['b1'].id}/download", query_string={"fmt": "zip"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "该组织共 3 人，一次最多导出 2 人" in html and 'value="zip" checked' in html  # the choice is kept
