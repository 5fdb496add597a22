"""`flask lms certificates …`: maintenance commands of the certificates slice."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from lms.certificates import fonts, render
from lms.cli_support import fail

certificates_group = AppGroup("certificates", help="证书相关的管理命令。")


@certificates_group.command("fonts")
@click.option("--chars", default="", help="另外收入字体子集的字符，如姓名中的生僻字。")
def fonts_command(chars: str) -> None:
    """生成证书用的中文字体子集（instance/fonts/，已存在则直接使用）。"""
    if not render.harfbuzz_subset_available():
        click.secho(render.HARFBUZZ_MISSING, fg="yellow", err=True)
    directory = render.font_dir()
    start = time.perf_counter()
    faces = fonts.ensure(directory, extra=frozenset(c for c in chars if not c.isspace()))
    if not faces:
        fail(f"未找到 {fonts.SOURCE_FAMILY} 字体，请安装 fonts-noto-cjk。证书仍可生成，但速度较慢。")
    removed = fonts.prune(directory, faces)
    for face in faces:
        click.echo(f"{face.path}（{face.path.stat().st_size // 1024} KB）")
    click.echo(
        f"证书字体子集已就绪：{len(fonts.charset(directory))} 个字符，用时 {time.perf_counter() - start:.1f} 秒"
        + (f"，删除旧文件 {len(removed)} 个" if removed else "")
        + "。"
    )


def _add_signing_commands() -> None:
    from lms.certificates import signing_cli

    for command in (signing_cli.verify_command, signing_cli.keys_command, signing_cli.rotate_key_command):
        certificates_group.add_command(command)


_add_signing_commands()
