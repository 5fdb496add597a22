"""Question types are one registry (lms.question_types): the four built-in types, and a type that
only this test defines going through the loader, the grader, the attempt and review pages and
the statistics without any other file knowing it."""

from __future__ import annotations

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlmodel import select

from lms import question_types
from lms.content.models import Question
from lms.question_types import BadAnswer, QuestionType
from lms.quiz import grading
from tests.conftest import csrf_token


def test_the_four_built_in_types_in_their_order():
    assert question_types.names() == ["single", "multiple", "judge", "blank"]
    assert [t.label for t in question_types.all_types()] == ["单选题", "多选题", "判断题", "填空题"]
    assert [t.short_label for t in question_types.all_types()] == ["单选", "多选", "判断", "填空"]
    assert question_types.get("essay") is None and question_types.get(None) is None


def test_every_type_has_its_input_partial(app):
    for kind in question_types.all_types():
        assert app.jinja_env.get_template(kind.input_template) is not None


@pytest.mark.parametrize(
    ("qtype", "item", "order"),
    [
        ("single", {"options": ["甲", "乙", "丙"], "answer": "b"}, [2, 0, 1]),
        ("multiple", {"options": ["甲", "乙", "丙", "丁"], "answer": ["A", "D"]}, [3, 1, 0, 2]),
        ("judge", {"answer": False}, []),
        ("blank", {"stem": "不少于____小时", "answer": [32, "三十二"]}, []),
    ],
)
def test_a_valid_key_shown_again_parses_back_and_is_right(qtype, item, order):
    kind = question_types.get(qtype)
    problems: list[str] = []
    options, key = kind.validate(item, problems.append)
    assert problems == []
    values = sorted(kind.form_values(order, key))
    answer = grading.parse_answer(qtype, order, values)
    assert grading.is_correct(qtype, key, answer)
    assert grading.display_values(qtype, order, answer) == set(values)
    assert kind.answer_text(options, order, key)


@pytest.mark.parametrize(
    ("qtype", "item", "message"),
    [
        ("single", {"options": ["甲", "乙"], "answer": "AB"}, "单选题只能有一个正确答案"),
        ("multiple", {"options": ["甲", "乙"], "answer": "C"}, "答案 C 不在选项 AB 之中"),
        ("judge", {"options": ["对"], "answer": True}, "判断题不需要选项（options）"),
        ("blank", {"stem": "没有空格", "answer": "x"}, "填空题的题干需用 ____ 标出空格"),
    ],
)
def test_validation_reports_each_problem(qtype, item, message):
    problems: list[str] = []
    question_types.get(qtype).validate(item, problems.append)
    assert message in problems


def test_unknown_type_is_refused_and_never_right():
    with pytest.raises(BadAnswer):
        grading.parse_answer("essay", [], ["x"])
    assert not grading.is_correct("essay", ["x"], ["x"])


def test_a_type_is_registered_once():
    class Again(QuestionType):
        name = "single"
        label = "又一个单选题"

    with pytest.raises(ValueError):
        question_types.register(Again)


# --- a type defined only here -------------------------------------------------------------


class Number(QuestionType):
    """数字题: the answer is a whole number, typed into a number field."""

    name = "number"
    label = "数字题"
    short_label = "数字"
    order = 50

    def validate(self, item, report):
        if not isinstance(item.get("answer"), int) or isinstance(item.get("answer"), bool):
            report("数字题答案（answer）应为整数")
            return [], []
        return [], [item["answer"]]

    def parse(self, option_order, values):
        if not values or not values[0].strip():
            return None
        if len(values) != 1 or not values[0].strip().isdigit():
            raise BadAnswer("数字题只能填写一个整数")
        return [int(values[0])]

    def is_correct(self, key, answer):
        return answer == key

    def form_values(self, option_order, answer):
        return {str(answer[0])}

    def answer_text(self, options, option_order, answer):
        return f"{answer[0]} 个"


NUMBER_PARTIAL = (
    '<input type="number" class="number-answer" name="q_{{ q.id }}" value="{{ chosen|first if chosen else \'\' }}">'
)

COURSE_MD = """---
title: 新题型课程
order: 1
exam: {questions: 5, pass_score: 80, time_limit_minutes: 10, max_attempts: 2}
---
简介。
"""

LESSON_MD = """---
title: 新题型一课
hours: 0.5
objectives: [认识新题型]
---
## 一、正文

公示期不少于5个工作日。

## 要点回顾

- 要点

## 思考题

1. 思考？
"""

QUIZ = """- id: n1
  type: number
  stem: 公示期不少于几个工作日？
  answer: 5
  section: 一、正文
  explanation: 见正文。
""" + "".join(
    f"""- id: j{i}
  type: judge
  stem: 判断{i}。
  answer: true
  section: 一、正文
  explanation: 见正文。
"""
    for i in range(7)  # a lesson has at least 8 questions
)

EXAM = "".join(  # the course's exam pool: 2 x exam.questions
    f"""- id: e{i}
  lesson: 01-only
  type: judge
  stem: 考试题{i}：公示期不少于{i}个月。
  answer: false
  section: 一、正文
  explanation: 公示期不少于5个工作日。
"""
    for i in range(10)
)


@pytest.fixture
def number_type(app):
    question_types.register(Number)
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({"quiz/types/number.html": NUMBER_PARTIAL}), loader])
    yield
    question_types.unregister("number")


@pytest.fixture
def number_tree(tmp_path):
    course = tmp_path / "content" / "courses" / "new-type"
    course.mkdir(parents=True)
    (course / "course.md").write_text(COURSE_MD, encoding="utf-8")
    (course / "01-only.md").write_text(LESSON_MD, encoding="utf-8")
    (course / "01-only.quiz.yaml").write_text(QUIZ, encoding="utf-8")
    (course / "exam.yaml").write_text(EXAM, encoding="utf-8")
    return tmp_path / "content"


def test_unregistered_type_is_a_content_problem(runner, number_tree):
    result = runner.invoke(args=["lms", "content", "check", "--path", str(number_tree)])
    assert result.exit_code == 1
    assert "题型（type）应为 single | multiple | judge | blank 之一" in result.output


def test_a_new_type_needs_only_its_class_and_partial(number_type, runner, number_tree, client, db, tree, login):
    # Loaded: the content check and sync accept it, and the question bank stores it.
    result = runner.invoke(args=["lms", "content", "sync", "--path", str(number_tree)])
    assert result.exit_code == 0, result.output
    with db() as s:
        question = s.exec(select(Question).where(Question.qid == "n1")).one()
        assert (question.type, question.answer) == ("number", [5])

    # Rendered: the attempt page shows its label and its own input.
    login(tree["m1"])
    token = csrf_token(client, "/courses/new-type/only")
    resp = client.post("/quiz/lesson/new-type/only/start", data={"csrf_token": token})
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)$", resp.headers["Location"]).group(1))
    html = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    assert "数字题" in html
    assert f'<input type="number" class="number-answer" name="q_{question.id}" value="">' in html

    # A value the type refuses is a clear error; nothing is graded.
    form = {f"q_{q.id}": ["true"] for q in _questions(db) if q.type == "judge" and not q.exam_pool}
    token = csrf_token(client, f"/quiz/attempts/{attempt_id}")
    bad = client.post(f"/quiz/attempts/{attempt_id}/submit",
                      data={**form, f"q_{question.id}": "五", "csrf_token": token})
    assert bad.status_code == 400 and "数字题只能填写一个整数" in bad.get_data(as_text=True)

    # Graded: the right number passes; the review shows the answer the type's way.
    resp = client.post(f"/quiz/attempts/{attempt_id}/submit",
                       data={**form, f"q_{question.id}": "5", "csrf_token": token}, follow_redirects=True)
    review = resp.get_data(as_text=True)
    assert "得分 100 分，通过" in review
    assert "<dt>您的答案</dt><dd>5 个</dd>" in review and "<dt>正确答案</dt><dd>5 个</dd>" in review

    # In the statistics, under its short label, with its correct answer counted.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(tree["sec1"])
    stats = client.get("/quiz/stats/new-type").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td[^>]*><span class=\"tag tag-optional\">数字</span> 公示期不少于几个工作日？</td>(.*?)</tr>",
                    stats, re.S)
    assert row and re.findall(r'<td class="num"[^>]*>(\d+)</td>', row.group(1)) == ["1", "1"]


def _questions(db) -> list[Question]:
    with db() as s:
        return list(s.exec(select(Question)))


@pytest.mark.parametrize(
    "typed",
    ["32", "32。", "32，", "32；", "32、", "32.", "32,", "32;", "32!", "32！", "32?", "32　", "３２。　", " 32 . ", "32……"],
)
def test_blank_ignores_trailing_punctuation(typed):
    blank = question_types.get("blank")
    assert blank.is_correct(["32"], [typed])


@pytest.mark.parametrize(("key", "typed", "right"), [
    (["特长突出型"], "特长突出型。", True),
    (["特长突出型"], "特长。突出型", False),  # only trailing punctuation is dropped
    (["32"], "3.2", False),
    (["32"], "。32", False),
])
def test_blank_punctuation_inside_still_counts(key, typed, right):
    assert question_types.get("blank").is_correct(key, [typed]) is right
