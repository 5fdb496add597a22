"""The 学习档案 as a PDF: records/record.html and record.css, written by the certificates'
WeasyPrint path (`lms.certificates.render.write_document`: PDF/A-3b, the subset Noto Serif CJK
faces, the fetcher that reads only the app's own files), so it looks and is built like them.
A branch is one PDF (each member from a new page) or a ZIP of one PDF per member."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import current_app, render_template

from lms import clock, exports, textcheck, units
from lms.certificates import fonts, render
from lms.records.services import MemberRecord, code_text

STYLESHEET = Path(__file__).resolve().parent / "templates" / "records" / "record.css"


def html_of(records: Sequence[MemberRecord], title: str) -> str:
    return render_template("records/record.html", records=records, title=title, hours_text=units.hours_text,
                           code_text=code_text)


def pdf_of(records: Sequence[MemberRecord]) -> bytes:
    """One PDF of the records, each member from a new page, page numbers in the margin."""
    first = records[0]
    title = f"{first.member.name} {first.range_text}学习档案" if len(records) == 1 else \
        f"学习档案（{len(records)} 人，{first.range_text}）"
    html = html_of(records, title)
    job = render.Job(base_url=current_app.config["BASE_URL"].rstrip("/"),
                     faces=fonts.faces_for(render.font_dir(), html), title=title, author=first.issuer.name)
    return render.write_document(html, job, stylesheet=STYLESHEET)


def file_name(record: MemberRecord) -> str:
    span = f"{record.first}" if record.first == record.last else f"{record.first}-{record.last}"
    return textcheck.safe_filename(f"学习档案-{record.member.name}-{span}.pdf")


def zip_of(records: Sequence[MemberRecord]) -> bytes:
    """One PDF per member; the entries' times are the local time it was produced."""
    now = clock.local_now()
    return exports.zip_files((file_name(r), str(r.member.id), now, pdf_of([r])) for r in records)
