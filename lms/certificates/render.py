"""PDF rendering with WeasyPrint: Jinja template + CSS, PDF/A-3b, subset CJK fonts, vector QR.

Nothing is fetched from outside: the QR code is drawn as vector rectangles (no image), the fonts are the subset
copies of Noto Serif CJK SC in <instance>/fonts (lms/certificates/fonts.py; the full system
font via fontconfig is the fallback), and the URL fetcher serves only files under lms/certificates/static
and that font directory.

The rendering core (`render_local`) needs no Flask app, so that lms/certificates/parallel.py
can run it in worker processes for large batches; lms/certificates/pdf.py (`render_pdf`) chooses
between the two. This module imports neither.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

from lms.certificates import fonts
from lms.certificates.qr import qr_finisher

log = logging.getLogger("lms.certificates")

PACKAGE_DIR = Path(__file__).resolve().parent  # the certificates slice owns its template, CSS and SVGs
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
CSS_FILE = TEMPLATES_DIR / "certificates" / "certificate.css"
PDF_VARIANT = "pdf/a-3b"
FONT_FAMILY = fonts.SOURCE_FAMILY

HARFBUZZ_MISSING = (
    "未找到 HarfBuzz 字体子集库（libharfbuzz-subset0）：WeasyPrint 将改用 fontTools 嵌入中文字体，"
    "每张证书约需 5 秒。请安装：apt-get install libharfbuzz-subset0"
)


def harfbuzz_subset_available() -> bool:
    return fonts.harfbuzz_subset_available()


def check_harfbuzz(app) -> bool:
    """Called once at start-up: a loud warning when fonts would be subset the slow way."""
    ok = harfbuzz_subset_available()
    app.extensions["lms_harfbuzz_subset"] = ok
    if not ok:
        log.warning("!" * 72)
        log.warning("WARNING: %s", HARFBUZZ_MISSING)
        log.warning("!" * 72)
    return ok


# --- the locked-down URL fetcher ----------------------------------------------------------------


class RefusedURL(ValueError):
    pass


def _allowed_path(url: str, roots: tuple[Path, ...]) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedURL(f"证书渲染不读取外部资源：{url}")
    path = Path(unquote(parts.path)).resolve()
    if not any(path.is_relative_to(root) for root in roots) or not path.is_file():
        raise RefusedURL(f"证书渲染只读取本应用的静态文件和证书字体：{url}")
    return path


def _make_fetcher(roots: tuple[Path, ...]):
    import mimetypes

    import weasyprint

    roots = tuple(r.resolve() for r in roots)

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint ≥ 66: a class with fetch()

        class AppFilesFetcher(weasyprint.URLFetcher):
            def fetch(self, url, headers=None):
                if url.startswith("data:"):  # in the document itself (the QR code)
                    return super().fetch(url, headers)
                path = _allowed_path(url, roots)
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return weasyprint.urls.URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": mime}
                )

        return AppFilesFetcher()

    def fetch(url):  # older WeasyPrint: a function returning a dict
        if url.startswith("data:"):
            return weasyprint.default_url_fetcher(url)
        path = _allowed_path(url, roots)
        return {"string": path.read_bytes(), "mime_type": mimetypes.guess_type(path.name)[0]}

    return fetch


def url_fetcher(font_dir: Path | None = None):
    """The fetcher used for certificates: lms/certificates/static, plus the subset fonts in font_dir."""
    return _make_fetcher((STATIC_DIR,) if font_dir is None else (STATIC_DIR, font_dir))


# --- the engine: WeasyPrint objects reused across renders ----------------------------------------


@dataclass(frozen=True)
class Engine:
    weasyprint: object
    fetcher: object
    font_config: object
    css: object


def font_face_rules(faces: Sequence[fonts.Face]) -> str:
    return "".join(
        f'@font-face {{ font-family: "{fonts.SUBSET_FAMILY}"; font-weight: {f.weight}; '
        f'src: url("{f.path.as_uri()}"); }}\n'
        for f in faces
    )


@lru_cache(maxsize=8)
def _engine(faces: tuple[fonts.Face, ...], stylesheet: Path = CSS_FILE) -> Engine:
    """The fetcher, font configuration (with the subset faces) and parsed CSS, once per font set
    and stylesheet (the certificate's, or another document's such as the 学习档案)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _make_fetcher((STATIC_DIR, *{f.path.parent for f in faces}))
    font_config = FontConfiguration()
    css = weasyprint.CSS(
        string=font_face_rules(faces) + stylesheet.read_text(encoding="utf-8"),
        base_url=STATIC_DIR.as_uri() + "/",
        url_fetcher=fetcher,
        font_config=font_config,
    )
    return Engine(weasyprint, fetcher, font_config, css)


def font_dir() -> Path:
    """Where the subset fonts are kept: CERT_FONT_DIR, by default <instance>/fonts."""
    configured = current_app.config.get("CERT_FONT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "fonts"


# --- what is printed ----------------------------------------------------------------------------


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


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def verify_url(code: str, base_url: str | None = None) -> str:
    from lms.certificates.codes import group

    return f"{base_url or _base_url()}/verify/{group(code)}"


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
    qr_text: str = ""  # the QR code's text when not the bare verification URL (signing.qr_text)

    @property
    def title(self) -> str:
        return "课程结业证书" if self.kind == "course" else "年度学习培训合格证明"

    def text(self) -> str:
        return "".join((self.holder_name, self.org_name, self.issuer_name, self.subject, self.hours_text,
                        self.required_hours_text, self.serial, self.code))


@dataclass(frozen=True)
class Job:
    """What a render needs besides the pages (picklable, for worker processes)."""

    base_url: str
    faces: tuple[fonts.Face, ...]
    title: str
    author: str


@lru_cache(maxsize=1)
def _jinja():
    """The certificate template's own Jinja environment (no Flask app needed in workers)."""
    import jinja2

    from lms.formatting import FILTERS

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    env.filters.update(FILTERS)
    return env


def page_html(pages: Sequence[Page], base_url: str) -> str:
    from lms.certificates.codes import group

    items = [{"p": p, "code": group(p.code), "issued_cn": cn_upper_date(p.issued_on),
              "verify_base": f"{base_url}/verify"} for p in pages]
    return _jinja().get_template("certificates/certificate.html").render(items=items, font_family=FONT_FAMILY)


@contextmanager
def _gc_paused():
    """WeasyPrint allocates millions of objects that all live until the PDF is written, so the
    cyclic collector's passes during a render find little and cost ~15% of a large batch."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_document(html: str, job: Job, *, stylesheet: Path = CSS_FILE, finisher=None) -> bytes:
    """The one place the app has WeasyPrint write a PDF (PDF/A-3b, the subset fonts, the
    locked-down fetcher): certificates through render_local, other documents (the 学习档案,
    lms/records/document.py) directly. parallel.join only joins what this wrote."""
    eng = _engine(job.faces, stylesheet)
    with _gc_paused():
        doc = eng.weasyprint.HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=eng.fetcher).render(
            stylesheets=[eng.css], font_config=eng.font_config, pdf_variant=PDF_VARIANT)
        doc.metadata.title = job.title
        doc.metadata.authors = [job.author]
        return doc.write_pdf(pdf_variant=PDF_VARIANT, finisher=finisher)


def render_local(pages: Sequence[Page], job: Job) -> bytes:
    """One PDF with one certificate per page (A4 landscape, PDF/A-3b), in this process."""
    urls = [p.qr_text or verify_url(p.code, job.base_url) for p in pages]
    return write_document(page_html(pages, job.base_url), job, finisher=qr_finisher(urls))


def job_for(pages: Sequence[Page]) -> Job:
    base_url = _base_url()
    text = "".join(p.text() for p in pages) + base_url
    return Job(
        base_url=base_url,
        faces=fonts.faces_for(font_dir(), text),
        title=pages[0].title if len(pages) == 1 else f"证书（{len(pages)} 份）",
        author=pages[0].issuer_name,
    )


@lru_cache(maxsize=1)
def _static_fetcher():
    return _make_fetcher((STATIC_DIR,))


def render_plain_page(text: str = "Hello") -> bytes:
    """A bare one-page render with WeasyPrint's defaults (the benchmark's yardstick)."""
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p>", url_fetcher=_static_fetcher()).write_pdf()
