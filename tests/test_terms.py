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


def test_the_footer_states_the_32_xueshi_rule_in_the_tiaolis_words(client, make_user, login):
    login(make_user())
    page = client.get("/").get_data(as_text=True)
    assert "《中国共产党党员教育管理工作条例》规定：党员每年集中学习培训时间一般不少于 32 学时" in page
    assert "小时" not in page.split('class="site-footer"')[1]


def test_one_date_format_dates_and_instants(app):
    from datetime import UTC, date, datetime

    from lms.formatting import cn_date, local_dt

    with app.app_context():
        assert cn_date(date(2026, 3, 5)) == "2026年3月5日"
        instant = datetime(2026, 3, 5, 1, 7, tzinfo=UTC)  # 09:07 in Asia/Shanghai
        assert local_dt(instant) == "2026年3月5日 09:07"
        assert local_dt(instant, "%H:%M") == "09:07"
