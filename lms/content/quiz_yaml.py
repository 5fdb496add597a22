"""Reading one lesson's question bank, <NN>-<slug>.quiz.yaml (format: content/README.md).

The fields every question has (id, type, stem, section, explanation) are checked here; its
options and answer are checked by its type (lms.question_types), which also gives the canonical
answer that sync stores. A course's exam pool (exam.yaml, lms.content.exam_pool) reads its items
with the same `read_list` and `load_question`.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from lms import question_types
from lms.content.frontmatter import Collector, headings, yaml_error_line
from lms.content.parsed import LessonData, QuestionData
from lms.content.quiz_rules import explanation_problem, stem_problem

QID_RE = re.compile(r"^[a-z0-9_-]{1,50}$")
MIN_QUESTIONS = 5  # fewer is an error
TARGET_QUESTIONS = 8  # fewer is a warning while STRICT is False, an error once it is True
# The rules added with the revised content (a 解析 naming an option letter or position, "文中" in a
# stem, at least 8 questions) are errors. False turns them into warnings (kept for importing older
# content; tests/content/test_check_rules.py covers both).
STRICT = True


def load_quiz(c: Collector, path: Path, lesson: LessonData) -> list[QuestionData]:
    """The lesson's valid questions; every problem goes to the collector at its line."""
    read = read_list(c, path)
    if read is None:
        return []
    data, nodes = read
    section_titles = {t for _, t, _ in headings(lesson.body_md)}
    seen_ids: dict[str, int] = {}
    questions: list[QuestionData] = []
    for index, (item, item_node) in enumerate(zip(data, nodes, strict=True)):
        question = load_question(c, path, item_node.start_mark.line + 1, item, section_titles, seen_ids)
        if question is not None:
            question.order = index + 1  # position in the file, counting invalid items too
            questions.append(question)
    if len(data) < MIN_QUESTIONS:
        c.add(path, 1, f"每课至少需要 {MIN_QUESTIONS} 道题，这里只有 {len(data)} 道")
    elif len(data) < TARGET_QUESTIONS:
        (c.add if STRICT else c.warn)(path, 1, f"每课应有至少 {TARGET_QUESTIONS} 道题，这里只有 {len(data)} 道")
    return questions


def read_list(c: Collector, path: Path) -> tuple[list, list[yaml.Node]] | None:
    """The file's items and their YAML nodes (for line numbers); None when it is not a list."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        c.add(path, 1, "文件不是 UTF-8 编码")
        return None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        c.add(path, yaml_error_line(exc, 1), f"不是合法的 YAML：{getattr(exc, 'problem', exc)}")
        return None
    if not isinstance(data, list) or node is None or not isinstance(node, yaml.SequenceNode):
        c.add(path, 1, "题库文件应为题目列表（每题以“- id: …”开头）")
        return None
    return data, node.value


def load_question(c: Collector, path: Path, line: int, item: object, section_titles: set[str] | None,
                  seen_ids: dict[str, int], section_of: str = "本课") -> QuestionData | None:
    """One item, every problem reported at its line; `section_of` names where `section` must be a
    heading ("本课", or the lesson an exam question names). section_titles None: the item's lesson
    is unknown (already reported), so its section is not checked and the item is not returned."""
    def report(message: str) -> None:
        c.add(path, line, message)

    before = len(c.problems)
    if not isinstance(item, dict):
        report("每道题应为键值对")
        return None
    qid = _question_id(item, line, seen_ids, report)
    kind = question_types.get(item.get("type"))
    if kind is None:
        report(f"题型（type）应为 {' | '.join(question_types.names())} 之一")
    stem, explanation, section = item.get("stem"), item.get("explanation"), item.get("section")
    if not isinstance(stem, str) or not stem.strip():
        report("缺少题干（stem）")
    if not isinstance(explanation, str) or not explanation.strip():
        report("缺少解析（explanation）")
    elif (why := explanation_problem(explanation)) is not None:
        (report if STRICT else lambda message: c.warn(path, line, message))(why)
    if isinstance(stem, str) and (why := stem_problem(stem)) is not None:
        (report if STRICT else lambda message: c.warn(path, line, message))(why)
    if section_titles is not None and (not isinstance(section, str) or section.strip() not in section_titles):
        report(f"出处（section）“{section}”不是{section_of}的某个标题")
    options, answer = kind.validate(item, report) if kind is not None else ([], [])
    if len(c.problems) > before or not qid or section_titles is None:
        return None
    return QuestionData(
        qid=qid, type=kind.name, stem=stem.strip(), options=options, answer=answer, section=section.strip(),
        explanation=explanation.strip(), order=0,
    )


def _question_id(item: dict, line: int, seen_ids: dict[str, int], report) -> str | None:
    qid = item.get("id")
    if not isinstance(qid, str) or not QID_RE.match(qid):
        report("题目 id 缺失或不合法（只能用小写字母、数字、下划线和连字符）")
        return None
    if qid in seen_ids:
        report(f"题目 id“{qid}”重复（第一次在第 {seen_ids[qid]} 行）")
    else:
        seen_ids[qid] = line
    return qid

