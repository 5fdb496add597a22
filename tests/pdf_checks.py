"""PDF quality, checked by tools we did not write: qpdf, pikepdf (the XMP metadata) and pdffonts.

`assert_pdf_quality(pdf_bytes)` is meant for every PDF the app produces (a certificate, a batch,
a member's 学习档案): it skips the test when a tool is missing on a developer's machine and fails
it under CI (`CI` or `LMS_REQUIRE_E2E` set, as .ci/run does), so the checks cannot silently stop
running where it matters. `pdf_quality_problems` returns what is wrong, one line per problem, for
tests that check that a bad PDF is caught.

What is checked:
- `qpdf --check`: no syntax, cross-reference or stream errors, and no warnings either;
- PDF/A identification (pikepdf): the XMP packet declares pdfaid:part and pdfaid:conformance
  (3 and B by default), the catalog's metadata stream is /Type /Metadata /Subtype /XML, an sRGB
  output intent (/GTS_PDFA1 with its ICC profile) is present, the trailer has an /ID, the file is
  not encrypted, the header is followed by the binary comment, and the document information
  (Title, Author, Producer) says what the XMP says;
- fonts (pdffonts): at least one font, every font embedded as a subset (a six-letter tag), with a
  ToUnicode map (text can be searched and copied), and no two fonts under the same name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

import pytest

TOOLS = ("qpdf", "pdffonts")


def _required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("LMS_REQUIRE_E2E"))


def require_pdf_tools() -> None:
    """Skip when qpdf, pdffonts or pikepdf is missing here; fail when it is missing under CI."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    try:
        import pikepdf  # noqa: F401
    except ImportError:
        missing.append("pikepdf")
    if not missing:
        return
    what = ", ".join(missing)
    if _required():
        pytest.fail(f"PDF checking tools missing under CI: {what} (make test installs qpdf; pip install -e '.[dev]')")
    pytest.skip(f"PDF checking tools missing: {what} (apt-get install qpdf poppler-utils; pip install pikepdf)")


def _run(tool: str, data: bytes, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="pdf-check-") as tmp:
        path = Path(tmp) / "checked.pdf"
        path.write_bytes(data)
        return subprocess.run([tool, *args, str(path)], capture_output=True, text=True)


def qpdf_problems(data: bytes) -> list[str]:
    """qpdf exits 0 when clean, 2 on errors and 3 on warnings; both of the latter are problems."""
    out = _run("qpdf", data, "--check")
    if out.returncode == 0 and "WARNING" not in out.stdout + out.stderr:
        return []
    return [f"qpdf --check exit {out.returncode}: {(out.stdout + out.stderr).strip()}"]


def _text(value) -> str:
    if isinstance(value, list | tuple | set):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def pdfa_problems(data: bytes, part: str = "3", conformance: str = "B") -> list[str]:
    """The PDF/A identification and the properties a PDF/A reader looks for, read with pikepdf."""
    import pikepdf

    problems: list[str] = []
    if not re.match(rb"%PDF-1\.[0-7]\r?\n%[\x80-\xff]{4}", data):
        problems.append("PDF/A: the header is not %PDF-1.x followed by a comment of four binary bytes")
    try:
        pdf = pikepdf.open(BytesIO(data))
    except pikepdf.PdfError as exc:
        return [*problems, f"pikepdf cannot open the file: {exc}"]
    with pdf:
        if pdf.is_encrypted:
            problems.append("PDF/A: the file is encrypted")
        if "/ID" not in pdf.trailer:
            problems.append("PDF/A: the trailer has no /ID")
        stream = pdf.Root.get("/Metadata")
        if stream is None:
            problems.append("PDF/A: the catalog has no XMP metadata stream")
        elif stream.get("/Type") != "/Metadata" or stream.get("/Subtype") != "/XML":
            problems.append("PDF/A: the metadata stream is not /Type /Metadata /Subtype /XML")
        meta = pdf.open_metadata()
        declared = (_text(meta.get("pdfaid:part")), _text(meta.get("pdfaid:conformance")))
        if declared != (part, conformance):
            problems.append(f"PDF/A: the XMP declares pdfaid part/conformance {declared}, not {(part, conformance)}")
        intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
        if not intents:
            problems.append("PDF/A: no /GTS_PDFA1 output intent")
        elif not all(isinstance(i.get("/DestOutputProfile"), pikepdf.Stream) for i in intents):
            problems.append("PDF/A: an output intent has no ICC profile (/DestOutputProfile)")
        for key, prop in (("/Title", "dc:title"), ("/Author", "dc:creator"), ("/Producer", "pdf:Producer")):
            info = pdf.docinfo.get(key)
            if info is not None and str(info) != _text(meta.get(prop)):
                problems.append(f"PDF/A: document information {key} {str(info)!r} differs from XMP {prop} "
                                f"{_text(meta.get(prop))!r}")
    return problems


def pdffonts_rows(data: bytes) -> list[list[str]]:
    """pdffonts' rows split on blanks: name, type…, encoding, emb, sub, uni, object id, generation."""
    out = _run("pdffonts", data)
    if out.returncode != 0:
        raise AssertionError(f"pdffonts exit {out.returncode}: {out.stderr.strip()}")
    return [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]


def font_problems(data: bytes) -> list[str]:
    try:
        rows = pdffonts_rows(data)
    except AssertionError as exc:
        return [str(exc)]
    if not rows:
        return ["pdffonts: no fonts at all (is the text drawn as images?)"]
    problems = []
    for r in rows:
        name, emb, sub, uni = r[0], r[-5], r[-4], r[-3]
        if (emb, sub) != ("yes", "yes"):
            problems.append(f"pdffonts: {name} is not embedded as a subset (emb {emb}, sub {sub})")
        elif not re.fullmatch(r"[A-Z]{6}\+.+", name):
            problems.append(f"pdffonts: subset {name} has no six-letter tag")
        if uni != "yes":
            problems.append(f"pdffonts: {name} has no ToUnicode map (its text cannot be searched or copied)")
    names = [r[0] for r in rows]
    if len(set(names)) != len(names):
        problems.append(f"pdffonts: two fonts share a name: {sorted(n for n in set(names) if names.count(n) > 1)}")
    return problems


def pdf_quality_problems(data: bytes, part: str = "3", conformance: str = "B") -> list[str]:
    return [*qpdf_problems(data), *pdfa_problems(data, part, conformance), *font_problems(data)]


def assert_pdf_quality(data: bytes, part: str = "3", conformance: str = "B") -> None:
    """The PDF passes qpdf --check, declares PDF/A-3b in its XMP and embeds every font as a subset."""
    require_pdf_tools()
    problems = pdf_quality_problems(data, part, conformance)
    assert not problems, "\n".join(problems)
