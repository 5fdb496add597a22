"""Cells for CSV and XLSX files users download: text a spreadsheet would run is neutralised.

A name such as `=HYPERLINK("http://…","点此")` typed into the roster (or imported) must reach
Excel or WPS as text, not as a formula. Every exported text cell goes through `safe_cell`:
a value starting with = + - @ or a tab/carriage return gets a leading apostrophe (the
spreadsheet's own "this is text" mark); plain numbers such as -1.5 are left alone.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def zip_files(files: Iterable[tuple[str, str, datetime, bytes]]) -> bytes:
    """A stored (uncompressed: PDFs are compressed already) ZIP of (name, prefix, local time, bytes).
    A name seen before gets its prefix (an id) in front, so two members of the same name both
    arrive. Entry times are local wall-clock times: ZIP times carry no zone, and unzip tools show
    them as they are."""
    buf = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, prefix, local, data in files:
            if name in seen:
                name = f"{prefix}-{name}"
            seen.add(name)
            info = zipfile.ZipInfo(name, date_time=local.timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()
