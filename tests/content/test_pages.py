from __future__ import annotations

from pathlib import Path

from lms.content.render import render_markdown


def test_catalogue_course_and_lesson_pages(client, make_user, login, synced):
    login(make_user())
    home = client.get("/").get_data(as_text=True)
    for title in ("《党政领导干部选拔任用工作条例》解读", "群众路线教育实践活动与作风建设", "干部队伍建设：问题与对策"):
        assert title in home
    course = client.get("/courses/cadre-selection-regulations").get_data(as_text=True)
    assert "好干部标准与基本条件资格" in course and "0.5 学时" in course and "必修" in course
    # Each lesson's estimated study time (lms.content.workload, the figure `content check` uses).
    assert course.count(" · 约 ") == 7 and "分钟</span>" in course
    assert "7 课 · 共 3.5 学时" in course and "课时" not in course
    lesson = client.get("/courses/cadre-selection-regulations/good-cadre-standard")
    html = lesson.get_data(as_text=True)
    assert lesson.status_code == 200
    assert "学习目标" in html and "要点回顾" in html and "思考题" in html
    assert 'class="toc"' in html and 'rel="next"' in html
    # Opening a lesson is remembered ("continue learning").
    assert "继续学习" in client.get("/").get_data(as_text=True)


def test_unknown_course_and_lesson_are_chinese_404(client, make_user, login, synced):
    login(make_user())
    for path in ("/courses/nope", "/courses/cadre-selection-regulations/nope"):
        resp = client.get(path)
        assert resp.status_code == 404
        assert "页面不存在" in resp.get_data(as_text=True)


def test_pages_need_login(client, synced):
    resp = client.get("/courses/cadre-selection-regulations")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_500_page_is_chinese(app, client, make_user, login):
    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = client.get("/boom")
    assert resp.status_code == 500
    assert "服务器出错了" in resp.get_data(as_text=True)


def test_security_headers(client):
    resp = client.get("/login")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_no_external_assets(client, make_user, login, synced):
    login(make_user())
    for path in ("/login", "/", "/courses/mass-line-campaign"):
        html = client.get(path).get_data(as_text=True)
        assert "http://" not in html.replace("http://localhost", "") and "https://" not in html


def test_markdown_is_sanitised_and_anchored():
    r = render_markdown("## 一、标题\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<script" not in r.html and 'href="javascript' not in r.html
    assert '<h2 id="一标题">' in r.html and "<table>" in r.html
    assert r.toc[0].anchor == "一标题"
    assert render_markdown("## 一、标题\n") is render_markdown("## 一、标题\n")  # cached by content hash


def test_table_alignment_is_a_class_not_an_inline_style():
    """The CSP refuses style attributes, so `|:-:|--:|` alignment must reach the page as classes."""
    r = render_markdown("| 项目 | 人数 | 比例 |\n|---|:-:|--:|\n| 调查 | 219 | 52% |\n")
    assert "style=" not in r.html
    assert '<th class="align-center">人数</th>' in r.html and '<td class="align-right">52%</td>' in r.html
    assert "<th>项目</th>" in r.html
    css = (Path(__file__).resolve().parents[2] / "lms/static/css/site.css").read_text(encoding="utf-8")
    assert ".prose .align-center { text-align: center; }" in css and ".prose .align-right" in css
