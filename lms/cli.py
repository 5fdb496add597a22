"""The `flask lms …` command group; each slice mounts its own sub-commands."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

lms_group = AppGroup("lms", help="党员在线学习平台的管理命令。")


def register_cli(app: Flask) -> None:
    from lms import demo
    from lms.certificates.cli import certificates_group
    from lms.content.cli import content_group
    from lms.ops.cli import backup_command, restore_command
    from lms.orgs.cli import create_admin

    if "lms" not in app.cli.commands:
        lms_group.add_command(create_admin)
        lms_group.add_command(content_group)
        lms_group.add_command(demo.demo_command)
        lms_group.add_command(backup_command)
        lms_group.add_command(restore_command)
        lms_group.add_command(certificates_group)
        app.cli.add_command(lms_group)
