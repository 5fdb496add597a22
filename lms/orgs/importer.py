"""Roster import from CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16) or XLSX (read by import_table.py).

`check()` reads the file and lists every problem by spreadsheet line number (the header is
line 1); it writes nothing. `apply()` imports a clean report in the caller's transaction —
all rows or, if anything is wrong, none.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from lms.access import scope_for
from lms.audit import services as audit
from lms.auth import services as auth
from lms.auth.models import User
from lms.orgs.import_table import ImportFileError, columns_of, read_table
from lms.orgs.member_rules import (
    NAME_MAX,
    clean_member_no,
    clean_phone,
    format_problems,
    generate_password,
    logins_taken,
    name_message,
    name_problem,
)
from lms.orgs.models import Organization

ROLE_BY_LABEL = {"": "member", "党员": "member", "支部书记": "secretary", "书记": "secretary"}
# The roster's name rule (roster.name_problem), worded for a row of the file; an invisible
# character is named by its code (member_rules.name_message).
NAME_PROBLEMS = {"missing": "缺少姓名", "too_long": f"姓名超过 {NAME_MAX} 个字"}


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


# --- checking --------------------------------------------------------------------------------


def check(*, session: Session, actor: User, data: bytes, filename: str) -> ImportReport:
    """Every problem of the file, row by row. Writes nothing."""
    report = ImportReport(filename=filename)
    try:
        header_line, header, body = read_table(data, filename)
        columns = columns_of(header_line, header)
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
            p.append(NAME_PROBLEMS.get(problem) or name_message(row.name, problem).rstrip("。"))
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
