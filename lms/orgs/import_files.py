"""Files around a roster import: the template, the initial-password list, and uploads kept
between the preview and the confirmation (instance/imports/<token>, bound to the uploader)."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from lms import clock
from lms.exports import safe_row
from lms.orgs.import_table import COLUMNS

# --- templates and the credentials list --------------------------------------------------------


def template_rows(branch_name: str) -> list[list[str]]:
    return [list(COLUMNS), safe_row(["张三", "D0001", "13800000000", branch_name, "党员"])]


def template_csv(branch_name: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(template_rows(branch_name))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(branch_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "党员名册"
    for row in template_rows(branch_name):
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDE", (12, 14, 16, 24, 12), strict=True):
        ws.column_dimensions[col].width = width
        for row in range(1, 1002):
            ws[f"{col}{row}"].number_format = "@"  # text: keeps phone numbers and leading zeros
    notes = wb.create_sheet("填写说明")
    for line in (
        "每行一名党员，第一行是表头，请勿修改表头。",
        "姓名、所在支部必填；党员编号和手机号至少填写一项，党员编号或手机号用作登录账号。",
        "所在支部须与系统中的党支部名称完全一致。",
        "角色可不填（默认为党员）；填写“支部书记”须由管理员导入。",
        "手机号为 11 位数字；党员编号为 3–32 位字母、数字或连字符。",
        "导入前会逐行检查，全部无误后才会一次性导入；新账号首次登录须修改初始密码。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def credentials_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    """姓名, 登录账号, 初始密码, 所在支部 — UTF-8 with BOM so Excel opens it correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["姓名", "登录账号", "初始密码", "所在支部"])
    writer.writerows(safe_row(r) for r in rows)  # names typed by users: never a formula
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- uploads kept between preview and confirm ----------------------------------------------------

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
UPLOAD_TTL = timedelta(hours=12)


def save_upload(*, directory: Path, user_id: int, filename: str, data: bytes) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    purge_uploads(directory=directory)
    token = secrets.token_urlsafe(24)
    (directory / f"{token}.bin").write_bytes(data)
    meta = {"user_id": user_id, "filename": filename, "created_at": clock.now().isoformat()}
    (directory / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def load_upload(*, directory: Path, user_id: int, token: str) -> tuple[str, bytes] | None:
    """The kept upload if it exists, belongs to this user and has not expired."""
    if not TOKEN_RE.match(token or ""):
        return None
    try:
        meta = json.loads((directory / f"{token}.json").read_text(encoding="utf-8"))
        data = (directory / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or clock.now() - datetime.fromisoformat(meta["created_at"]) > UPLOAD_TTL:
        return None
    return meta["filename"], data


def discard_upload(*, directory: Path, token: str) -> None:
    if TOKEN_RE.match(token or ""):
        for suffix in (".bin", ".json"):
            (directory / f"{token}{suffix}").unlink(missing_ok=True)


def purge_uploads(*, directory: Path) -> None:
    """Remove kept uploads older than the time limit."""
    for meta_path in directory.glob("*.json"):
        try:
            created = datetime.fromisoformat(json.loads(meta_path.read_text(encoding="utf-8"))["created_at"])
        except (OSError, ValueError, KeyError):
            created = None
        if created is None or clock.now() - created > UPLOAD_TTL:
            discard_upload(directory=directory, token=meta_path.stem)
