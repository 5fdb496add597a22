"""The rules of a member's account fields, shared by the roster form (roster.py) and the roster
import (importer.py): cleaning 党员编号 and 手机号, the name rule, format checks, logins already
taken, and random initial passwords.
"""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from sqlmodel import Session, select

from lms import textcheck
from lms.auth import services as auth
from lms.auth.models import User

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I
NAME_MAX = 50



def generate_password(length: int = 10) -> str:
    """A random initial password that passes the strength rule (letters and digits)."""
    while True:
        pw = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if re.search(r"[A-Za-z]", pw) and re.search(r"\d", pw):
            return pw


def clean_phone(raw: str | None) -> str:
    """Spaces and hyphens removed, a leading +86 dropped: "138 0013 8000" → "13800138000"."""
    value = re.sub(r"[\s\-]", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def clean_member_no(raw: str | None) -> str:
    return (raw or "").strip()


def name_problem(name: str) -> str | None:
    """The one rule for a member's name: "missing", "too_long" (past NAME_MAX once trimmed),
    "control" (a line break, bidi control, zero-width or other invisible character: lms.textcheck),
    or None when it is fine. The roster form (`name_message`, roster.py) and the import
    (importer.py) word the problem each their own way."""
    if not name.strip():
        return "missing"
    if len(name.strip()) > NAME_MAX:
        return "too_long"
    if textcheck.bad_char(name):
        return "control"
    return None


NAME_MESSAGES = {
    "missing": "请填写姓名。",
    "too_long": f"姓名最多 {NAME_MAX} 个字。",
    "control": "姓名中不能有换行或其他不可见字符。",
}


def name_message(name: str, problem: str) -> str:
    """The sentence for `name_problem`'s answer; an invisible character is named by its code."""
    return textcheck.problem(name, label="姓名") if problem == "control" else NAME_MESSAGES[problem]


def format_problems(*, name: str, member_no: str, phone: str) -> dict[str, str]:
    """What is wrong with the fields themselves (no database look-up)."""
    errors: dict[str, str] = {}
    if problem := name_problem(name):
        errors["name"] = name_message(name, problem)
    if member_no and not auth.MEMBER_NO_RE.match(member_no):
        errors["member_no"] = f"党员编号“{member_no}”格式不正确：应为 3–32 位字母、数字或连字符。"
    if phone and not auth.PHONE_RE.match(phone):
        hint = "（看起来被 Excel 转成了科学计数法，请把该列设为“文本”格式）" if re.match(r"^\d(\.\d+)?[eE]\+?\d+$", phone) else ""
        errors["phone"] = f"手机号“{phone}”格式不正确：应为 11 位数字，以 13–19 开头{hint}。"
    if not member_no and not phone:
        errors["member_no"] = "党员编号和手机号至少填写一项。"
    return errors


def logins_taken(*, session: Session, values: list[str], exclude_user_id: int | None = None) -> set[str]:
    """Which of these values are already a login (党员编号 or 手机号) of another account."""
    values = [v for v in values if v]
    taken: set[str] = set()
    for i in range(0, len(values), 500):
        chunk = values[i : i + 500]
        stmt = select(User.member_no, User.phone).where(sa.or_(User.member_no.in_(chunk), User.phone.in_(chunk)))
        if exclude_user_id is not None:
            stmt = stmt.where(User.id != exclude_user_id)
        for member_no, phone in session.exec(stmt):
            taken.update(v for v in (member_no, phone) if v in chunk)
    return taken


def check_member(
    *, session: Session, name: str, member_no: str, phone: str, exclude_user_id: int | None = None
) -> dict[str, str]:
    errors = format_problems(name=name, member_no=member_no, phone=phone)
    taken = logins_taken(session=session, values=[member_no, phone], exclude_user_id=exclude_user_id)
    if member_no and member_no in taken and "member_no" not in errors:
        errors["member_no"] = f"党员编号“{member_no}”已被其他账号使用。"
    if phone and phone in taken and "phone" not in errors:
        errors["phone"] = f"手机号“{phone}”已被其他账号使用。"
    return errors
