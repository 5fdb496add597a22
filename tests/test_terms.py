"""Issue 12: "课" names lessons and "学时" names hours; "课时" appears nowhere in what a user reads
(templates, scripts, flash messages and every other string in lms/), nor in content/."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_keshi_in_the_ui_or_the_content():
    files = [p for p in (ROOT / "lms").rglob("*") if p.suffix in {".html", ".js", ".py", ".css", ".svg"}]
    files += list((ROOT / "content").rglob("*.md")) + list((ROOT / "content").rglob("*.yaml"))
    found = [f"{p.relative_to(ROOT)}:{n}" for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "课时" in line]
    assert found == []
