"""Large batches rendered by several processes still make one valid PDF, in order."""

from __future__ import annotations

import subprocess

import pytest

from lms.certificates import codes, parallel
from lms.certificates.pdf import render_pdf
from tests.certificates.conftest import pdf_fonts, pdf_pages, pdf_text, qr_texts
from tests.certificates.test_fonts import _page

NAMES = ["张三", "李四", "王五"]


@pytest.fixture
def split_batches(app):
    app.config.update(CERT_RENDER_PROCESSES=2, CERT_PARALLEL_MIN_PAGES=2, BASE_URL="https://xuexi.example.org")
    yield
    parallel.shutdown()


def _pages():
    return [_page(name, code=codes.new_code()) for name in NAMES]


def test_a_batch_split_over_processes_is_one_pdf_a_in_order(app, split_batches, tmp_path):
    pytest.importorskip("zxingcpp")
    pages = _pages()
    with app.app_context():
        assert parallel.processes_for(len(pages)) == 2
        pdf = render_pdf(pages)
    (worker,) = parallel._workers  # a worker rendered part of it, and is kept for the next batch
    assert worker.proc.poll() is None

    assert pdf_pages(pdf, tmp_path) == 3
    text = pdf_text(pdf, tmp_path)
    assert [text.index(f"{n} 同志") for n in NAMES] == sorted(text.index(f"{n} 同志") for n in NAMES)
    rows = pdf_fonts(pdf, tmp_path)
    assert all(r[-5:-3] == ["yes", "yes"] for r in rows)
    assert len({r[0] for r in rows}) == len(rows)  # each part's subset has a name of its own
    f = tmp_path / "b.pdf"
    f.write_bytes(pdf)
    xmp = subprocess.run(["pdfinfo", "-meta", str(f)], check=True, capture_output=True, text=True).stdout
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp and "证书（3 份）" in xmp
    for n in (1, 3):  # each page carries its own certificate's code, from either part
        assert qr_texts(pdf, tmp_path, n) == [f"https://xuexi.example.org/verify/{codes.group(pages[n - 1].code)}"]


def test_a_failing_worker_leaves_the_batch_complete(app, split_batches, tmp_path, monkeypatch):
    pytest.importorskip("zxingcpp")

    def broken(self, pages, job):
        raise parallel.WorkerError("worker exited")

    monkeypatch.setattr(parallel.Worker, "render", broken)
    pages = _pages()
    with app.app_context():
        pdf = render_pdf(pages)
    assert pdf_pages(pdf, tmp_path) == 3
    assert all(f"{n} 同志" in pdf_text(pdf, tmp_path) for n in NAMES)
    assert qr_texts(pdf, tmp_path, 2) == [f"https://xuexi.example.org/verify/{codes.group(pages[1].code)}"]


def test_idle_workers_are_stopped(app, split_batches):
    with app.app_context():
        render_pdf(_pages())
    (worker,) = parallel._workers
    proc = worker.proc
    assert parallel.stop_idle() == 0  # just used
    assert parallel.stop_idle(idle_seconds=0) == 1
    assert proc.wait(timeout=10) == 0 and parallel._workers == []
