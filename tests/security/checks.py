"""What every response must satisfy: inert markup, security headers, neutral spreadsheet cells."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]!r}")

    def _check(self, tag, attrs):
        names = {k.lower(): v for k, v in attrs}
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>: an event handler attribute")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                ("javascript:", "vbscript:")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>: a script URL")
        if tag == "script" and not names.get("src"):
            self.problems.append("<script> without src")
        if tag == "img" and names.get("src") == "x":
            self.problems.append("<img src=x>: the payload's image became markup")


def markup_problems(html: str) -> list[str]:
    """Script that would run if the CSP were absent: the payload rendered as markup, inline
    scripts, event handler attributes, javascript: URLs."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    if "<script>alert" in html:
        scan.problems.append("the raw <script>alert payload")
    return scan.problems


def header_problems(resp) -> list[str]:
    problems = []
    if resp.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    if resp.mimetype == "text/html":
        csp = resp.headers.get("Content-Security-Policy", "")
        directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
        script = directives.get("script-src") or directives.get("default-src", "")
        if "'self'" not in script or "'unsafe-inline'" in script or "'unsafe-eval'" in script:
            problems.append(f"CSP script-src is not strict: {script!r}")
        if directives.get("frame-ancestors") != "frame-ancestors 'none'":
            problems.append("CSP lacks frame-ancestors 'none'")
        if "object-src 'none'" not in csp:
            problems.append("CSP lacks object-src 'none'")
    return problems


# What may be kept by a cache or the browser's history: static files, and the public certificate
# verification as an anonymous visitor sees it. Every other response is someone's page, a login
# form or an error, and says no-store.
PUBLIC_PAGES = frozenset({"certificates.verify", "certificates.verify_form"})


def cache_problems(resp, *, endpoint: str, signed_in: bool) -> list[str]:
    cacheable = endpoint == "static" or endpoint.endswith(".static") or (endpoint in PUBLIC_PAGES and not signed_in)
    cache_control = resp.headers.get("Cache-Control", "")
    if cacheable and "no-store" in cache_control:
        return [f"{endpoint} is public but says {cache_control!r}"]
    if not cacheable and "no-store" not in cache_control:
        return [f"Cache-Control lacks no-store: {cache_control!r}"]
    return []


def dangerous_cell(value) -> bool:
    """A text cell a spreadsheet would run as a formula (plain numbers are fine)."""
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value)


def csv_problems(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [f"CSV cell {cell!r} would be a formula" for row in csv.reader(io.StringIO(text)) for cell in row
            if dangerous_cell(cell)]


def xlsx_problems(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    problems = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or dangerous_cell(cell.value):
                    problems.append(f"XLSX {ws.title}!{cell.coordinate} {cell.value!r} would be a formula")
    return problems


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body_problems(resp) -> list[str]:
    """Checks by content type: HTML markup, CSV/XLSX cells."""
    if resp.mimetype == "text/html":
        return markup_problems(resp.get_data(as_text=True))
    if resp.mimetype == "text/csv":
        return csv_problems(resp.get_data())
    if resp.mimetype == XLSX_MIME:
        return xlsx_problems(resp.get_data())
    return []
