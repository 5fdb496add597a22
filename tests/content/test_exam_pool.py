"""The course exam pool (exam.yaml, issue 13 point 3): read like quiz files, attached to its lessons,
big enough, and never a repeat of a lesson-quiz question (whose answers every review shows)."""

from __future__ import annotations

import sqlalchemy as sa
import yaml

from lms.content.exam_pool import duplicate_of
from lms.content.loader import load_tree
from lms.content.models import Question
from lms.content.parsed import QuestionData
from tests.content.test_loader import EXAM, LESSON_MD, problems_of, tree_dir  # noqa: F401  (the fixture)

EXAM_FILE = "content/courses/test-course/exam.yaml"


def _items() -> list[dict]:
    return yaml.safe_load(EXAM)


def _write(tree_dir, items: list[dict]) -> None:  # noqa: F811
    (tree_dir / "courses" / "test-course" / "exam.yaml").write_text(
        yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _line_of(tree_dir, n: int) -> int:  # noqa: F811
    """The line of item n (1-based) in the exam.yaml as written."""
    lines = (tree_dir / "courses" / "test-course" / "exam.yaml").read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines, start=1) if line.startswith("- ")][n - 1]


def _q(stem: str, answer, kind: str = "single", options=("甲", "乙", "丙")) -> QuestionData:
    return QuestionData(qid="x", type=kind, stem=stem, options=list(options) if kind in ("single", "multiple") else [],
                        answer=answer, section="s", explanation="e", order=1)


def test_the_pool_is_attached_to_its_lessons_apart_from_the_quiz(tree_dir):  # noqa: F811
    (course,) = load_tree(tree_dir)[0]
    (lesson,) = course.lessons
    assert [q.qid for q in lesson.exam_questions] == [f"e{n}" for n in range(1, 11)]
    assert [q.qid for q in lesson.questions][:2] == ["q1", "q2"]
    assert lesson.exam_questions[0].answer == ["A"] and lesson.exam_questions[0].section == "一、正文"


def test_a_course_with_an_exam_needs_its_pool(tree_dir):  # noqa: F811
    (tree_dir / "courses" / "test-course" / "exam.yaml").unlink()
    # course.md line 6 is the exam: setting
    assert problems_of(tree_dir) == [
        "content/courses/test-course/course.md:6: 缺少结业考试题库 exam.yaml：考试只从该题库抽题，课后测验的题目不进入考试"
    ]


def test_the_pool_holds_twice_the_draw(tree_dir):  # noqa: F811
    _write(tree_dir, _items()[:9])
    assert problems_of(tree_dir) == [
        f"{EXAM_FILE}:1: 结业考试题库只有 9 道有效题目，至少需要 10 道（每次考试抽 5 题的 2 倍）"
    ]


def test_items_are_checked_like_quiz_items_at_their_line(tree_dir):  # noqa: F811
    items = _items()
    items[2]["answer"] = "D"
    items[3]["id"] = "e1"
    items[4]["stem"] = "文中说的是哪一项？"
    items[5]["explanation"] = "A项正确。"
    _write(tree_dir, items)
    found = problems_of(tree_dir)
    assert f"{EXAM_FILE}:{_line_of(tree_dir, 3)}: 答案 D 不在选项 ABC 之中" in found
    assert f"{EXAM_FILE}:{_line_of(tree_dir, 4)}: 题目 id“e1”重复（第一次在第 1 行）" in found
    assert any(p.startswith(f"{EXAM_FILE}:{_line_of(tree_dir, 5)}: 题干不要写“文中”") for p in found)
    assert any(p.startswith(f"{EXAM_FILE}:{_line_of(tree_dir, 6)}: 解析用字母指代选项") for p in found)


def test_lesson_must_name_a_lesson_and_section_a_heading_of_it(tree_dir):  # noqa: F811
    course = tree_dir / "courses" / "test-course"
    second = LESSON_MD.replace("title: 第一课", "title: 第二课").replace("order: 1", "order: 2").replace(
        "## 一、正文", "## 二、另一节")
    (course / "02-second.md").write_text(second, encoding="utf-8")
    (course / "02-second.quiz.yaml").write_text(
        (course / "01-first.quiz.yaml").read_text(encoding="utf-8").replace("一、正文", "二、另一节"), encoding="utf-8")
    items = _items()
    items[0]["lesson"] = "first"  # the slug, not the file name
    items[1]["lesson"] = "02-second"  # a lesson of the course, but 一、正文 is a heading of 01-first
    items[2]["lesson"] = "02-second"
    items[2]["section"] = "二、另一节"  # valid: attached to 02-second
    del items[3]["lesson"]
    _write(tree_dir, items)
    found = problems_of(tree_dir)
    assert f"{EXAM_FILE}:{_line_of(tree_dir, 1)}: 所属课（lesson）“first”不是本课程某一课的文件名（不含 .md），应为 01-first | 02-second 之一" in found
    assert f"{EXAM_FILE}:{_line_of(tree_dir, 2)}: 出处（section）“一、正文”不是课“第二课”的某个标题" in found
    assert any(p.startswith(f"{EXAM_FILE}:{_line_of(tree_dir, 4)}: 所属课（lesson）“None”") for p in found)
    # An unknown lesson is one problem, not also its section.
    assert not any(f":{_line_of(tree_dir, n)}: 出处" in p for p in found for n in (1, 4))
    assert not any(f":{_line_of(tree_dir, 3)}:" in p for p in found)
    assert f"{EXAM_FILE}:1: 结业考试题库只有 7 道有效题目，至少需要 10 道（每次考试抽 5 题的 2 倍）" in found


def test_not_a_list(tree_dir):  # noqa: F811
    (tree_dir / "courses" / "test-course" / "exam.yaml").write_text("e1: 不是列表\n", encoding="utf-8")
    found = problems_of(tree_dir)
    assert f"{EXAM_FILE}:1: 题库文件应为题目列表（每题以“- id: …”开头）" in found


def test_a_repeat_of_a_quiz_question_is_refused(tree_dir):  # noqa: F811
    items = _items()
    # The quiz has: q1 单选？ [甲, 乙, 丙] → 乙; q3 判断。 → true; q4 填空____。 → 5 / 五.
    items[0].update(stem="单选？？", options=["丙", "乙", "丁"], answer="A")  # same stem, another key: still a repeat
    items[1].update(type="judge", stem="判断！", answer=True)
    del items[1]["options"]
    items[2].update(type="blank", stem="填空题：____", answer=["5"])  # same answer, stem reworded
    del items[2]["options"]
    items[3].update(stem="换了问法，问的还是这个", options=["丙", "甲", "乙"], answer="C")  # same options and key
    _write(tree_dir, items)
    found = problems_of(tree_dir)
    tail = "课后测验的解析人人可见，考试题须考查别的知识点或换一个角度"
    assert f"{EXAM_FILE}:{_line_of(tree_dir, 1)}: 与课后测验的题目重复（01-first.quiz.yaml 的 q1，题干相同）：{tail}" in found
    assert f"{EXAM_FILE}:{_line_of(tree_dir, 2)}: 与课后测验的题目重复（01-first.quiz.yaml 的 q3，题干相同）：{tail}" in found
    assert f"{EXAM_FILE}:{_line_of(tree_dir, 3)}: 与课后测验的题目重复（01-first.quiz.yaml 的 q4，答案相同且题干相近）：{tail}" in found
    assert f"{EXAM_FILE}:{_line_of(tree_dir, 4)}: 与课后测验的题目重复（01-first.quiz.yaml 的 q1，选项和答案都相同）：{tail}" in found
    assert f"{EXAM_FILE}:1: 结业考试题库只有 6 道有效题目，至少需要 10 道（每次考试抽 5 题的 2 倍）" in found


def test_the_duplicate_rule():
    key = _q("任前公示期一般不少于几个工作日？", ["B"], options=["3个", "5个", "7个"])
    # The same stem, spacing, punctuation and width aside.
    assert duplicate_of(_q("任前公示期 一般不少于几个工作日?", ["A"], options=["5个", "9个"]), key) == "题干相同"
    # The same answer, the stem reworded.
    assert duplicate_of(_q("任前公示期一般不得少于多少个工作日？", ["A"], options=["5个", "10个"]), key) == "答案相同且题干相近"
    # A similar stem asking for something else is another question.
    assert duplicate_of(_q("任前公示期一般不少于几个工作日？由谁公示？", ["A"], options=["组织部门", "5个"]), key) is None
    # The same answer to an unrelated question is fine.
    assert duplicate_of(_q("党员每年集中学习培训的次数？", ["A"], options=["5个", "3个"]), key) is None
    # The same options and key, whatever the stem (a key harvested by option text answers it).
    assert duplicate_of(_q("换个问法？", ["C"], options=["7个", "3个", "5个"]), key) == "选项和答案都相同"
    assert duplicate_of(_q("换个问法？", ["A"], options=["7个", "3个", "5个"]), key) is None
    # Judge questions: the same stem, or the same verdict on a reworded statement.
    judge = _q("公示期不少于5个工作日。", [True], kind="judge")
    assert duplicate_of(_q("公示期不少于 5 个工作日", [False], kind="judge"), judge) == "题干相同"
    assert duplicate_of(_q("公示期一般不少于5个工作日。", [True], kind="judge"), judge) == "答案相同且题干相近"
    assert duplicate_of(_q("公示期一般不少于5个工作日。", [False], kind="judge"), judge) is None


def test_check_command_counts_the_pool(runner, tree_dir):  # noqa: F811
    ok = runner.invoke(args=["lms", "content", "check", "--path", str(tree_dir)])
    assert ok.exit_code == 0 and "1 门课程，1 课，8 道课后测验题，10 道考试题" in ok.output


def test_sync_keeps_the_pool_apart_and_retires_what_leaves_it(runner, db, tree_dir):  # noqa: F811
    # A quiz question may share an id with a pool question: the key is (lesson, pool, id).
    quiz = tree_dir / "courses" / "test-course" / "01-first.quiz.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("id: q8", "id: e1"), encoding="utf-8")
    out = runner.invoke(args=["lms", "content", "sync", "--path", str(tree_dir)])
    assert out.exit_code == 0, out.output
    assert "题目：新增 8" in out.output and "考试题：新增 10" in out.output
    with db() as s:
        rows = s.execute(sa.select(Question.qid, Question.exam_pool)).all()
        assert sorted(q for q, pool in rows if pool) == sorted(f"e{n}" for n in range(1, 11))
        assert sorted(q for q, pool in rows if not pool) == ["e1", *(f"q{n}" for n in range(1, 8))]
    _write(tree_dir, [{**_items()[0], "id": "e11", "stem": "新写的考试题？"}] + _items()[1:])
    out = runner.invoke(args=["lms", "content", "sync", "--path", str(tree_dir)])
    assert "考试题：新增 1，更新 0，停用 1，未变 9" in out.output and "题目：新增 0，更新 0，停用 0，未变 8" in out.output
    with db() as s:
        gone = s.execute(sa.select(Question).where(Question.qid == "e1", Question.exam_pool.is_(True))).scalar_one()
        assert gone.retired_at is not None
