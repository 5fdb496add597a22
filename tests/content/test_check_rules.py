"""The issue-12 content-check rules: the workload estimate, 解析 that point at option letters or
positions, "文中" stems and the 8-question target."""

from __future__ import annotations

import pytest

from lms.content import quiz_yaml
from lms.content.loader import check_tree
from lms.content.quiz_rules import explanation_problem, stem_problem
from lms.content.workload import (
    body_characters,
    estimated_minutes,
    estimated_seconds,
    out_of_band,
    reflection_items,
)
from tests.content.test_loader import QUIZ, tree_dir  # noqa: F401  (the fixture)

# ---------------------------------------------------------------- the workload formula


def test_body_characters_skip_markup_and_whitespace():
    body = "## 一、标题\n\n正文 **加粗** `码`。\n\n> 引文\n\n- 甲\n1. 乙\n\n| 列 | 值 |\n|---|---|\n| a | b |\n\n[链接](http://x.y)\n---\n"
    # 一、标题(4) 正文加粗码。(6) 引文(2) 甲 乙 (2) 列值(2) ab(2) 链接(2)
    assert body_characters(body) == 20


def test_reflection_items_counts_the_list_under_its_heading():
    body = "## 一、正文\n\n- 不算\n\n## 思考题\n\n1. 甲？\n2. 乙？\n   续行\n- 丙？\n\n## 附录\n\n- 不算\n"
    assert reflection_items(body) == 3


def test_estimate_is_reading_plus_questions_plus_reflections():
    body = "## 一\n\n" + "字" * 3999 + "\n\n## 思考题\n\n1. 问？\n2. 问？\n"
    # 4,000 characters (一 + 3,999) / 400 = 10 min (+ 2 × 问？ = 4 characters, 0.6 s), 9 questions × 40 s = 6 min,
    # 2 思考题 × 5 min = 10 min; "思考题" itself is a heading: 3 characters
    seconds = estimated_seconds(body, 9)
    assert abs(seconds - (26 * 60 + (3 + 4) * 60 / 400)) < 1
    assert estimated_minutes(body, 9) == 26


@pytest.mark.parametrize(
    ("estimate_min", "outside"), [(17, True), (18, False), (30, False), (45, False), (46, True)]
)
def test_band_is_0_6_to_1_5_of_the_lesson(estimate_min, outside):
    assert out_of_band(estimate_min * 60, 1800) is outside


def _warnings(root) -> list[str]:
    return [str(w) for w in check_tree(root)[2]]


def test_workload_outside_the_band_warns_and_does_not_fail(tree_dir, runner):  # noqa: F811
    lesson = tree_dir / "courses" / "test-course" / "01-first.md"
    # The minimal lesson: a few characters, 8 questions (5.3 min), 1 思考题 (5 min): under 18 min.
    courses, problems, warnings = check_tree(tree_dir)
    assert problems == []
    assert any("01-first.md:3: 提醒：工作量估计约 10 分钟" in w and "18–45 分钟" in w for w in map(str, warnings))
    result = runner.invoke(args=["lms", "content", "check", "--path", str(tree_dir)])
    assert result.exit_code == 0 and "提醒：工作量估计" in result.output and "内容校验通过" in result.output
    # Lowered to 0.25 学时 (9–22.5 min), the lesson fits.
    text = lesson.read_text(encoding="utf-8").replace("hours: 0.5", "hours: 0.25")
    lesson.write_text(text, encoding="utf-8")
    assert not any("工作量" in w for w in _warnings(tree_dir))


# ---------------------------------------------------------------- 解析 that point at letters or positions


@pytest.mark.parametrize(
    "text",
    [
        "A项正确。", "乡镇的问题恰恰是交流轮岗机会不多，D项说反了。", "A至D都是条例的规定。", "A-D 都对。",
        "选项B是干扰项。", "答案为C。", "A、B、C都是举措。", "B正确，C错误。", "D的说法错误。",
        "前四项都是联系点省区的做法。", "第三项不符合规定。", "后两项是干扰项。", "最后一项说反了。",
        "以上四项都对。", "E 项不对。",
    ],
)
def test_explanations_naming_letters_or_positions_are_rejected(text):
    assert explanation_problem(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "简单以地区生产总值（GDP）论英雄是要破除的做法。", "会议材料不能只念 PPT。", "其余各项都是条例的规定。",
        "其他选项都是举措。", "这是当前一项重要任务。", "台上台下一个样，人前人后一个样。", "整改不是等到最后一个环节才开始。",
        "以上各项都是条例的规定。", "《条例》第三条规定了基本条件。", "A股市场与此无关。", "B超不是考察手段。",
    ],
)
def test_ordinary_text_is_not_taken_for_a_letter_or_position(text):
    assert explanation_problem(text) is None


@pytest.mark.parametrize("strict", [False, True])
def test_a_letter_in_an_explanation_is_reported_at_its_line(tree_dir, monkeypatch, strict):  # noqa: F811
    """An error once STRICT is True (with the revised content); a warning before."""
    monkeypatch.setattr(quiz_yaml, "STRICT", strict)
    quiz = tree_dir / "courses" / "test-course" / "01-first.quiz.yaml"
    quiz.write_text(QUIZ.replace("answer: [A, C]\n  section: 一、正文\n  explanation: 见正文。",
                                 "answer: [A, C]\n  section: 一、正文\n  explanation: A项和C项都对。"), encoding="utf-8")
    _, problems, warnings = check_tree(tree_dir)
    found = [str(p) for p in (problems if strict else warnings)]
    prefix = "content/courses/test-course/01-first.quiz.yaml:8: " + ("" if strict else "提醒：")
    assert any(p.startswith(prefix + "解析用字母指代选项") for p in found), found


# ---------------------------------------------------------------- "文中" stems and the 8-question target


@pytest.mark.parametrize(("stem", "bad"), [("文中提出了几条对策？", True), ("下列哪些属于本文中提出的举措？", True),
                                           ("《条例》条文中规定的任职年限是？", False), ("《条例》规定的任职年限是？", False)])
def test_stem_with_wenzhong(stem, bad):
    assert (stem_problem(stem) is not None) is bad


@pytest.mark.parametrize("strict", [False, True])
def test_wenzhong_stem_and_fewer_than_8_questions(tree_dir, monkeypatch, strict):  # noqa: F811
    """Warnings while the content is being rewritten (STRICT False); errors once STRICT is True."""
    monkeypatch.setattr(quiz_yaml, "STRICT", strict)
    quiz = tree_dir / "courses" / "test-course" / "01-first.quiz.yaml"
    quiz.write_text(QUIZ.replace("stem: 判断。", "stem: 文中的说法是对的。").split("- id: q6")[0], encoding="utf-8")
    _, problems, warnings = check_tree(tree_dir)
    errors, notes = [str(p) for p in problems], [str(w) for w in warnings]
    found = errors if strict else notes
    assert any("01-first.quiz.yaml:15:" in m and "题干不要写“文中”" in m for m in found), found
    assert any("01-first.quiz.yaml:1:" in m and "每课应有至少 8 道题，这里只有 5 道" in m for m in found), found
    if not strict:
        assert errors == []
