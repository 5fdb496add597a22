"""Security headers on every kind of response, and templates the strict CSP can serve unchanged.

The matrix (test_matrix.py) checks the headers of every page it opens; here: error pages, JSON,
static files, and a scan of the templates themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.security.checks import header_problems

LMS = Path(__file__).resolve().parents[2] / "lms"
# The shared templates (lms/templates) and each slice's own (lms/<slice>/templates).
TEMPLATE_DIRS = [LMS / "templates", *sorted(LMS.glob("*/templates"))]
TEMPLATES = sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))
TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^>{]|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})*)>", re.S)
INLINE_HANDLER = re.compile(r"(?:^|\s)on[a-z]+\s*=", re.I)


def template_problems(text: str) -> list[str]:
    problems = []
    for m in TAG.finditer(text):
        tag, attrs = m.group(1).lower(), m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        if tag == "script" and not re.search(r"\ssrc\s*=", attrs):
            problems.append(f"line {line}: <script> without src")
        if tag == "style":
            problems.append(f"line {line}: <style> element")
        if INLINE_HANDLER.search(attrs):
            problems.append(f"line {line}: inline event handler in <{tag}>")
        if re.search(r"(?:^|\s)style\s*=", attrs, re.I):
            problems.append(f"line {line}: style attribute in <{tag}>")
        if re.search(r"=\s*[\"']?\s*javascript:", attrs, re.I):
            problems.append(f"line {line}: javascript: URL in <{tag}>")
    return problems


def test_scanner_finds_what_it_looks_for():
    bad = '<p style="color:red">x</p><button onclick="go()">b</button><script>alert(1)</script>' \
          '<a href="javascript:void(0)">a</a><style>p{}</style>'
    assert len(template_problems(bad)) == 5
    good = '<script src="{{ url_for(\'static\', filename=\'js/x.js\') }}" defer></script>' \
           '<a class="{% if a > b %}on{% endif %}" data-one="1" href="/">x</a><p>onclick=</p>'
    assert template_problems(good) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(LMS)))
def test_template_has_no_inline_script_handler_or_style(path):
    assert template_problems(path.read_text(encoding="utf-8")) == []


def test_the_scan_covers_every_template_the_app_can_render(app):
    scanned = {str(p.relative_to(d)) for d in TEMPLATE_DIRS for p in d.rglob("*.html")}
    assert {n for n in app.jinja_env.list_templates() if n.endswith(".html")} == scanned


def test_headers_on_error_pages_json_and_static(client, make_user, login):
    responses = {
        "404 page": client.get("/no-such-page"),
        "405 page": client.get("/logout"),
        "400 CSRF page": client.post("/login", data={"login": "x", "password": "y"}),
        "JSON": client.get("/healthz"),
        "JSON 401": client.post("/hours/beat", headers={"X-CSRFToken": "x"}),
        "static": client.get("/static/css/site.css"),
    }
    login(make_user())
    responses["403 page"] = client.get("/audit/")
    for label, resp in responses.items():
        assert not header_problems(resp), (label, resp.status_code, header_problems(resp))
        assert resp.headers.get("X-Frame-Options") == "DENY", label
    assert responses["404 page"].mimetype == "text/html"  # so the CSP checks ran on it
    assert responses["403 page"].status_code == 403


def test_csp_is_exactly_strict(client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
