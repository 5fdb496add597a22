"""Read and validate content/ (format: content/README.md).

`load_tree(root)` returns the parsed courses and every problem found, each problem as
`file:line: message`. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lms import question_types

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
QID_RE = re.compile(r"^[a-z0-9_-]{1,50}$")
HEADING_RE = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$")
CATEGORIES = ("必修", "选修")
REQUIRED_HEADINGS = ("要点回顾", "思考题")
MIN_QUESTIONS = 5


@dataclass
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class QuestionData:
    qid: str
    type: str
    stem: str
    options: list[str]
    answer: list
    section: str
    explanation: str
    order: int

    def digest(self) -> str:
        return _digest(self.__dict__)


@dataclass
class LessonData:
    key: str
    slug: str
    title: str
    hours: float
    order: int
    required: bool
    objectives: list[str]
    source: str
    body_md: str
    path: str
    questions: list[QuestionData] = field(default_factory=list)

    def digest(self) -> str:
        d = {k: v for k, v in self.__dict__.items() if k not in ("questions", "path")}
        return _digest(d)


@dataclass
class CourseData:
    slug: str
    title: str
    summary: str
    order: int
    category: str
    body_md: str
    quiz_pass_score: int
    exam: dict[str, int]
    lessons: list[LessonData] = field(default_factory=list)

    def digest(self) -> str:
        return _digest({k: v for k, v in self.__dict__.items() if k != "lessons"})


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class _Collector:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message))


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


def _yaml_error_line(exc: yaml.YAMLError, offset: int) -> int:
    # The context mark is where the broken construct began (an unclosed bracket, say).
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    return (mark.line + offset) if mark is not None else offset


def _read_markdown(c: _Collector, path: Path) -> tuple[dict | None, str, int]:
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
        c.add(path, _yaml_error_line(exc, 2), f"前置信息不是合法的 YAML：{getattr(exc, 'problem', exc)}")
        return None, body, body_line
    if not isinstance(meta, dict):
        c.add(path, 2, "前置信息应为键值对")
        return None, body, body_line
    return meta, body, body_line


def _fm_line(path: Path, key: str) -> int:
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith(f"{key}:"):
                return i
    except (OSError, UnicodeDecodeError):
        pass
    return 2


def _need_str(c: _Collector, path: Path, meta: dict, key: str, label: str, max_len: int = 200) -> str | None:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        c.add(path, _fm_line(path, key), f"缺少{label}（{key}）")
        return None
    if not isinstance(value, str):
        c.add(path, _fm_line(path, key), f"{label}（{key}）应为文本")
        return None
    if len(value) > max_len:
        c.add(path, _fm_line(path, key), f"{label}（{key}）超过 {max_len} 字")
        return None
    return value.strip()


def _int(c: _Collector, path: Path, meta: dict, key: str, label: str, default: int | None, lo: int, hi: int):
    value = meta.get(key, default)
    if value is None:
        c.add(path, _fm_line(path, key), f"缺少{label}（{key}）")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        c.add(path, _fm_line(path, key), f"{label}（{key}）应为 {lo} 到 {hi} 之间的整数")
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


def _load_course(c: _Collector, course_dir: Path) -> CourseData | None:
    slug = course_dir.name
    if not SLUG_RE.match(slug):
        c.add(course_dir, 1, f"课程目录名“{slug}”只能用小写字母、数字和连字符")
    course_md = course_dir / "course.md"
    if not course_md.exists():
        c.add(course_dir, 1, "缺少 course.md")
        return None
    meta, body, _ = _read_markdown(c, course_md)
    if meta is None:
        return None
    before = len(c.problems)
    title = _need_str(c, course_md, meta, "title", "课程标题")
    summary = meta.get("summary") or ""
    if not isinstance(summary, str):
        c.add(course_md, _fm_line(course_md, "summary"), "课程简介（summary）应为文本")
    order = _int(c, course_md, meta, "order", "排序", 0, 0, 10_000)
    category = meta.get("category", "必修")
    if category not in CATEGORIES:
        c.add(course_md, _fm_line(course_md, "category"), "类别（category）只能是“必修”或“选修”")
    pass_score = _int(c, course_md, meta, "quiz_pass_score", "课后测验合格分", 80, 1, 100)
    exam_meta = meta.get("exam")
    exam: dict[str, int] = {}
    if not isinstance(exam_meta, dict):
        c.add(course_md, _fm_line(course_md, "exam"), "缺少结业考试设置（exam）")
    else:
        line = _fm_line(course_md, "exam")
        for key, label, lo, hi in (
            ("questions", "考试题量", 1, 200),
            ("pass_score", "考试合格分", 1, 100),
            ("time_limit_minutes", "考试时限（分钟）", 1, 600),
            ("max_attempts", "考试次数上限", 1, 50),
        ):
            v = exam_meta.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                c.add(course_md, line, f"exam.{key}（{label}）应为 {lo} 到 {hi} 之间的整数")
            else:
                exam[key] = v
    if len(c.problems) > before:
        return None
    return CourseData(
        slug=slug,
        title=title,
        summary=summary.strip(),
        order=order,
        category=category,
        body_md=body.strip(),
        quiz_pass_score=pass_score,
        exam=exam,
    )


def _load_lesson(c: _Collector, course_slug: str, path: Path, order_prefix: int, slug: str) -> LessonData | None:
    meta, body, body_line = _read_markdown(c, path)
    if meta is None:
        return None
    before = len(c.problems)
    title = _need_str(c, path, meta, "title", "课时标题")
    hours = meta.get("hours")
    if hours is None:
        c.add(path, _fm_line(path, "hours"), "缺少学时（hours）")
    elif isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0 or hours > 8:
        c.add(path, _fm_line(path, "hours"), "学时（hours）应为 0 到 8 之间的正数")
    elif abs(hours * 4 - round(hours * 4)) > 1e-9:
        c.add(path, _fm_line(path, "hours"), "学时（hours）应为 0.25 的整数倍")
    order = _int(c, path, meta, "order", "排序", order_prefix, 0, 10_000)
    required = meta.get("required", True)
    if not isinstance(required, bool):
        c.add(path, _fm_line(path, "required"), "required 应为 true（必修）或 false（选修）")
    objectives = meta.get("objectives")
    if not isinstance(objectives, list) or not objectives or not all(isinstance(o, str) and o.strip() for o in objectives):
        c.add(path, _fm_line(path, "objectives"), "学习目标（objectives）应为非空的文本列表")
    source = meta.get("source") or ""
    heads = headings(body)
    if not any(level == 2 for level, _, _ in heads):
        c.add(path, body_line, "正文缺少二级标题（## ……）")
    titles = [t for _, t, _ in heads]
    for required_heading in REQUIRED_HEADINGS:
        if required_heading not in titles:
            c.add(path, body_line, f"正文缺少“## {required_heading}”一节")
    seen: dict[str, int] = {}
    for _, text, line in heads:
        if text in seen:
            c.add(path, body_line + line - 1, f"标题“{text}”重复（第一次在第 {body_line + seen[text] - 1} 行）")
        seen.setdefault(text, line)
    if len(c.problems) > before:
        return None
    return LessonData(
        key=f"{course_slug}/{slug}",
        slug=slug,
        title=title,
        hours=float(hours),
        order=order,
        required=required,
        objectives=[o.strip() for o in objectives],
        source=str(source),
        body_md=body.strip(),
        path=c.rel(path),
    )


def _load_quiz(c: _Collector, path: Path, lesson: LessonData) -> list[QuestionData]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        c.add(path, 1, "文件不是 UTF-8 编码")
        return []
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        c.add(path, _yaml_error_line(exc, 1), f"不是合法的 YAML：{getattr(exc, 'problem', exc)}")
        return []
    if not isinstance(data, list) or node is None or not isinstance(node, yaml.SequenceNode):
        c.add(path, 1, "题库文件应为题目列表（每题以“- id: …”开头）")
        return []
    section_titles = {t for _, t, _ in headings(lesson.body_md)}
    questions: list[QuestionData] = []
    seen_ids: dict[str, int] = {}
    for index, (item, item_node) in enumerate(zip(data, node.value, strict=True)):
        line = item_node.start_mark.line + 1
        before = len(c.problems)
        if not isinstance(item, dict):
            c.add(path, line, "每道题应为键值对")
            continue
        qid = item.get("id")
        if not isinstance(qid, str) or not QID_RE.match(qid):
            c.add(path, line, "题目 id 缺失或不合法（只能用小写字母、数字、下划线和连字符）")
            qid = None
        elif qid in seen_ids:
            c.add(path, line, f"题目 id“{qid}”重复（第一次在第 {seen_ids[qid]} 行）")
        else:
            seen_ids[qid] = line
        kind = question_types.get(item.get("type"))
        if kind is None:
            c.add(path, line, f"题型（type）应为 {' | '.join(question_types.names())} 之一")
        stem = item.get("stem")
        if not isinstance(stem, str) or not stem.strip():
            c.add(path, line, "缺少题干（stem）")
        explanation = item.get("explanation")
        if not isinstance(explanation, str) or not explanation.strip():
            c.add(path, line, "缺少解析（explanation）")
        section = item.get("section")
        if not isinstance(section, str) or section.strip() not in section_titles:
            c.add(path, line, f"出处（section）“{section}”不是本课的某个标题")
        options, norm_answer = kind.validate(item, lambda message, line=line: c.add(path, line, message)) if kind else ([], [])
        if len(c.problems) == before and qid:
            questions.append(
                QuestionData(
                    qid=qid,
                    type=kind.name,
                    stem=stem.strip(),
                    options=options,
                    answer=norm_answer,
                    section=section.strip(),
                    explanation=explanation.strip(),
                    order=index + 1,
                )
            )
    if len(data) < MIN_QUESTIONS:
        c.add(path, 1, f"每课至少需要 {MIN_QUESTIONS} 道题，这里只有 {len(data)} 道")
    return questions


def load_tree(root: Path) -> tuple[list[CourseData], list[Problem]]:
    root = Path(root)
    c = _Collector(root)
    courses_dir = root / "courses"
    if not courses_dir.is_dir():
        c.add(root, 1, "缺少 courses/ 目录")
        return [], c.problems
    courses: list[CourseData] = []
    for course_dir in sorted(p for p in courses_dir.iterdir() if p.is_dir()):
        course = _load_course(c, course_dir)
        lesson_slugs: dict[str, Path] = {}
        for path in sorted(course_dir.iterdir()):
            name = path.name
            if name == "course.md" or name.endswith(".quiz.yaml") or name.startswith("."):
                continue
            if name.endswith(".md"):
                m = LESSON_FILE_RE.match(name)
                if not m:
                    c.add(path, 1, "课时文件名应为“两位序号-小写英文slug.md”，如 01-good-cadre.md")
                    continue
                prefix, slug = int(m.group(1)), m.group(2)
                if slug in lesson_slugs:
                    c.add(path, 1, f"课时 slug“{slug}”重复（另见 {c.rel(lesson_slugs[slug])}）")
                    continue
                lesson_slugs[slug] = path
                lesson = _load_lesson(c, course_dir.name, path, prefix, slug)
                quiz_path = path.with_name(name[:-3] + ".quiz.yaml")
                if not quiz_path.exists():
                    c.add(path, 1, f"缺少题库文件 {quiz_path.name}")
                elif lesson is not None:
                    lesson.questions = _load_quiz(c, quiz_path, lesson)
                if lesson is not None and course is not None:
                    course.lessons.append(lesson)
            else:
                c.add(path, 1, "无法识别的文件（课程目录只放 course.md、课时 .md 和 .quiz.yaml）")
        for quiz in sorted(course_dir.glob("*.quiz.yaml")):
            if not quiz.with_name(quiz.name[: -len(".quiz.yaml")] + ".md").exists():
                c.add(quiz, 1, "题库文件没有对应的课时 .md 文件")
        if course is not None:
            if not course.lessons and not c.problems:
                c.add(course_dir / "course.md", 1, "课程没有任何课时")
            course.lessons.sort(key=lambda lesson: (lesson.order, lesson.slug))
            bank = sum(len(lesson.questions) for lesson in course.lessons)
            if course.exam and bank and course.exam["questions"] > bank:
                c.add(course_dir / "course.md", _fm_line(course_dir / "course.md", "exam"),
                      f"exam.questions（{course.exam['questions']}）多于课程题库的题量（{bank}）")
            courses.append(course)
    courses.sort(key=lambda course: (course.order, course.slug))
    return courses, c.problems
