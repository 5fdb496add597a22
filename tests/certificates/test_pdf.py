"""What the printed certificate carries: text, embedded subset CJK fonts, a QR code that scans."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from lms.certificates import codes
from lms.certificates.models import Certificate
from tests.certificates.conftest import claim, pdf_text, qr_texts


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BASE_URL": "https://xuexi.example.org/dangjian"}


@pytest.fixture
def issued(client, db, login, tree, eligible, course_id, frozen):
    eligible.course(tree["m1"], course_id)
    eligible.year(tree["m1"], 2025, 40 * 3600 + 1800)
    login(tree["m1"])
    claim(client, kind="course", course_id=course_id)
    claim(client, kind="annual", year=2025)
    with db() as s:
        return {c.kind: c for c in s.exec(select(Certificate))}


def test_the_pdf_shows_name_hours_serial_issuer_and_code(issued, tmp_path):
    text = pdf_text(issued["course"].pdf, tmp_path)
    assert "课程结业证书" in text
    assert "党员甲" in text and "第一支部" in text
    assert f"{issued['course'].hours:g} 学时" in text
    assert "2026-0001" in text
    assert "测试党委" in text and "二〇二六年六月十五日" in text
    assert codes.group(issued["course"].code) in text
    annual = pdf_text(issued["annual"].pdf, tmp_path)
    assert "年度学习培训合格证明" in annual
    assert "2025 年度" in annual and "40.5 学时" in annual and "2026-0002" in annual


def test_the_cjk_font_is_embedded_as_a_subset(issued, tmp_path):
    f = tmp_path / "c.pdf"
    f.write_bytes(issued["course"].pdf)
    out = subprocess.run(["pdffonts", str(f)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:]]
    serif = [r for r in rows if "Noto-Serif-CJK-SC" in r[0]]
    assert serif, out
    for r in serif:
        assert re.fullmatch(r"[A-Z]{6}\+Noto-Serif-CJK-SC.*", r[0]), out
        emb, sub = r[-5], r[-4]
        assert (emb, sub) == ("yes", "yes"), out
    assert all(r[-5] == "yes" for r in rows), out  # nothing left for the printer to substitute


def test_the_pdf_is_pdf_a_3b(issued, tmp_path):
    f = tmp_path / "c.pdf"
    f.write_bytes(issued["course"].pdf)
    xmp = subprocess.run(["pdfinfo", "-meta", str(f)], check=True, capture_output=True, text=True).stdout
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp


def test_the_qr_code_decodes_to_the_verification_url(issued, tmp_path):
    pytest.importorskip("zxingcpp")
    texts = qr_texts(issued["course"].pdf, tmp_path)
    # The signed statement rides in the fragment (lms/certificates/offline.py): a phone opens the URL.
    assert [t.split("#s=")[0] for t in texts] == [
        f"https://xuexi.example.org/dangjian/verify/{codes.group(issued['course'].code)}"]


def test_the_qr_code_is_vector_not_an_image(issued, tmp_path):
    f = tmp_path / "c.pdf"
    f.write_bytes(issued["course"].pdf)
    out = subprocess.run(["pdfimages", "-list", str(f)], check=True, capture_output=True, text=True).stdout
    assert len(out.strip().splitlines()) == 2, out  # only the header: no raster images at all


def test_the_renderer_fetches_nothing_from_outside(app, issued):
    from lms.certificates import fonts
    from lms.certificates.render import STATIC_DIR, RefusedURL, url_fetcher

    font_dir = Path(app.config["CERT_FONT_DIR"])
    fetcher = url_fetcher(font_dir)
    with pytest.raises(RefusedURL):
        fetcher.fetch("https://example.org/logo.png")
    with pytest.raises(RefusedURL):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(RefusedURL):
        fetcher.fetch((STATIC_DIR / ".." / "config.py").resolve().as_uri())
    neighbour = font_dir.parent / "secret.txt"
    neighbour.write_text("secret")
    with pytest.raises(RefusedURL):  # the fonts' neighbours stay out of reach
        fetcher.fetch(f"{font_dir.as_uri()}/../secret.txt")
    ok = fetcher.fetch((STATIC_DIR / "cert" / "emblem.svg").as_uri())
    assert b"<svg" in ok.read()
    (subset_font, *_) = font_dir.glob(f"{fonts.FILE_PREFIX}-*.otf")
    assert fetcher.fetch(subset_font.as_uri()).read()[:4] == b"OTTO"


def test_harfbuzz_missing_is_a_loud_warning(app_config, monkeypatch, caplog):
    import ctypes.util

    from lms import create_app

    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if "harfbuzz" in name else real(name))
    with caplog.at_level("WARNING", logger="lms.certificates"):
        app = create_app(app_config)
    assert any("libharfbuzz-subset0" in r.getMessage() for r in caplog.records)
    assert app.extensions["lms_harfbuzz_subset"] is False
    app.extensions["lms_engine"].dispose()
