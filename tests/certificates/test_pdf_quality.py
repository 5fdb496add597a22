"""Every certificate PDF passes tools we did not write: qpdf --check, pikepdf's reading of the
PDF/A-3b declaration in the XMP metadata, and pdffonts (every font embedded as a subset).

The checks are in tests/pdf_checks.py; the last tests here show that they catch what they are
meant to catch (a plain PDF, a join that drops the PDF/A identification, a damaged file, a font
that is not embedded).
"""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from sqlmodel import select

from lms.certificates import parallel
from lms.certificates.models import Certificate
from lms.certificates.render import render_plain_page
from tests.certificates.conftest import claim, pdf_pages, post
from tests.certificates.test_batch import _wait
from tests.pdf_checks import assert_pdf_quality, pdf_quality_problems, require_pdf_tools


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BASE_URL": "https://xuexi.example.org/dangjian"}


@pytest.fixture
def tools():
    require_pdf_tools()


@pytest.fixture
def issued(tools, client, db, login, tree, eligible, course_id, frozen):
    """A course certificate and an annual one, claimed by the member as on the 证书 page."""
    eligible.course(tree["m1"], course_id)
    eligible.year(tree["m1"], 2025, 40 * 3600)
    login(tree["m1"])
    claim(client, kind="course", course_id=course_id)
    claim(client, kind="annual", year=2025)
    with db() as s:
        return {c.kind: c for c in s.exec(select(Certificate))}


def _xmp(data: bytes) -> dict:
    import pikepdf

    with pikepdf.open(BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        return {"title": meta.get("dc:title"), "part": meta.get("pdfaid:part"), "conformance": meta.get("pdfaid:conformance")}


def test_an_annual_certificate_passes(issued):
    assert_pdf_quality(issued["annual"].pdf)
    assert _xmp(issued["annual"].pdf) == {"title": "年度学习培训合格证明", "part": "3", "conformance": "B"}


def test_a_course_certificate_passes(issued):
    assert_pdf_quality(issued["course"].pdf)
    assert _xmp(issued["course"].pdf) == {"title": "课程结业证书", "part": "3", "conformance": "B"}


@pytest.mark.parametrize("processes", [1, 2], ids=["one-document", "split-over-processes"])
def test_a_printed_batch_passes(tools, app, client, login, tree, eligible, frozen, make_user, tmp_path, processes):
    """The batch page's PDF, drawn as one WeasyPrint document or in parts joined with pypdf."""
    app.config.update(CERT_RENDER_PROCESSES=processes, CERT_PARALLEL_MIN_PAGES=2)
    members = [tree["m1"], tree["m1b"], *(make_user("member", tree["b1"].id, name=f"党员{n}") for n in "丁戊")]
    for m in members:
        eligible.year(m, 2026)
    login(tree["sec1"])
    try:
        form = {"org_id": tree["b1"].id, "kind": "annual", "year": 2026, "mode": "all"}
        job_url = post(client, "/certificates/batch", form, token_from="/certificates/batch").headers["Location"]
        _wait(app)
        data = client.get(job_url + "/pdf").data
        assert len(parallel._workers) == (processes - 1)  # the split really happened (or not)
    finally:
        parallel.shutdown()
    assert pdf_pages(data, tmp_path) == 4
    assert_pdf_quality(data)
    assert _xmp(data) == {"title": "证书（4 份）", "part": "3", "conformance": "B"}


def test_joining_certificates_keeps_what_a_naive_join_loses(issued):
    """parallel.join keeps the first part's catalog; pypdf's plain append would not (and the checks see it)."""
    from pypdf import PdfWriter

    parts = [issued["course"].pdf, issued["annual"].pdf]
    joined = parallel.join(parts)
    assert_pdf_quality(joined)
    assert _xmp(joined)["title"] == "课程结业证书"

    writer = PdfWriter()
    for data in parts:
        writer.append(BytesIO(data))
    out = BytesIO()
    writer.write(out)
    problems = "\n".join(pdf_quality_problems(out.getvalue()))
    assert "no XMP metadata stream" in problems and "no /GTS_PDFA1 output intent" in problems
    assert "pdfaid part/conformance ('', '')" in problems


def test_the_checks_catch_a_plain_pdf_a_damaged_file_and_an_unembedded_font(issued):
    import pikepdf

    plain = "\n".join(pdf_quality_problems(render_plain_page()))
    assert "no XMP metadata stream" in plain and "pdfaid" in plain

    good = issued["annual"].pdf
    xref = int(re.search(rb"startxref\s+(\d+)", good).group(1))
    damaged = good.replace(f"startxref\n{xref}".encode(), f"startxref\n{xref + 5}".encode())
    assert damaged != good
    assert any(p.startswith("qpdf --check exit") for p in pdf_quality_problems(damaged))

    with pikepdf.Pdf.open(BytesIO(good)) as pdf:  # the certificate, plus text in a font that is not embedded
        helvetica = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                         BaseFont=pikepdf.Name.Helvetica))
        page = pdf.pages[0]
        page.Resources.Font[pikepdf.Name.Fx] = helvetica
        page.contents_add(pdf.make_stream(b"BT /Fx 12 Tf 20 20 Td (copy) Tj ET"))
        out = BytesIO()
        pdf.save(out)
    problems = pdf_quality_problems(out.getvalue())
    assert problems == ["pdffonts: Helvetica is not embedded as a subset (emb no, sub no)",
                        "pdffonts: Helvetica has no ToUnicode map (its text cannot be searched or copied)"]


def test_a_missing_tool_skips_here_and_fails_under_ci(monkeypatch):
    import tests.pdf_checks as checks

    monkeypatch.setattr(checks.shutil, "which", lambda tool: None if tool == "qpdf" else f"/usr/bin/{tool}")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("LMS_REQUIRE_E2E", raising=False)
    with pytest.raises(pytest.skip.Exception, match="qpdf"):
        require_pdf_tools()
    monkeypatch.setenv("LMS_REQUIRE_E2E", "1")  # as .ci/run sets it
    with pytest.raises(pytest.fail.Exception, match="qpdf"):
        require_pdf_tools()
