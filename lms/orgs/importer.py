"""Roster import from CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16) or XLSX.

`check()` reads the file and lists every problem by spreadsheet line number (the header is
line 1); it writes nothing. `apply()` imports a clean report in the caller's transaction —
all rows or, if anything is wrong, none.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from lms.audit import services as audit
from lms.auth import services as auth
from lms.auth.models import User
from lms.orgs.models import Organization
from lms.orgs.roster import (
    NAME_MAX,
    clean_member_no,
    clean_phone,
    format_problems,
    generate_password,
    logins_taken,
    name_problem,
)
from lms.orgs.services import scope_for

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
ROLE_BY_LABEL = {"": "member", "党员": "member", "支部书记": "secretary", "书记": "secretary"}
# The roster's name rule (roster.name_problem), worded for a row of the file.
NAME_PROBLEMS = {"missing": "缺少姓名", "too_long": f"姓名超过 {NAME_MAX} 个字", "control": "姓名中有换行或其他不可见字符"}
COLUMN_HINT = "表头应为：姓名、党员编号、手机号、所在支部、角色（选填）。"


class ImportFileError(Exception):
    """The file as a whole cannot be used (unreadable, empty, too large, bad header)."""


@dataclass
class ImportRow:
    line: int
    name: str = ""
    member_no: str = ""
    phone: str = ""
    branch: str = ""
    role_label: str = ""
    role: str = "member"
    org: Organization | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    filename: str
    rows: list[ImportRow] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.problems]

    @property
    def ok(self) -> bool:
        return not self.file_problems and bool(self.rows) and not self.bad_rows

    def messages(self) -> list[str]:
        """Every problem in one line each: the file's first, then "第 N 行：…"."""
        return [*self.file_problems, *(f"第 {r.line} 行：{'；'.join(r.problems)}" for r in self.bad_rows)]


# --- reading ---------------------------------------------------------------------------------


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


def _decode(data: bytes) -> str:
    # UTF-16 with a BOM is Excel's "Unicode 文本"; otherwise UTF-8 (BOM or not), then GBK/GB18030.
    bom16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    encodings = ("utf-16",) if bom16 else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ImportFileError("无法识别文件的编码或内容。请在 Excel 中“另存为” CSV（UTF-8 或 GBK 均可）或 .xlsx 后重试。")


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


def _columns(header_line: int, header: list[str]) -> dict[str, int]:
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


# --- checking --------------------------------------------------------------------------------


def check(*, session: Session, actor: User, data: bytes, filename: str) -> ImportReport:
    """Every problem of the file, row by row. Writes nothing."""
    report = ImportReport(filename=filename)
    try:
        header_line, header, body = read_table(data, filename)
        columns = _columns(header_line, header)
    except ImportFileError as exc:
        report.file_problems.append(str(exc))
        return report
    if not body:
        report.file_problems.append("文件里只有表头，没有党员数据。")
        return report

    def get(cells: list[str], key: str) -> str:
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    for line, cells in body:
        report.rows.append(
            ImportRow(
                line=line, name=get(cells, "姓名"), member_no=clean_member_no(get(cells, "党员编号")),
                phone=clean_phone(get(cells, "手机号")), branch=get(cells, "所在支部"), role_label=get(cells, "角色"),
            )
        )
    _check_rows(session=session, actor=actor, rows=report.rows)
    return report


def _check_rows(*, session: Session, actor: User, rows: list[ImportRow]) -> None:
    scope = scope_for(session=session, user=actor)
    orgs = list(session.exec(select(Organization).where(scope.org_filter()))) if actor.is_manager else []
    by_name: dict[str, list[Organization]] = defaultdict(list)
    for org in orgs:
        by_name[org.name.strip()].append(org)
    taken = logins_taken(session=session, values=[v for r in rows for v in (r.member_no, r.phone)])
    first_seen: dict[str, int] = {}

    for row in rows:
        p = row.problems
        if problem := name_problem(row.name):
            p.append(NAME_PROBLEMS[problem])
        if not row.member_no and not row.phone:
            p.append("党员编号和手机号都为空，至少填写一项")
        fmt = format_problems(name=row.name or "-", member_no=row.member_no, phone=row.phone)
        for key in ("member_no", "phone"):
            if getattr(row, key) and key in fmt:
                p.append(fmt[key].rstrip("。"))
        for key, label in (("member_no", "党员编号"), ("phone", "手机号")):
            value = getattr(row, key)
            if not value:
                continue
            if value in first_seen and first_seen[value] != row.line:
                p.append(f"{label}“{value}”与第 {first_seen[value]} 行重复")
            else:
                first_seen.setdefault(value, row.line)
            if value in taken:
                p.append(f"{label}“{value}”已被系统中的账号使用（是否已经导入过？）")
        _check_branch(row, by_name)
        _check_role(row, actor)


def _check_branch(row: ImportRow, by_name: dict[str, list[Organization]]) -> None:
    if not row.branch:
        row.problems.append("缺少所在支部")
        return
    matches = by_name.get(row.branch, [])
    branches = [o for o in matches if o.is_branch]
    if len(branches) == 1:
        row.org = branches[0]
    elif len(branches) > 1:
        row.problems.append(f"所在支部“{row.branch}”有重名，无法确定是哪一个，请联系管理员")
    elif matches:
        row.problems.append(f"“{row.branch}”是{matches[0].kind}，不是党支部，请填写党员所在的党支部")
    else:
        row.problems.append(f"所在支部“{row.branch}”不存在或不在您的管理范围内")


def _check_role(row: ImportRow, actor: User) -> None:
    role = ROLE_BY_LABEL.get(row.role_label)
    if role is None:
        row.problems.append(f"角色“{row.role_label}”无法识别，应为“党员”或“支部书记”（可不填，默认为党员）")
    elif role == "secretary" and not actor.is_admin:
        row.problems.append("只有管理员可以导入支部书记")
    else:
        row.role = role


# --- importing -------------------------------------------------------------------------------


def apply(*, session: Session, actor: User, report: ImportReport) -> list[tuple[User, str]]:
    """Create every row's account in the caller's transaction; [(user, initial password)…]."""
    if not report.ok:
        raise ValueError("the import has problems; nothing is imported")
    passwords = [generate_password() for _ in report.rows]
    users = [
        auth.build_user(
            name=row.name, org_id=row.org.id, role=row.role, member_no=row.member_no or None,
            phone=row.phone or None, password=pw, must_change_password=True, hash_method=auth.INITIAL_HASH_METHOD,
        )
        for row, pw in zip(report.rows, passwords, strict=True)
    ]
    session.add_all(users)
    session.flush()
    per_branch = Counter(row.org.name for row in report.rows)
    audit.record(
        session=session, actor=actor, action="roster.import", target_type="import", target_id=None,
        org_id=actor.org_id, summary=f"从“{report.filename}”导入 {len(users)} 名党员",
        details={"filename": report.filename, "count": len(users), "branches": dict(per_branch),
                 "user_ids": [u.id for u in users]},
    )
    return list(zip(users, passwords, strict=True))
