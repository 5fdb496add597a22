"""The request helpers the slices' views share (lms/web.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Response

from lms import clock
from lms.web import attachment, requested_year, safe_local_path, year_arg


@pytest.mark.parametrize(("target", "expected"), [
    ("/certificates/batch?org=3", "/certificates/batch?org=3"),
    ("/", "/"),
    ("", None),
    (None, None),
    ("//evil.example/x", None),
    ("https://evil.example/x", None),
    ("javascript:alert(1)", None),
    ("relative/path", None),
])
def test_safe_local_path_keeps_only_paths_on_this_site(target, expected):
    assert safe_local_path(target) == expected


@pytest.mark.parametrize(("query", "year", "requested"), [
    ("", 2026, None), ("?year=2024", 2024, 2024), ("?year=2027", 2026, None),
    ("?year=1999", 2026, None), ("?year=abc", 2026, None), ("?year=2000", 2000, 2000),
])
def test_the_year_argument(app, query, year, requested):
    clock.freeze(datetime(2026, 5, 1, 12, tzinfo=ZoneInfo("Asia/Shanghai")))
    with app.test_request_context("/" + query):
        assert (year_arg(), requested_year()) == (year, requested)


def test_attachment_names_the_file_in_utf8_with_an_ascii_fallback():
    resp = attachment(Response(b""), "第一支部_2026年学时.csv", ascii_name="report-3-2026.csv")
    assert resp.headers["Content-Disposition"] == (
        "attachment; filename=\"report-3-2026.csv\"; filename*=UTF-8''"
        "%E7%AC%AC%E4%B8%80%E6%94%AF%E9%83%A8_2026%E5%B9%B4%E5%AD%A6%E6%97%B6.csv"
    )
    plain = attachment(Response(b""), "初始密码.csv")
    assert plain.headers["Content-Disposition"] == "attachment; filename*=UTF-8''%E5%88%9D%E5%A7%8B%E5%AF%86%E7%A0%81.csv"
