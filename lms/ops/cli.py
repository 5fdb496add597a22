from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lms import clock
from lms.cli_support import fail
from lms.ops import backup as b


@click.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="备份文件路径")
@with_appcontext
def backup_command(output: str | None) -> None:
    """备份数据库（SQLite 用在线备份接口；PostgreSQL 调用 pg_dump）。"""
    url = current_app.config["DATABASE_URL"]
    stamp = clock.local_now().strftime("%Y%m%d-%H%M%S")
    default_dir = Path(current_app.instance_path) / "backups"
    try:
        if url.startswith("sqlite"):
            path = b.backup_sqlite(url, Path(output) if output else default_dir / f"lms-{stamp}.db")
        else:
            path = b.backup_postgres(url, Path(output) if output else default_dir / f"lms-{stamp}.dump")
    except b.BackupError as exc:
        fail(f"备份失败：{exc}")
    click.echo(f"备份完成：{path}")


@click.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="不再询问，直接覆盖当前数据库")
@with_appcontext
def restore_command(backup_file: str, yes: bool) -> None:
    """从 SQLite 备份恢复（PostgreSQL 请用 pg_restore，见 README）。"""
    url = current_app.config["DATABASE_URL"]
    if not url.startswith("sqlite"):
        fail("PostgreSQL 请用 pg_restore 恢复：pg_restore --clean --no-owner -d <数据库> <备份文件>")
    try:
        revision = b.verify_backup(Path(backup_file))
    except b.BackupError as exc:
        fail(f"无法恢复：{exc}")
    if not yes:
        click.confirm(f"将用备份（数据库版本 {revision}）覆盖当前数据库，确定吗？", abort=True)
    current_app.extensions["lms_engine"].dispose()
    b.restore_sqlite(Path(backup_file), url)
    click.echo(f"恢复完成（数据库版本 {revision}）。如版本较旧，请再运行 alembic upgrade head。")
