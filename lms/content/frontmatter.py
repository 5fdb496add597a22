"""Reading one Markdown file of content/: its YAML front matter, its headings, and the problems
found on the way, each at its file and line (the Collector)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from lms.content.parsed import Problem

HEADING_RE = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$")


class Collector:
    """The problems found in one load, each as `file:line: message` relative to content/'s parent."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []  # reported by `content check`, never block a sync

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        self.warnings.append(Problem(self.rel(path), line, "提醒：" + message))


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter text, body, line number where the body starts)."""
    if not text.startswith("---\n"):
        return None, text, 1
    end = text.find("\n---\n", 4)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            return None, text, 1
    fm = text[4 : end + 1]
    body = text[end + 5 :]
    return fm, body, fm.count("\n") + 3


def yaml_error_line(exc: yaml.YAMLError, offset: int) -> int:
    # The context mark is where the broken construct began (an unclosed bracket, say).
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    return (mark.line + offset) if mark is not None else offset


def read_markdown(c: Collector, path: Path) -> tuple[dict | None, str, int]:
    """(front matter as a dict, body, body's first line); the dict is None when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        c.add(path, 1, "文件不是 UTF-8 编码")
        return None, "", 1
    text = text.replace("\r\n", "\n")
    fm, body, body_line = split_front_matter(text)
    if fm is None:
        c.add(path, 1, "缺少以 --- 包围的 YAML 前置信息（front matter）")
        return None, body, body_line
    try:
        meta = yaml.safe_load(fm) or {}
    except yaml.YAMLError as exc:
        c.add(path, yaml_error_line(exc, 2), f"前置信息不是合法的 YAML：{getattr(exc, 'problem', exc)}")
        return None, body, body_line
    if not isinstance(meta, dict):
        c.add(path, 2, "前置信息应为键值对")
        return None, body, body_line
    return meta, body, body_line


def fm_line(path: Path, key: str) -> int:
    """The line of `key:` in the file's front matter (2, the first key's line, when not found)."""
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith(f"{key}:"):
                return i
    except (OSError, UnicodeDecodeError):
        pass
    return 2


def need_str(c: Collector, path: Path, meta: dict, key: str, label: str, max_len: int = 200) -> str | None:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        c.add(path, fm_line(path, key), f"缺少{label}（{key}）")
        return None
    if not isinstance(value, str):
        c.add(path, fm_line(path, key), f"{label}（{key}）应为文本")
        return None
    if len(value) > max_len:
        c.add(path, fm_line(path, key), f"{label}（{key}）超过 {max_len} 字")
        return None
    return value.strip()


def need_int(c: Collector, path: Path, meta: dict, key: str, label: str, default: int | None, lo: int, hi: int):
    value = meta.get(key, default)
    if value is None:
        c.add(path, fm_line(path, key), f"缺少{label}（{key}）")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        c.add(path, fm_line(path, key), f"{label}（{key}）应为 {lo} 到 {hi} 之间的整数")
        return None
    return value


def headings(body: str) -> list[tuple[int, str, int]]:
    """(level, text, line-in-body) of ## and ### headings outside code fences."""
    out, fenced = [], False
    for i, line in enumerate(body.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        m = None if fenced else HEADING_RE.match(line)
        if m:
            out.append((len(m.group(1)), m.group(2).strip(), i))
    return out
