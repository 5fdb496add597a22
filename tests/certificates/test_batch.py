"""Batch printing: one PDF with a page per certificate, and a ZIP of the individual PDFs."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import select

from lms.certificates.models import Certificate
from tests.certificates.conftest import pdf_pages, pdf_text, post


def _wait(app):
    for thread in app.extensions.get("lms_cert_threads", []):
        thread.join(timeout=120)


def _start(client, tree, **data):
    form = {"org_id": tree["b1"].id, "kind": "annual", "year": 2026, **data}
    return post(client, "/certificates/batch", form, token_from="/certificates/batch")


def test_all_eligible_in_a_branch(app, client, db, login, tree, eligible, frozen, make_user, tmp_path):
    extra = [make_user("member", tree["b1"].id, name=f"党员{n}") for n in range(3)]
    for u in (tree["m1"], tree["m1b"], *extra[:2]):
        eligible.year(u, 2026)
    eligible.year(extra[2], 2026, 20 * 3600)  # not enough
    eligible.year(tree["m2"], 2026)  # another branch
    login(tree["sec1"])
    page = client.get(f"/certificates/batch?org_id={tree['b1'].id}&kind=annual&year=2026").get_data(as_text=True)
    assert "符合条件，未签发" in page and "不符合条件" in page
    resp = _start(client, tree, mode="all")
    assert resp.status_code == 302
    job_url = resp.headers["Location"]
    _wait(app)
    status = client.get(job_url + "/status").get_json()
    assert status == {"status": "done", "progress": 4, "total": 4, "issued": 4}
    html = client.get(job_url).get_data(as_text=True)
    assert "共 4 份证书" in html
    pdf = client.get(job_url + "/pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf_pages(pdf.data, tmp_path) == 4
    text = pdf_text(pdf.data, tmp_path)
    assert all(name in text for name in ("党员甲", "党员丙", "党员0", "党员1"))
    assert "党员2" not in text and "党员乙" not in text
    zipped = zipfile.ZipFile(io.BytesIO(client.get(job_url + "/zip").data))
    names = zipped.namelist()
    assert len(names) == 4 and all(n.endswith(".pdf") for n in names)
    with db() as s:
        stored = {c.pdf for c in s.exec(select(Certificate))}
    assert {zipped.read(n) for n in names} == stored  # the very bytes each holder downloads


def test_picked_members_and_already_issued_ones(app, client, db, login, tree, eligible, frozen, tmp_path):
    for u in (tree["m1"], tree["m1b"]):
        eligible.year(u, 2026)
    login(tree["m1"])
    post(client, "/certificates/claim", {"kind": "annual", "year": 2026})
    client.post("/logout", data={"csrf_token": _token(client)})
    login(tree["admin"])
    resp = _start(client, tree, mode="selected", user_id=[tree["m1"].id, tree["m1b"].id])
    _wait(app)
    status = client.get(resp.headers["Location"] + "/status").get_json()
    assert status["status"] == "done" and status["issued"] == 1  # m1 already had theirs
    assert pdf_pages(client.get(resp.headers["Location"] + "/pdf").data, tmp_path) == 2


def test_nothing_picked_is_a_clear_message(client, login, tree, frozen):
    login(tree["sec1"])
    resp = _start(client, tree, mode="selected")
    assert resp.status_code == 400
    assert "请至少勾选一名党员" in resp.get_data(as_text=True)


def test_jobs_are_private_to_who_started_them(app, client, login, tree, eligible, frozen):
    eligible.year(tree["m1"], 2026)
    login(tree["admin"])
    resp = _start(client, tree, mode="all")
    _wait(app)
    job_url = resp.headers["Location"]
    other = app.test_client()
    from tests.conftest import csrf_token

    other.post("/login", data={"login": tree["sec1"].login_name, "password": "pass1234", "csrf_token": csrf_token(other)})
    assert other.get(job_url).status_code == 404
    assert other.get(job_url + "/pdf").status_code == 404


def test_a_running_job_shows_progress_without_javascript(app, client, db, login, tree, frozen):
    from lms.certificates.models import BatchJob

    login(tree["sec1"])
    with db() as s:
        job = BatchJob(created_by_id=tree["sec1"].id, org_id=tree["b1"].id, kind="annual", year=2026,
                       user_ids=[1, 2, 3], total=3, progress=1, status="running")
        s.add(job)
        s.flush()
        job_id = job.id
    html = client.get(f"/certificates/batch/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in html
    assert "已处理 <span class=\"job-progress\">1</span> / 3" in html
    assert 'src="/certificates/static/js/certificates.js"' in html


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/certificates/")
