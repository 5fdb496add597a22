from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lms.content.loader import load_tree

CONTENT = Path(__file__).resolve().parents[2] / "content"

COURSE_MD = """---
title: 测试课程
summary: 简介
order: 1
category: 必修
exam: {questions: 5, pass_score: 80, time_limit_minutes: 10, max_attempts: 2}
---
简介正文。
"""

LESSON_MD = """---
title: 第一课
hours: 0.5
order: 1
objectives: [掌握要点]
---
## 一、正文

内容。

## 要点回顾

- 要点

## 思考题

1. 思考？
"""

QUIZ = """- id: q1
  type: single
  stem: 单选？
  options: [甲, 乙, 丙]
  answer: B
  section: 一、正文
  explanation: 见正文。
- id: q2
  type: multiple
  stem: 多选？
  options: [甲, 乙, 丙]
  answer: [A, C]
  section: 一、正文
  explanation: 见正文。
- id: q3
  type: judge
  stem: 判断。
  answer: true
  section: 一、正文
  explanation: 见正文。
- id: q4
  type: blank
  stem: 填空____。
  answer: ["5", "五"]
  section: 要点回顾
  explanation: 见正文。
- id: q5
  type: single
  stem: 再一道？
  options: [甲, 乙]
  answer: A
  section: 一、正文
  explanation: 见正文。
- id: q6
  type: judge
  stem: 第六道。
  answer: false
  section: 一、正文
  explanation: 见正文。
- id: q7
  type: single
  stem: 第七道？
  options: [甲, 乙]
  answer: B
  section: 一、正文
  explanation: 见正文。
- id: q8
  type: blank
  stem: 第八道____。
  answer: ["八"]
  section: 要点回顾
  explanation: 见正文。
"""

# The course's exam pool: 2 x exam.questions (5) items, none repeating a quiz question.
EXAM = "".join(
    f"""- id: e{n}
  lesson: 01-first
  type: single
  stem: 考试题之{n}：下列哪一项正确？
  options: [丁{n}, 戊{n}, 己{n}]
  answer: A
  section: 一、正文
  explanation: 见正文第{n}处。
"""
    for n in range(1, 11)
)


@pytest.fixture
def tree_dir(tmp_path) -> Path:
    course = tmp_path / "content" / "courses" / "test-course"
    course.mkdir(parents=True)
    (course / "course.md").write_text(COURSE_MD, encoding="utf-8")
    (course / "01-first.md").write_text(LESSON_MD, encoding="utf-8")
    (course / "01-first.quiz.yaml").write_text(QUIZ, encoding="utf-8")
    (course / "exam.yaml").write_text(EXAM, encoding="utf-8")
    return tmp_path / "content"


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in load_tree(root)[1]]


def test_real_content_is_valid():
    courses, problems = load_tree(CONTENT)
    assert problems == []
    assert [c.slug for c in courses] == ["cadre-selection-regulations", "mass-line-campaign", "cadre-team-building"]
    assert [len(c.lessons) >= n for c, n in zip(courses, (7, 5, 5), strict=True)] == [True] * 3
    for course in courses:
        for lesson in course.lessons:
            assert lesson.objectives and lesson.hours > 0
            assert "## 要点回顾" in lesson.body_md and "## 思考题" in lesson.body_md
            assert len(lesson.questions) >= 8
            assert {q.type for q in lesson.questions} == {"single", "multiple", "judge", "blank"}


def test_minimal_tree_is_valid(tree_dir):
    courses, problems = load_tree(tree_dir)
    assert problems == []
    (course,) = courses
    assert course.lessons[0].key == "test-course/first"
    assert course.lessons[0].questions[1].answer == ["A", "C"]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("01-first.md", "title: 第一课\n", "", "01-first.md:2: 缺少课的标题（title）"),
        ("01-first.md", "hours: 0.5", "hours: 0.3", "01-first.md:3: 学时（hours）应为 0.25 的整数倍"),
        ("01-first.md", "hours: 0.5\n", "", "01-first.md:2: 缺少学时（hours）"),
        ("01-first.md", "order: 1\n", "order: [1\n", "01-first.md:4: 前置信息不是合法的 YAML"),
        ("01-first.md", "## 思考题", "## 讨论", "正文缺少“## 思考题”一节"),
        ("course.md", "title: 测试课程\n", "", "course.md:2: 缺少课程标题（title）"),
        ("course.md", "category: 必修", "category: 可选", "course.md:5: 类别（category）"),
        ("01-first.quiz.yaml", "answer: B", "answer: D", "01-first.quiz.yaml:1: 答案 D 不在选项 ABC 之中"),
        ("01-first.quiz.yaml", "answer: [A, C]", "answer: [A]", "01-first.quiz.yaml:8: 多选题至少要有两个正确选项"),
        ("01-first.quiz.yaml", "id: q2", "id: q1", "01-first.quiz.yaml:8: 题目 id“q1”重复（第一次在第 1 行）"),
        ("01-first.quiz.yaml", 'answer: ["5", "五"]', "answer: []", "01-first.quiz.yaml:21: 填空题至少要有一个可接受的答案"),
        ("01-first.quiz.yaml", "section: 要点回顾", "section: 不存在", "01-first.quiz.yaml:21: 出处（section）“不存在”"),
        ("01-first.quiz.yaml", "  stem: 多选？\n", "  stem: [多选\n", "01-first.quiz.yaml:10: 不是合法的 YAML"),
        ("01-first.quiz.yaml", "  answer: true\n", "  answer: 对\n", "判断题答案（answer）应为 true 或 false"),
    ],
)
def test_problems_name_file_and_line(tree_dir, file, old, new, expected):
    path = tree_dir / "courses" / "test-course" / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    found = problems_of(tree_dir)
    assert any(expected in p for p in found), found
    assert all(p.startswith("content/courses/test-course/") for p in found)


def test_duplicate_lesson_slug(tree_dir):
    course = tree_dir / "courses" / "test-course"
    shutil.copy(course / "01-first.md", course / "02-first.md")
    shutil.copy(course / "01-first.quiz.yaml", course / "02-first.quiz.yaml")
    assert any("课的 slug“first”重复" in p for p in problems_of(tree_dir))


def test_missing_quiz_file_and_too_few_questions(tree_dir):
    course = tree_dir / "courses" / "test-course"
    quiz = course / "01-first.quiz.yaml"
    quiz.write_text(QUIZ.split("- id: q5")[0], encoding="utf-8")
    assert any("至少需要 5 道题" in p for p in problems_of(tree_dir))
    quiz.unlink()
    assert any("缺少题库文件 01-first.quiz.yaml" in p for p in problems_of(tree_dir))


def test_check_command_exit_codes(runner, tree_dir):
    ok = runner.invoke(args=["lms", "content", "check", "--path", str(tree_dir)])
    assert ok.exit_code == 0 and "内容校验通过" in ok.output
    lesson = tree_dir / "courses" / "test-course" / "01-first.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("hours: 0.5", "hours: -1"), encoding="utf-8")
    bad = runner.invoke(args=["lms", "content", "check", "--path", str(tree_dir)])
    assert bad.exit_code == 1
    assert "content/courses/test-course/01-first.md:3: 学时（hours）" in bad.output
