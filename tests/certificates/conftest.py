"""Certificates fixtures: eligibility switched on per member through the two lazy wrappers."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest

from lms import clock
from lms.certificates import eligibility

HOUR = 3600  # MINUTES_PER_CREDIT_HOUR = 60 in tests
REQUIRED = 32 * HOUR


class Eligible:
    """Make members complete courses or reach annual totals, without the quiz/hours slices."""

    def __init__(self):
        self.courses: dict[int, dict[int, datetime]] = {}
        self.totals: dict[tuple[int, int], int] = {}

    def course(self, user, course_id: int, at: datetime | None = None) -> None:
        self.courses.setdefault(user.id, {})[course_id] = at or clock.now()

    def year(self, user, year: int, seconds: int = REQUIRED) -> None:
        self.totals[(user.id, year)] = seconds


@pytest.fixture(scope="session")
def cert_font_dir(tmp_path_factory):
    """One pre-subset font cache for the whole run (built by the first certificate)."""
    return tmp_path_factory.mktemp("cert-fonts")


@pytest.fixture
def app_config(app_config, cert_font_dir):
    return {**app_config, "CERT_FONT_DIR": str(cert_font_dir)}


@pytest.fixture
def eligible(monkeypatch) -> Eligible:
    state = Eligible()
    monkeypatch.setattr(eligibility.progress, "completed_courses",
                        lambda *, session, user_id: dict(state.courses.get(user_id, {})))
    monkeypatch.setattr(eligibility.hours, "year_total_seconds",
                        lambda *, session, user_id, year: state.totals.get((user_id, year), 0))
    return state


@pytest.fixture
def frozen():
    clock.freeze(datetime(2026, 6, 15, 2, 0, tzinfo=UTC))  # 10:00 in Beijing
    yield
    clock.unfreeze()


@pytest.fixture
def course_id(db, synced):
    from sqlmodel import select

    from lms.content.models import Course

    with db() as s:
        return s.exec(select(Course.id).where(Course.slug == "cadre-selection-regulations")).one()


def post(client, path: str, data: dict, token_from: str = "/certificates/", **kw):
    from tests.conftest import csrf_token

    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)}, **kw)


def claim(client, follow_redirects: bool = False, **data):
    return post(client, "/certificates/claim", data, follow_redirects=follow_redirects)


def pdf_text(pdf: bytes, tmp_path) -> str:
    f = tmp_path / "c.pdf"
    f.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(f), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"[ \t]+", " ", out)


def pdf_fonts(pdf: bytes, tmp_path) -> list[list[str]]:
    """pdffonts rows: name, type…, emb, sub, uni, object id, generation."""
    f = tmp_path / "f.pdf"
    f.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(f)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def qr_texts(pdf: bytes, tmp_path, page: int = 1) -> list[str]:
    """What a phone reads from the QR codes on one page (rendered at 150 dpi)."""
    import zxingcpp
    from PIL import Image

    f = tmp_path / "q.pdf"
    f.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(f),
                    str(tmp_path / "q")], check=True)
    results = zxingcpp.read_barcodes(Image.open(tmp_path / "q.png"))
    return [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_pages(pdf: bytes, tmp_path) -> int:
    f = tmp_path / "p.pdf"
    f.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(f)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
