"""Backups. SQLite: the online backup API (consistent while the app runs). PostgreSQL: pg_dump."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa


class BackupError(RuntimeError):
    pass


def sqlite_path(url: str) -> Path:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise BackupError("不是 SQLite 文件数据库")
    return Path(parsed.database)


def backup_sqlite(url: str, target: Path) -> Path:
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(tmp)
    try:
        with dst:
            src.backup(dst)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"备份文件完整性检查失败：{check}")
    finally:
        dst.close()
        src.close()
    tmp.replace(target)
    return target


def verify_backup(path: Path) -> str:
    """The Alembic revision of a backup file; raises BackupError when it is not a usable backup."""
    if not path.exists():
        raise BackupError(f"备份文件不存在：{path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("备份文件已损坏（完整性检查未通过）")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"不是有效的平台备份文件：{exc}") from exc
    if not row:
        raise BackupError("备份文件中没有数据库版本信息")
    return row[0]


def restore_sqlite(backup: Path, url: str) -> str:
    """Copy a verified backup into the live database with the backup API (pages replaced in place)."""
    revision = verify_backup(backup)
    target = sqlite_path(url)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return revision


def backup_postgres(url: str, target: Path) -> Path:
    if shutil.which("pg_dump") is None:
        raise BackupError("找不到 pg_dump，请安装 postgresql-client")
    parsed = sa.engine.make_url(url).set(drivername="postgresql")
    target.parent.mkdir(parents=True, exist_ok=True)
    dsn = parsed.render_as_string(hide_password=False)
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", dsn], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
    return target
