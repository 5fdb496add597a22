"""The certificates' own pre-subset CJK font: small PDFs, every character printed, a CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lms.certificates import fonts, render, subset
from lms.certificates.pdf import render_pdf
from tests.certificates.conftest import pdf_fonts, pdf_text


def _page(name: str = "党员甲", code: str = "ABCDEFGHJKMNPQRSTV") -> render.Page:
    return render.Page(
        kind="course", holder_name=name, org_name="第一支部", issuer_name="测试党委",
        subject="《党政领导干部选拔任用工作条例》解读", year=2026, hours_text="3.5", required_hours_text="32",
        completed_on=date(2026, 6, 15), issued_on=date(2026, 6, 15), serial="2026-0001", code=code,
    )


@pytest.fixture
def own_font_dir(app, tmp_path):
    """A font cache of this test's own (the others share one for the whole run)."""
    app.config["CERT_FONT_DIR"] = str(tmp_path / "fonts")
    return tmp_path / "fonts"


def test_a_certificate_embeds_a_small_subset_built_once(app, own_font_dir, tmp_path):
    with app.app_context():
        pdf = render_pdf([_page()])
        built = {p: p.stat().st_mtime_ns for p in own_font_dir.glob("*.otf")}
        again = render_pdf([_page()])
    assert len(built) == 2  # Regular and Bold
    assert {p: p.stat().st_mtime_ns for p in own_font_dir.glob("*.otf")} == built  # reused, not rebuilt
    assert len(pdf) < 150_000 and len(again) < 150_000  # the full font's glyph table made ~300 KB
    rows = pdf_fonts(pdf, tmp_path)
    assert rows and all("+Noto-Serif-CJK-SC-Subset" in r[0] and r[-5:-3] == ["yes", "yes"] for r in rows)


def test_a_rare_character_in_a_name_is_added_to_the_subset(app, own_font_dir, tmp_path):
    assert "堃" not in fonts.base_charset()  # not in GB2312
    with app.app_context():
        pdf = render_pdf([_page("王堃")])
    assert "王堃 同志" in pdf_text(pdf, tmp_path)
    rows = pdf_fonts(pdf, tmp_path)
    assert all("Subset" in r[0] and r[-5] == "yes" for r in rows)  # printed from the subset itself
    assert "堃" in (own_font_dir / fonts.EXTRA_FILE).read_text(encoding="utf-8")  # and remembered


def test_without_harfbuzz_a_rare_character_comes_from_the_system_font(app, own_font_dir, tmp_path, monkeypatch):
    with app.app_context():
        render_pdf([_page()])  # the subset exists (as after `flask lms certificates fonts`)
        monkeypatch.setattr(fonts, "harfbuzz_subset_available", lambda: False)
        pdf = render_pdf([_page("王堃")])
    assert "王堃 同志" in pdf_text(pdf, tmp_path)
    names = [r[0] for r in pdf_fonts(pdf, tmp_path)]
    assert any("Subset" in n for n in names)
    assert any(n.endswith("+Noto-Serif-CJK-SC") for n in names)  # the fallback, embedded too
    assert not (own_font_dir / fonts.EXTRA_FILE).exists()


def test_the_fonttools_builder_keeps_the_requested_characters(tmp_path):
    """Used when libharfbuzz-subset is missing (slow on the CJK font, so tried on a small one)."""
    from fontTools.ttLib import TTFont

    candidates = [Path(p) for p in ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
                                    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf") if Path(p).exists()]
    if not candidates:
        pytest.skip("no small TrueType font installed")
    data = subset.fonttools(candidates[0], 0, frozenset("AB12"))
    (tmp_path / "s.ttf").write_bytes(data)
    font = TTFont(tmp_path / "s.ttf")
    assert set(font.getBestCmap()) == {ord(c) for c in "AB12"}


def test_the_cli_builds_the_fonts_with_extra_characters(app, runner, own_font_dir):
    result = runner.invoke(args=["lms", "certificates", "fonts", "--chars", "堃 喆"])
    assert result.exit_code == 0, result.output
    assert "证书字体子集已就绪" in result.output
    assert len(list(own_font_dir.glob("*.otf"))) == 2
    assert set("堃喆") <= set((own_font_dir / fonts.EXTRA_FILE).read_text(encoding="utf-8"))
    again = runner.invoke(args=["lms", "certificates", "fonts"])
    assert again.exit_code == 0 and "删除旧文件" not in again.output  # nothing to rebuild


def test_an_unwritable_font_directory_falls_back_to_the_system_font(app, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    app.config["CERT_FONT_DIR"] = str(blocked)
    with app.app_context():
        pdf = render_pdf([_page()])
    assert "党员甲 同志" in pdf_text(pdf, tmp_path)
    names = [r[0] for r in pdf_fonts(pdf, tmp_path)]
    assert names and all(n.split("+")[1].startswith("Noto-Serif-CJK-SC") and "Subset" not in n for n in names)
