"""CSV and XLSX exports of the branch table: the same rows and columns as the screen.

Text that a spreadsheet would read as a formula (a name like "=1+1") is neutralised with a
leading apostrophe (lms.exports.safe_cell), in both formats. Numbers are written by us, never from user input.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from lms import formatting, units
from lms.exports import safe_cell
from lms.hours.sources import LEDGER_SOURCES
from lms.reports.services import BranchReport, MemberRow


def columns(report: BranchReport) -> list[tuple[str, str]]:
    """(key, header) in screen order."""
    cols = [("name", "姓名"), ("member_no", "党员编号")]
    if report.subtree:
        cols.append(("org", "所在组织"))
    cols += [
        *((source.key, source.column) for source in LEDGER_SOURCES),
        ("total", "合计学时"), ("percent", "完成率"), ("last", "最近学习"), ("status", "状态"),
    ]
    return cols


def _hours(seconds: int) -> float:
    return units.hours_value(seconds)


def cell(row: MemberRow, key: str):
    """The typed value of one cell (str, float, int as percent, date or None)."""
    if key in row.by_source:
        return _hours(row.by_source[key])
    return {
        "name": row.name,
        "member_no": row.member_no or "",
        "org": row.org_name,
        "total": _hours(row.total),
        "percent": row.percent,
        "last": row.last_date,
        "status": row.status_label,
    }[key]


def text(row: MemberRow, key: str) -> str:
    """The cell as shown on screen."""
    value = cell(row, key)
    if key == "percent":
        return f"{value}%"
    if isinstance(value, float):
        return formatting.hours(value)
    if isinstance(value, date):
        return value.isoformat()
    return value or ("—" if key == "last" else "")


def to_csv(report: BranchReport, rows: list[MemberRow]) -> bytes:
    cols = columns(report)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([h for _, h in cols])
    for row in rows:
        writer.writerow([safe_cell(text(row, k)) if k in ("name", "member_no", "org") else text(row, k)
                         for k, _ in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(report: BranchReport, rows: list[MemberRow], *, title: str) -> bytes:
    cols = columns(report)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{report.year}年学时"[:31]
    ws.append([h for _, h in cols])
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center")
    for row in rows:
        values = []
        for key, _ in cols:
            value = cell(row, key)
            if isinstance(value, str):
                value = safe_cell(value)
            elif key == "percent":
                value = value / 100
            values.append(value)
        ws.append(values)
    for idx, (key, _) in enumerate(cols, start=1):
        letter = get_column_letter(idx)
        fmt = {"percent": "0%", "last": "yyyy-mm-dd"}.get(key)
        if fmt:
            for c in ws[letter][1:]:
                c.number_format = fmt
        ws.column_dimensions[letter].width = {"name": 12, "member_no": 14, "org": 20, "last": 12}.get(key, 10)
    ws.freeze_panes = "B2"
    wb.properties.title = title
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
