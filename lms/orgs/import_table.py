"""Reading a roster file: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16; one of them for the whole file) or XLSX into its header
and non-blank rows, with the limits on size, rows and columns. importer.py checks and imports the rows.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 30
# An .xlsx is a ZIP: 2 MB can unpack to gigabytes (a "zip bomb") that openpyxl would read whole.
MAX_XLSX_UNPACKED = 20 * 1024 * 1024
COLUMNS = ("姓名", "党员编号", "手机号", "所在支部", "角色")
HEADER_ALIASES = {
    "姓名": "姓名", "党员姓名": "姓名",
    "党员编号": "党员编号", "编号": "党员编号",
    "手机号": "手机号", "手机": "手机号", "手机号码": "手机号", "联系电话": "手机号",
    "所在支部": "所在支部", "所在党支部": "所在支部", "党支部": "所在支部", "支部": "所在支部",
    "角色": "角色",
}
COLUMN_HINT = "表头应为：姓名、党员编号、手机号、所在支部、角色（选填）。"


class ImportFileError(Exception):
    """The file as a whole cannot be used (unreadable, empty, too large, bad header)."""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\ufeff", "").replace("\u200b", "").strip()


UNREADABLE = "无法识别文件的编码或内容。请在 Excel 中“另存为” CSV（UTF-8 或 GBK 均可）或 .xlsx 后重试。"
ENCODING_NAMES = {"utf-8": "UTF-8", "gb18030": "GBK"}


def _line_encoding(line: bytes) -> str | None:
    """"utf-8" when the line is UTF-8 with at least one multi-byte character of 3 bytes or more
    (where Chinese lies: a GBK line is hardly ever that), "gb18030" when it is not UTF-8 but is
    GBK/GB18030, "bad" when neither; None when it tells nothing (ASCII, or only 2-byte UTF-8)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        try:
            line.decode("gb18030")
        except UnicodeDecodeError:
            return "bad"
        return "gb18030"
    return "utf-8" if any(ord(ch) >= 0x800 for ch in text) else None


def _decode(data: bytes) -> str:
    """The whole file in one encoding: UTF-16 when it starts with its BOM (Excel's "Unicode 文本"),
    else strictly UTF-8 (BOM or not), else strictly GBK/GB18030. A file whose rows are not all in
    the same one — UTF-8 rows and GBK rows pasted together, or a damaged row — is refused with the
    first row that differs, instead of importing names garbled by the wrong guess."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(UNREADABLE) from None
    else:
        text = _decode_8bit(data)
    if "\x00" in text:
        raise ImportFileError(UNREADABLE)
    return text


def _decode_8bit(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    bom = data.startswith(b"\xef\xbb\xbf")
    lines = [(n, _line_encoding(raw)) for n, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), 1)]
    found = [(n, enc) for n, enc in lines if enc is not None]
    counts = {enc: sum(1 for _, e in found if e == enc) for enc in ("utf-8", "gb18030")}
    if not any(counts.values()):  # no row reads as either: not a text file at all
        raise ImportFileError(UNREADABLE)
    if bom or counts["utf-8"] > counts["gb18030"]:
        main = "utf-8"
    elif counts["gb18030"] > counts["utf-8"]:
        main = "gb18030"
    else:  # as many of each: the first row that tells decides
        main = next((enc for _, enc in found if enc != "bad"), "gb18030")
    first_bad = next((n for n, enc in found if enc != main), None)
    if first_bad is None:  # every row is GBK (a UTF-8 file would have decoded above)
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:  # a character split across lines: nothing to name
            raise ImportFileError(UNREADABLE) from None
    other = dict(found)[first_bad]
    if other == "bad":
        raise ImportFileError(
            f"第 {first_bad} 行的文字无法按 {ENCODING_NAMES[main]} 编码读取，文件可能已损坏，因此整个文件未导入。"
            "请在 Excel 中“另存为” CSV（UTF-8 或 GBK 均可）或 .xlsx 后重试。"
        )
    raise ImportFileError(
        f"第 {first_bad} 行的编码（{ENCODING_NAMES[other]}）与文件其他行（{ENCODING_NAMES[main]}）不同："
        "同一文件中混用了两种编码，导入会使姓名变成乱码，因此整个文件未导入。"
        "请把各行复制到同一个表格中，在 Excel 中“另存为” CSV（UTF-8）或 .xlsx 后重试。"
    )


def _csv_rows(data: bytes):
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        for line, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            yield line, [_cell(c) for c in cells[:MAX_COLUMNS]]
    except csv.Error as exc:
        raise ImportFileError(f"CSV 文件格式有误，无法读取：{exc}") from None


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    try:  # the sizes the ZIP declares; zipfile never inflates a member past its declared size
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError("无法读取该 Excel 文件，文件可能已损坏或不是 .xlsx 格式。") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise ImportFileError("该 Excel 文件解压后过大，请只保留党员名册一个工作表，或另存为 CSV 后重试。")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError("无法读取该 Excel 文件，文件可能已损坏或不是 .xlsx 格式。") from None
    try:
        ws = wb.worksheets[0]
        for line, values in enumerate(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            yield line, [_cell(v) for v in values]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError("无法读取该 Excel 文件，文件可能已损坏。") from None
    finally:
        wb.close()


def read_table(data: bytes, filename: str) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """(header line, header cells, [(line, cells)…]) for the non-blank rows; ImportFileError otherwise."""
    name = (filename or "").lower()
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请分批导入。")
    if not data.strip():
        raise ImportFileError("文件是空的。")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("不支持旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 或 CSV 后重试。")
    if data.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(data)
    elif name.endswith((".xlsx", ".xlsm")):
        raise ImportFileError("无法读取该 Excel 文件，文件可能已损坏或不是 .xlsx 格式。")
    elif name.endswith((".csv", ".txt")) or "." not in name:
        rows = _csv_rows(data)
    else:
        raise ImportFileError("只支持 CSV 或 Excel（.xlsx）文件。")
    header_line, header, body = 0, None, []
    for line, cells in rows:
        if not any(cells):
            continue
        if header is None:
            header_line, header = line, cells
            continue
        body.append((line, cells))
        if len(body) > MAX_ROWS:
            raise ImportFileError(f"文件超过 {MAX_ROWS} 行，请分批导入。")
    if header is None:
        raise ImportFileError("文件是空的。")
    return header_line, header, body


def columns_of(header_line: int, header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, raw in enumerate(header):
        key = HEADER_ALIASES.get(re.sub(r"[\s*＊]|[（(].*?[)）]", "", raw))
        if key is None:
            continue
        if key in columns:
            raise ImportFileError(f"第 {header_line} 行（表头）有两列“{key}”。")
        columns[key] = i
    missing = [c for c in ("姓名", "所在支部") if c not in columns]
    if "党员编号" not in columns and "手机号" not in columns:
        missing.insert(1, "党员编号或手机号")
    if missing:
        raise ImportFileError(f"第 {header_line} 行（表头）缺少“{'”“'.join(missing)}”列。{COLUMN_HINT}")
    return columns
