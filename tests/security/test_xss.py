"""XSS payloads typed into every field a user can write come out inert: escaped in HTML, text
(never a formula) in CSV/XLSX downloads, literal text in certificate PDFs with no script in them."""

from __future__ import annotations

import html as html_lib
import io
import re
import subprocess
import zlib
from datetime import date

import pytest
from markupsafe import escape
from sqlmodel import select

from lms import clock
from tests.conftest import PASSWORD, csrf_token
from tests.quiz.helpers import form_for, start_lesson
from tests.security.checks import XLSX_MIME, csv_problems, markup_problems, xlsx_problems
from tests.security.world import NAME_FORMULA, NAME_IMG, NAME_SCRIPT, PAYLOAD


def inert(html: str, *payloads: str, where: str = "") -> None:
    """No payload became markup, and each is on the page, escaped (so the check saw it)."""
    problems = markup_problems(html)
    assert not problems, (where, problems)
    for p in payloads:
        assert str(escape(p)) in html, f"{where}: {p!r} is not on the page (escaped)"


def sign_in(client, user) -> None:
    if _signed_in(client):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    resp = client.post("/login", data={"login": user.login_name, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert resp.status_code == 302 and not resp.headers["Location"].endswith("/account/password")


def _signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def post(client, path: str, data: dict, token_from: str = "/account/password", **kw):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)}, **kw)


@pytest.fixture
def people(tree):
    return tree


def test_member_name_via_roster_add_and_edit(client, people, synced):
    sec, admin = people["sec1"], people["admin"]
    sign_in(client, sec)
    resp = post(client, f"/orgs/{people['b1'].id}/members/new",
                {"name": NAME_IMG, "member_no": "XSS-0001", "org_id": people["b1"].id})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    inert(resp.get_data(as_text=True), NAME_IMG)  # the one-time credentials page
    m1 = people["m1"]
    resp = post(client, f"/orgs/members/{m1.id}/edit", {"name": NAME_SCRIPT, "member_no": m1.member_no})
    assert resp.status_code == 302
    for path in (f"/orgs/{people['b1'].id}", f"/orgs/members/{m1.id}", f"/orgs/members/{m1.id}/edit",
                 f"/hours/members/{m1.id}", "/certificates/batch", "/quiz/stats/cadre-selection-regulations"):
        inert(client.get(path).get_data(as_text=True), NAME_SCRIPT, where=path)
    sign_in(client, admin)
    audit = client.get("/audit/").get_data(as_text=True)
    inert(audit, NAME_IMG, NAME_SCRIPT)  # the create event and the change "old → new"
    sign_in(client, m1)
    inert(client.get("/").get_data(as_text=True), NAME_SCRIPT)  # the header shows one's own name


def test_imported_csv_names_and_file_name(client, people):
    sec, admin = people["sec1"], people["admin"]
    sign_in(client, sec)
    rows = [("姓名", "党员编号", "手机号", "所在支部"), (NAME_SCRIPT, "IMP-0001", "", "第一支部"),
            (NAME_IMG, "IMP-0002", "", "第一支部"), (NAME_FORMULA, "IMP-0003", "", "第一支部"),
            ("@SUM(1+1)*cmd", "IMP-0004", "", "第一支部")]
    text = "\r\n".join(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in r) for r in rows) + "\r\n"
    filename = "<img src=x onerror=alert(1)>.csv"
    resp = client.post("/orgs/import", data={"file": (io.BytesIO(text.encode()), filename),
                                             "csrf_token": csrf_token(client, "/orgs/import")},
                       content_type="multipart/form-data")
    preview = resp.get_data(as_text=True)
    inert(preview, NAME_SCRIPT, NAME_IMG, filename)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', preview).group(1)
    done = post(client, "/orgs/import/confirm", {"token": token}, token_from="/orgs/import")
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    inert(html, NAME_SCRIPT, NAME_IMG)
    pairs = re.search(r'name="passwords"[^>]*value="([^"]+)"', html).group(1)
    listing = post(client, "/orgs/import/passwords.csv", {"passwords": html_lib.unescape(pairs)},
                   token_from="/orgs/import")
    assert listing.mimetype == "text/csv"
    assert csv_problems(listing.get_data()) == []
    body = listing.get_data().decode("utf-8-sig")
    assert "'" + NAME_FORMULA.replace('"', '""') in body  # there, as text
    assert NAME_SCRIPT.replace('"', '""') in body
    sign_in(client, admin)
    inert(client.get("/audit/").get_data(as_text=True), filename)


def test_import_template_neutralises_a_formula_branch_name(client, make_org, make_user):
    committee = make_org("委员会", kind="党委")
    branch = make_org('=HYPERLINK("http://evil.example","支部")', parent_id=committee.id)
    sign_in(client, make_user("secretary", branch.id))
    csv_resp = client.get("/orgs/import/template.csv")
    assert csv_problems(csv_resp.get_data()) == []
    assert '"\'=HYPERLINK(""http://evil.example"",""支部"")"' in csv_resp.get_data().decode("utf-8-sig")
    xlsx_resp = client.get("/orgs/import/template.xlsx")
    assert xlsx_resp.mimetype == XLSX_MIME
    assert xlsx_problems(xlsx_resp.get_data()) == []


def test_self_report_topic_place_and_rejection_reason(client, people):
    m1, sec = people["m1"], people["sec1"]
    today = clock.today().isoformat()
    sign_in(client, m1)
    for suffix in ("甲", "乙"):
        resp = post(client, "/hours/self-reports", {"study_date": today, "minutes": "30", "topic": PAYLOAD + suffix,
                                                    "place": PAYLOAD + "地点"}, token_from="/hours/self-reports")
        assert resp.status_code == 302
    inert(client.get("/hours/self-reports").get_data(as_text=True), PAYLOAD + "甲", PAYLOAD + "地点")
    sign_in(client, sec)
    review = client.get("/hours/self-reports/review").get_data(as_text=True)
    inert(review, PAYLOAD + "甲", PAYLOAD + "地点")
    ids = [int(i) for i in re.findall(r"/hours/self-reports/(\d+)/reject", review)]
    resp = post(client, f"/hours/self-reports/{ids[0]}/reject", {"reason": PAYLOAD + "理由"},
                token_from="/hours/self-reports/review", follow_redirects=True)
    inert(resp.get_data(as_text=True), PAYLOAD + "理由")  # the flash message and the decided list
    resp = post(client, f"/hours/self-reports/{ids[1]}/approve", {}, token_from="/hours/self-reports/review",
                follow_redirects=True)
    inert(resp.get_data(as_text=True))
    sign_in(client, m1)
    inert(client.get("/hours/self-reports").get_data(as_text=True), PAYLOAD + "理由")
    inert(client.get("/hours/").get_data(as_text=True), PAYLOAD)  # the approved report in the ledger


def test_adjustment_reason(client, people):
    admin, m1 = people["admin"], people["m1"]
    sign_in(client, admin)
    resp = post(client, f"/hours/members/{m1.id}/adjust",
                {"minutes": "90", "local_date": clock.today().isoformat(), "reason": PAYLOAD},
                follow_redirects=True)
    inert(resp.get_data(as_text=True), PAYLOAD)
    sign_in(client, m1)
    inert(client.get("/hours/").get_data(as_text=True), PAYLOAD)


def test_quiz_blank_answer_in_the_review(client, people, synced, db):
    from lms.content.models import Question

    m1 = people["m1"]
    sign_in(client, m1)
    attempt_id = start_lesson(client)
    answers = form_for(db, attempt_id)
    with db() as s:
        blanks = [q.id for q in s.exec(select(Question).where(Question.id.in_([int(k[2:]) for k in answers]),
                                                                Question.type == "blank"))]
    assert blanks, "the lesson has a 填空 question"
    for qid in blanks:
        answers[f"q_{qid}"] = [PAYLOAD]
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    resp = client.post(f"/quiz/attempts/{attempt_id}/submit", data={**answers, "csrf_token": token},
                       follow_redirects=True)
    assert resp.status_code == 200
    inert(resp.get_data(as_text=True), PAYLOAD)


def _pdf_text(pdf: bytes, tmp_path) -> str:
    f = tmp_path / "c.pdf"
    f.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(f), "-"], check=True, capture_output=True, text=True).stdout


def _pdf_streams(pdf: bytes) -> list[bytes]:
    """The raw file and every stream inflated (object streams hide dictionaries from a plain grep)."""
    out = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return out


def test_certificate_pdf_and_revocation(client, people, tmp_path):
    sec, admin, m1 = people["sec1"], people["admin"], people["m1"]
    sign_in(client, sec)
    post(client, f"/orgs/members/{m1.id}/edit", {"name": NAME_SCRIPT, "member_no": m1.member_no})
    sign_in(client, admin)
    year = clock.today().year
    for day, hours in ((1, 12), (2, 12), (3, 8)):  # no more than DAILY_MAX_HOURS a day
        resp = post(client, f"/hours/members/{m1.id}/adjust",
                    {"minutes": str(hours * 60), "local_date": date(year, 1, day).isoformat(), "reason": "补录"})
        assert resp.status_code == 302
    sign_in(client, m1)
    resp = post(client, "/certificates/claim", {"kind": "annual", "year": year}, token_from="/certificates/")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    detail_path = resp.headers["Location"]
    inert(client.get(detail_path).get_data(as_text=True), NAME_SCRIPT)
    pdf = client.get(detail_path + "/pdf").get_data()
    assert pdf.startswith(b"%PDF")
    assert NAME_SCRIPT in _pdf_text(pdf, tmp_path)  # printed as the literal text
    for part in _pdf_streams(pdf):
        for name in (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/Launch", b"/EmbeddedFile"):
            assert not re.search(re.escape(name) + rb"(?![A-Za-z])", part), f"{name!r} in the PDF"
    code_page = client.get(detail_path).get_data(as_text=True)
    verify_path = re.search(r'href="(?:https?://[^/"]+)?(/verify/[^"]+)"', code_page).group(1)

    sign_in(client, admin)
    resp = post(client, detail_path + "/revoke", {"reason": PAYLOAD}, token_from=detail_path, follow_redirects=True)
    inert(resp.get_data(as_text=True), PAYLOAD)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    inert(client.get(verify_path).get_data(as_text=True))  # public page: masked name, escaped
