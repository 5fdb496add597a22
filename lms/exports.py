"""Cells for CSV and XLSX files users download: text a spreadsheet would run is neutralised.

A name such as `=HYPERLINK("http://…","点此")` typed into the roster (or imported) must reach
Excel or WPS as text, not as a formula. Every exported text cell goes through `safe_cell`:
a value starting with = + - @ or a tab/carriage return gets a leading apostrophe (the
spreadsheet's own "this is text" mark); plain numbers such as -1.5 are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
