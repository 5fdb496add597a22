"""One PDF with one certificate per page: drawn in this process, or split over worker processes
for a large batch.

render.py draws pages (`render_local`, no Flask app needed); parallel.py splits a batch into
chunks that worker.py processes draw with render.py; this module chooses between the two. The
imports run one way: pdf → parallel → worker → render, and pdf → render.
"""

from __future__ import annotations

from collections.abc import Sequence

from lms.certificates import parallel, render


def render_pdf(pages: Sequence[render.Page]) -> bytes:
    """One PDF with one certificate per page; large batches are split over worker processes."""
    job = render.job_for(pages)
    workers = parallel.processes_for(len(pages))
    if workers > 1:
        return parallel.render(list(pages), job, workers)
    return render.render_local(pages, job)
