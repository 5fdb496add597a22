"""PDF rendering with WeasyPrint: Jinja template + CSS, PDF/A-3b, subset CJK fonts, vector QR.

Nothing is fetched from outside: the QR code is inline SVG, fonts come from fontconfig
(Debian's fonts-noto-cjk), and the URL fetcher serves only files under lms/static.
"""

from __future__ import annotations

import ctypes.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from flask import current_app, render_template

log = logging.getLogger("lms.certificates")

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = PACKAGE_DIR / "static"
CSS_FILE = PACKAGE_DIR / "templates" / "certificates" / "certificate.css"
PDF_VARIANT = "pdf/a-3b"
FONT_FAMILY = "Noto Serif CJK SC"

HARFBUZZ_MISSING = (
    "未找到 HarfBuzz 字体子集库（libharfbuzz-subset0）：WeasyPrint 将改用 fontTools 嵌入中文字体，"
    "每张证书约需 5 秒。请安装：apt-get install libharfbuzz-subset0"
)


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def check_harfbuzz(app) -> bool:
    """Called once at start-up: a loud warning when fonts would be subset the slow way."""
    ok = harfbuzz_subset_available()
    app.extensions["lms_harfbuzz_subset"] = ok
    if not ok:
        log.warning("!" * 72)
        log.warning("WARNING: %s", HARFBUZZ_MISSING)
        log.warning("!" * 72)
    return ok


class RefusedURL(ValueError):
    pass


def _static_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedURL(f"证书渲染不读取外部资源：{url}")
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise RefusedURL(f"证书渲染只读取本应用的静态文件：{url}")
    return path


def _make_fetcher():
    import mimetypes

    import weasyprint

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint ≥ 66: a class with fetch()

        class AppFilesFetcher(weasyprint.URLFetcher):
            def fetch(self, url, headers=None):
                if url.startswith("data:"):  # in the document itself (the QR code)
                    return super().fetch(url, headers)
                path = _static_path(url)
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return weasyprint.urls.URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": mime}
                )

        return AppFilesFetcher()

    def fetch(url):  # older WeasyPrint: a function returning a dict
        if url.startswith("data:"):
            return weasyprint.default_url_fetcher(url)
        path = _static_path(url)
        return {"string": path.read_bytes(), "mime_type": mimetypes.guess_type(path.name)[0]}

    return fetch


@lru_cache(maxsize=1)
def _engine():
    """WeasyPrint objects reused across renders: the fetcher, font configuration and parsed CSS."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _make_fetcher()
    font_config = FontConfiguration()
    css = weasyprint.CSS(
        string=CSS_FILE.read_text(encoding="utf-8"),
        base_url=STATIC_DIR.as_uri() + "/",
        url_fetcher=fetcher,
        font_config=font_config,
    )
    return weasyprint, fetcher, font_config, css


def url_fetcher():
    return _engine()[1]


_CN_DIGITS = "〇一二三四五六七八九"


def cn_upper_date(d: date) -> str:
    """二〇二六年三月五日 — the way dates are written under a signature on certificates."""

    def small(n: int) -> str:
        if n < 10:
            return _CN_DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")

    year = "".join(_CN_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{small(d.month)}月{small(d.day)}日"


def verify_url(code: str) -> str:
    from lms.certificates.codes import group

    return f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{group(code)}"


def qr_data_uri(url: str) -> str:
    """A vector QR code as an SVG data: URI (sized by CSS through its viewBox).

    An <img> rather than inline <svg>: the HTML parser and the style cascade then skip the
    long path, which matters when a hundred certificates go into one document.
    """
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_data_uri(scale=1, border=0, dark="#1f1f1f", omitsize=True, svgclass=None, lineclass=None)


@dataclass(frozen=True)
class Page:
    """Everything printed on one certificate (a snapshot; the stored PDF never changes)."""

    kind: str  # course | annual
    holder_name: str
    org_name: str
    issuer_name: str
    subject: str  # the course title, or "2026年度"
    year: int
    hours_text: str
    required_hours_text: str
    completed_on: date | None
    issued_on: date
    serial: str
    code: str

    @property
    def title(self) -> str:
        return "课程结业证书" if self.kind == "course" else "年度学习培训合格证明"


def _html(pages: Sequence[Page]) -> str:
    from lms.certificates.codes import group

    items = [
        {
            "p": p,
            "code": group(p.code),
            "url": verify_url(p.code),
            "qr_uri": qr_data_uri(verify_url(p.code)),
            "issued_cn": cn_upper_date(p.issued_on),
            "verify_base": current_app.config["BASE_URL"].rstrip("/") + "/verify",
        }
        for p in pages
    ]
    return render_template("certificates/certificate.html", items=items, font_family=FONT_FAMILY)


def render_pdf(pages: Sequence[Page]) -> bytes:
    """One PDF with one certificate per page (A4 landscape, PDF/A-3b)."""
    weasyprint, fetcher, font_config, css = _engine()
    html = weasyprint.HTML(string=_html(pages), base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    meta_title = pages[0].title if len(pages) == 1 else f"证书（{len(pages)} 份）"
    doc = html.render(stylesheets=[css], font_config=font_config, pdf_variant=PDF_VARIANT)
    doc.metadata.title = meta_title
    doc.metadata.authors = [pages[0].issuer_name]
    return doc.write_pdf(pdf_variant=PDF_VARIANT)


def render_plain_page(text: str = "Hello") -> bytes:
    """A bare one-page render with the same engine (the benchmark's yardstick)."""
    weasyprint, fetcher, _, _ = _engine()
    return weasyprint.HTML(string=f"<p>{text}</p>", url_fetcher=fetcher).write_pdf()
