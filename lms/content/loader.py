"""Read and validate content/ (format: content/README.md).

`load_tree(root)` returns the parsed courses and every problem found, each problem as
`file:line: message`. Nothing here touches the database. This module walks the tree and reads
course.md and the lessons; lms.content.frontmatter reads one Markdown file,
lms.content.quiz_yaml one question bank, and lms.content.exam_pool a course's exam.yaml.
"""

from __future__ import annotations

import re
from pathlib import Path

from lms.content.exam_pool import FILE_NAME as EXAM_FILE
from lms.content.exam_pool import load_exam_pool
from lms.content.frontmatter import Collector, fm_line, headings, need_int, need_str, read_markdown
from lms.content.parsed import CourseData, LessonData, Problem
from lms.content.quiz_yaml import load_quiz
from lms.content.workload import (
    HIGH,
    LOW,
    body_characters,
    estimated_minutes,
    estimated_seconds,
    out_of_band,
    reflection_items,
)
from lms.units import hours_to_seconds, number_text

__all__ = ["CourseData", "LessonData", "Problem", "check_tree", "load_tree"]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
CATEGORIES = ("必修", "选修")
REQUIRED_HEADINGS = ("要点回顾", "思考题")
EXAM_FIELDS = (
    ("questions", "考试题量", 1, 200),
    ("pass_score", "考试合格分", 1, 100),
    ("time_limit_minutes", "考试时限（分钟）", 1, 600),
    ("max_attempts", "考试次数上限", 1, 50),
)


def load_tree(root: Path) -> tuple[list[CourseData], list[Problem]]:
    courses, problems, _ = check_tree(root)
    return courses, problems


def check_tree(root: Path) -> tuple[list[CourseData], list[Problem], list[Problem]]:
    """(courses, problems, warnings): problems stop a sync, warnings are only reported."""
    root = Path(root)
    c = Collector(root)
    courses_dir = root / "courses"
    if not courses_dir.is_dir():
        c.add(root, 1, "缺少 courses/ 目录")
        return [], c.problems, c.warnings
    courses = [course for d in sorted(p for p in courses_dir.iterdir() if p.is_dir())
               if (course := _load_course_dir(c, d)) is not None]
    courses.sort(key=lambda course: (course.order, course.slug))
    return courses, c.problems, c.warnings


def _load_course_dir(c: Collector, course_dir: Path) -> CourseData | None:
    """A course with its lessons and their questions (None when course.md is missing or invalid)."""
    course = _load_course(c, course_dir)
    lesson_slugs: dict[str, Path] = {}
    for path in sorted(course_dir.iterdir()):
        name = path.name
        if name in ("course.md", EXAM_FILE) or name.endswith(".quiz.yaml") or name.startswith("."):
            continue
        if not name.endswith(".md"):
            c.add(path, 1, f"无法识别的文件（课程目录只放 course.md、{EXAM_FILE}、各课的 .md 和 .quiz.yaml）")
            continue
        lesson = _load_lesson_file(c, course_dir.name, path, lesson_slugs)
        if lesson is not None and course is not None:
            course.lessons.append(lesson)
    for quiz in sorted(course_dir.glob("*.quiz.yaml")):
        if not quiz.with_name(quiz.name[: -len(".quiz.yaml")] + ".md").exists():
            c.add(quiz, 1, "题库文件没有对应的课（.md 文件）")
    if course is not None:
        _check_course(c, course_dir / "course.md", course)
        load_exam_pool(c, course_dir, course)
    return course


def _check_course(c: Collector, course_md: Path, course: CourseData) -> None:
    """Order the lessons; a course needs lessons (its exam pool is checked by lms.content.exam_pool)."""
    if not course.lessons and not c.problems:
        c.add(course_md, 1, "课程没有任何课")
    course.lessons.sort(key=lambda lesson: (lesson.order, lesson.slug))


def _load_lesson_file(c: Collector, course_slug: str, path: Path, lesson_slugs: dict[str, Path]) -> LessonData | None:
    """One <NN>-<slug>.md and its <NN>-<slug>.quiz.yaml."""
    m = LESSON_FILE_RE.match(path.name)
    if not m:
        c.add(path, 1, "课的文件名应为“两位序号-小写英文slug.md”，如 01-good-cadre.md")
        return None
    prefix, slug = int(m.group(1)), m.group(2)
    if slug in lesson_slugs:
        c.add(path, 1, f"课的 slug“{slug}”重复（另见 {c.rel(lesson_slugs[slug])}）")
        return None
    lesson_slugs[slug] = path
    lesson = _load_lesson(c, course_slug, path, prefix, slug)
    quiz_path = path.with_name(path.name[:-3] + ".quiz.yaml")
    if not quiz_path.exists():
        c.add(path, 1, f"缺少题库文件 {quiz_path.name}")
    elif lesson is not None:
        lesson.questions = load_quiz(c, quiz_path, lesson)
    if lesson is not None:
        _check_workload(c, path, lesson)
    return lesson


def _check_workload(c: Collector, path: Path, lesson: LessonData) -> None:
    """Warn when reading, the quiz and the 思考题 take much less or more than the lesson's 学时."""
    estimate = estimated_seconds(lesson.body_md, len(lesson.questions))
    credited = hours_to_seconds(lesson.hours)
    if not out_of_band(estimate, credited):
        return
    c.warn(path, fm_line(path, "hours"),
           f"工作量估计约 {estimated_minutes(lesson.body_md, len(lesson.questions))} 分钟（正文 {body_characters(lesson.body_md)} 字 ÷ 400 字/分钟"
           f" + {len(lesson.questions)} 道题 × 40 秒 + {reflection_items(lesson.body_md)} 道思考题 × 5 分钟），"
           f"不在本课 {number_text(lesson.hours)} 学时的 {LOW}–{HIGH} 倍"
           f"（{round(LOW * credited / 60)}–{round(HIGH * credited / 60)} 分钟）之内：请充实内容或调整学时")


def _load_course(c: Collector, course_dir: Path) -> CourseData | None:
    slug = course_dir.name
    if not SLUG_RE.match(slug):
        c.add(course_dir, 1, f"课程目录名“{slug}”只能用小写字母、数字和连字符")
    course_md = course_dir / "course.md"
    if not course_md.exists():
        c.add(course_dir, 1, "缺少 course.md")
        return None
    meta, body, _ = read_markdown(c, course_md)
    if meta is None:
        return None
    before = len(c.problems)
    title = need_str(c, course_md, meta, "title", "课程标题")
    summary = meta.get("summary") or ""
    if not isinstance(summary, str):
        c.add(course_md, fm_line(course_md, "summary"), "课程简介（summary）应为文本")
    order = need_int(c, course_md, meta, "order", "排序", 0, 0, 10_000)
    category = meta.get("category", "必修")
    if category not in CATEGORIES:
        c.add(course_md, fm_line(course_md, "category"), "类别（category）只能是“必修”或“选修”")
    pass_score = need_int(c, course_md, meta, "quiz_pass_score", "课后测验合格分", 80, 1, 100)
    exam = _exam(c, course_md, meta.get("exam"))
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


def _exam(c: Collector, course_md: Path, exam_meta: object) -> dict[str, int]:
    if not isinstance(exam_meta, dict):
        c.add(course_md, fm_line(course_md, "exam"), "缺少结业考试设置（exam）")
        return {}
    exam: dict[str, int] = {}
    line = fm_line(course_md, "exam")
    for key, label, lo, hi in EXAM_FIELDS:
        v = exam_meta.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            c.add(course_md, line, f"exam.{key}（{label}）应为 {lo} 到 {hi} 之间的整数")
        else:
            exam[key] = v
    return exam


def _load_lesson(c: Collector, course_slug: str, path: Path, order_prefix: int, slug: str) -> LessonData | None:
    meta, body, body_line = read_markdown(c, path)
    if meta is None:
        return None
    before = len(c.problems)
    title = need_str(c, path, meta, "title", "课的标题")
    hours = _hours(c, path, meta.get("hours"))
    order = need_int(c, path, meta, "order", "排序", order_prefix, 0, 10_000)
    required = meta.get("required", True)
    if not isinstance(required, bool):
        c.add(path, fm_line(path, "required"), "required 应为 true（必修）或 false（选修）")
    objectives = meta.get("objectives")
    if not isinstance(objectives, list) or not objectives or not all(isinstance(o, str) and o.strip() for o in objectives):
        c.add(path, fm_line(path, "objectives"), "学习目标（objectives）应为非空的文本列表")
    source = meta.get("source") or ""
    _check_headings(c, path, body, body_line)
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


def _hours(c: Collector, path: Path, hours: object) -> object:
    if hours is None:
        c.add(path, fm_line(path, "hours"), "缺少学时（hours）")
    elif isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0 or hours > 8:
        c.add(path, fm_line(path, "hours"), "学时（hours）应为 0 到 8 之间的正数")
    elif abs(hours * 4 - round(hours * 4)) > 1e-9:
        c.add(path, fm_line(path, "hours"), "学时（hours）应为 0.25 的整数倍")
    return hours


def _check_headings(c: Collector, path: Path, body: str, body_line: int) -> None:
    """At least one ## section, the required sections, no heading twice."""
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
