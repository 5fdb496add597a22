from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms import clock
from lms.cli_support import fail
from lms.content.loader import check_tree, load_tree
from lms.content.sync import sync_content
from lms.db import cli_session

content_group = AppGroup("content", help="课程内容：校验与同步。")


def _root(path: str | None) -> Path:
    return Path(path or current_app.config["CONTENT_DIR"])


@content_group.command("check")
@click.option("--path", type=click.Path(), default=None, help="内容目录（默认 content/）")
def check(path: str | None) -> None:
    """校验 content/，每个问题一行：文件:行号: 说明。"""
    courses, problems, warnings = check_tree(_root(path))
    for p in problems:
        click.echo(str(p))
    for w in warnings:
        click.echo(str(w))
    if problems:
        fail(f"发现 {len(problems)} 个问题" + (f"，另有 {len(warnings)} 条提醒。" if warnings else "。"))
    lessons = sum(len(c.lessons) for c in courses)
    questions = sum(len(lesson.questions) for c in courses for lesson in c.lessons)
    pool = sum(len(lesson.exam_questions) for c in courses for lesson in c.lessons)
    click.echo(f"内容校验通过：{len(courses)} 门课程，{lessons} 课，{questions} 道课后测验题，{pool} 道考试题"
               + (f"；{len(warnings)} 条提醒（不影响同步）。" if warnings else "。"))


@content_group.command("sync")
@click.option("--path", type=click.Path(), default=None, help="内容目录（默认 content/）")
def sync(path: str | None) -> None:
    """把 content/ 同步进数据库（全部成功或全部不变）。"""
    courses, problems = load_tree(_root(path))
    if problems:
        for p in problems:
            click.echo(str(p), err=True)
        fail(f"内容有 {len(problems)} 个问题，未做任何同步。")
    with cli_session() as session:
        report = sync_content(session=session, courses=courses, now=clock.now())
    click.echo("同步完成。" + report.summary())
