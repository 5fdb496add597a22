"""Large batches: the pages split into chunks rendered side by side, then joined into one PDF.

WeasyPrint lays out and draws one page after another in one thread (~10–20 ms a certificate
page), so a hundred certificates in one document take 1.5–3 s on one core. Here the calling
process renders the first chunk while worker processes (lms/certificates/worker.py) render the
others; pypdf joins the parts. Each part carries its own font subset, renamed so that no two
embedded fonts share a name; the joined file keeps the first part's PDF/A-3b identification
(XMP metadata, sRGB output intent) and document information.

Workers are plain subprocesses started on the first large batch and kept while batches come
(~170 MB each); one idle for IDLE_SECONDS is stopped. CERT_RENDER_PROCESSES (LMS_CERT_RENDER_PROCESSES) caps the number of processes in
all, the caller included (default: CPUs, at most 4; 1 turns this off); CERT_PARALLEL_MIN_PAGES
is the batch size from which it is used (default 24). A worker that fails or dies has its
chunk rendered in-process instead.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

from flask import current_app

from lms.certificates.render import render_local
from lms.certificates.worker import read_message, write_message

log = logging.getLogger("lms.certificates")

MAX_AUTO_PROCESSES = 4
DEFAULT_MIN_PAGES = 24
IDLE_SECONDS = 300


class _CloneCountFilter(logging.Filter):
    """pypdf warns when a clone holds more objects than the source's trailer /Size (PDFs with
    object streams, such as WeasyPrint's, always do); the joined file is fine."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Object count")


logging.getLogger("pypdf._writer").addFilter(_CloneCountFilter())


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def processes_for(pages: int) -> int:
    """How many processes (the caller included) to render `pages` pages with; 1 = in-process."""
    cfg = current_app.config
    configured = int(cfg.get("CERT_RENDER_PROCESSES") or 0)
    n = configured if configured > 0 else min(_cpus(), MAX_AUTO_PROCESSES)
    min_pages = int(cfg.get("CERT_PARALLEL_MIN_PAGES") or DEFAULT_MIN_PAGES)
    if n <= 1 or pages < max(min_pages, 2):
        return 1
    return min(n, pages)


class WorkerError(RuntimeError):
    pass


class Worker:
    """One `python -m lms.certificates.worker` subprocess; one request at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.last_used = time.monotonic()

    def _started(self) -> subprocess.Popen:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lms.certificates.worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
            )
        return self.proc

    def render(self, pages: list, job) -> bytes:
        with self.lock:
            proc = self._started()
            try:
                write_message(proc.stdin, pickle.dumps((pages, job), protocol=pickle.HIGHEST_PROTOCOL))
                reply = read_message(proc.stdout)
            except OSError as exc:
                reply, error = None, exc
            else:
                error = None
            if reply is None:
                self.stop()
                raise WorkerError(f"certificate render worker exited ({error or proc.returncode})")
            self.last_used = time.monotonic()
            ok, value = pickle.loads(reply)
            if not ok:
                raise WorkerError(value)
            return value

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


_workers: list[Worker] = []
_workers_lock = threading.Lock()
_threads = ThreadPoolExecutor(max_workers=MAX_AUTO_PROCESSES * 2, thread_name_prefix="cert-render")


def _free_workers(n: int) -> list[Worker]:
    """n workers, preferring idle ones (two batches at once each get their own)."""
    with _workers_lock:
        idle = [w for w in _workers if not w.lock.locked()]
        while len(idle) < n:
            w = Worker()
            _workers.append(w)
            idle.append(w)
        return idle[:n]


def shutdown() -> None:
    with _workers_lock:
        for w in _workers:
            w.stop()
        _workers.clear()


def stop_idle(idle_seconds: float | None = None) -> int:
    """Stop the workers unused for idle_seconds (default IDLE_SECONDS); returns how many."""
    limit = IDLE_SECONDS if idle_seconds is None else idle_seconds
    now, stopped = time.monotonic(), 0
    with _workers_lock:
        for w in list(_workers):
            if now - w.last_used >= limit and w.lock.acquire(blocking=False):
                try:
                    w.stop()
                    _workers.remove(w)
                    stopped += 1
                finally:
                    w.lock.release()
    return stopped


def _stop_idle_later() -> None:
    timer = threading.Timer(IDLE_SECONDS + 1, stop_idle)
    timer.daemon = True
    timer.start()


atexit.register(shutdown)


def split(items: list, parts: int) -> list[list]:
    """Contiguous, nearly equal chunks, in order."""
    size, extra = divmod(len(items), parts)
    chunks, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        chunks.append(items[start:end])
        start = end
    return [c for c in chunks if c]


def render(pages: list, job, processes: int) -> bytes:
    """Render `pages` in `processes` chunks (the first here, the rest in workers) as one PDF."""
    chunks = split(pages, processes)
    workers = _free_workers(len(chunks) - 1)
    futures = [_threads.submit(w.render, chunk, job) for w, chunk in zip(workers, chunks[1:], strict=True)]
    parts = [render_local(chunks[0], job)]
    for chunk, future in zip(chunks[1:], futures, strict=True):
        try:
            parts.append(future.result())
        except WorkerError:
            log.exception("a certificate render worker failed; rendering its pages in-process")
            parts.append(render_local(chunk, job))
    _stop_idle_later()
    return join(parts)


def _tag(old: str, part: int) -> str:
    digest = hashlib.md5(f"{old}/{part}".encode(), usedforsecurity=False).digest()
    return "".join(chr(65 + b % 26) for b in digest[:6])


def _retag_fonts(reader, part: int) -> None:
    """Give part N's subset fonts their own six-letter tags (ABCDEF+Name → XYZUVW+Name)."""
    from pypdf.generic import NameObject

    seen: set[int] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            if id(font) in seen:
                continue
            seen.add(id(font))
            dicts = [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]
            dicts += [d["/FontDescriptor"].get_object() for d in dicts if "/FontDescriptor" in d]
            for d in dicts:
                for key in ("/BaseFont", "/FontName"):
                    name = d.get(key)
                    if name and len(name) > 8 and name[7] == "+":
                        d[NameObject(key)] = NameObject(f"/{_tag(name[1:7], part)}{name[7:]}")


def join(parts: list[bytes]) -> bytes:
    """One PDF of all parts' pages, with the first part's catalog (XMP, output intent) and info."""
    if len(parts) == 1:
        return parts[0]
    from pypdf import PdfReader, PdfWriter

    first = PdfReader(BytesIO(parts[0]))
    writer = PdfWriter(clone_from=first)
    for n, data in enumerate(parts[1:], start=1):
        reader = PdfReader(BytesIO(data))
        _retag_fonts(reader, n)
        for page in reader.pages:
            writer.add_page(page)
    writer.compress_identical_objects()  # e.g. the page background, the same in every part
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
