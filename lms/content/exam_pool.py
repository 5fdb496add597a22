"""Reading a course's exam pool, content/courses/<course>/exam.yaml (format: content/README.md).

The items are lesson-quiz items (lms.content.quiz_yaml, the same checks) plus `lesson`, the file
stem of the lesson the question belongs to (03-democratic-recommendation); `section` is a heading
of that lesson. Each valid question is attached to its lesson (LessonData.exam_questions) and synced
as a pool question (Question.exam_pool).

The course-level rules (issue 13 point 3: an exam must not be answerable from lesson-quiz reviews):
- a course with an exam has an exam.yaml, and its pool holds at least POOL_FACTOR x exam.questions;
- no pool question duplicates a lesson-quiz question of the same course (`duplicate_of`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

from lms.content.frontmatter import Collector, fm_line, headings
from lms.content.parsed import CourseData, LessonData, QuestionData
from lms.content.quiz_yaml import load_question, read_list
from lms.question_types import LETTERS

FILE_NAME = "exam.yaml"
POOL_FACTOR = 2  # the pool holds at least this many times the questions one exam draws
SIMILAR = 0.6  # stems at least this similar (difflib ratio, normalised) with the same answer are one question

_NOT_WORD = re.compile(r"[\W_]+")


def load_exam_pool(c: Collector, course_dir: Path, course: CourseData) -> None:
    """Read exam.yaml into the lessons' exam_questions, and check the course-level rules."""
    path = course_dir / FILE_NAME
    if not path.exists():
        if course.exam:
            c.add(course_dir / "course.md", fm_line(course_dir / "course.md", "exam"),
                  f"缺少结业考试题库 {FILE_NAME}：考试只从该题库抽题，课后测验的题目不进入考试")
        return
    read = read_list(c, path)
    if read is None:
        return
    by_stem = {Path(lesson.path).stem: lesson for lesson in course.lessons}
    sections = {stem: {t for _, t, _ in headings(lesson.body_md)} for stem, lesson in by_stem.items()}
    seen_ids: dict[str, int] = {}
    count = 0
    for index, (item, node) in enumerate(zip(*read, strict=True)):
        line = node.start_mark.line + 1
        lesson = _lesson_of(c, path, line, item, by_stem)
        question = load_question(c, path, line, item, sections[Path(lesson.path).stem] if lesson else None,
                                 seen_ids, section_of=f"课“{lesson.title}”" if lesson else "")
        if question is None or lesson is None:
            continue
        question.order = index + 1
        if (twin := _duplicate_in(course, question)) is not None:
            twin_lesson, twin_q, why = twin
            c.add(path, line, f"与课后测验的题目重复（{Path(twin_lesson.path).stem}.quiz.yaml 的 {twin_q.qid}，{why}）："
                              "课后测验的解析人人可见，考试题须考查别的知识点或换一个角度")
            continue
        lesson.exam_questions.append(question)
        count += 1
    need = POOL_FACTOR * course.exam.get("questions", 0)
    if count < need:
        c.add(path, 1, f"结业考试题库只有 {count} 道有效题目，至少需要 {need} 道"
                       f"（每次考试抽 {course.exam['questions']} 题的 {POOL_FACTOR} 倍）")


def _lesson_of(c: Collector, path: Path, line: int, item: object, by_stem: dict[str, LessonData]) -> LessonData | None:
    if not isinstance(item, dict):
        return None  # load_question reports it
    stem = item.get("lesson")
    lesson = by_stem.get(stem) if isinstance(stem, str) else None
    if lesson is None:
        c.add(path, line, f"所属课（lesson）“{stem}”不是本课程某一课的文件名（不含 .md），"
                          f"应为 {' | '.join(sorted(by_stem))} 之一")
    return lesson


def normalised(text: str) -> str:
    """A stem or answer reduced to its words: full/half width folded, case, spaces, punctuation and
    blanks (____) dropped."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text)).lower()


def answer_text(q: QuestionData) -> str:
    """The correct answer as text, whatever the letters: the correct options' texts, 正确/错误, or
    the first accepted blank."""
    if q.type in ("single", "multiple"):
        return "|".join(sorted(normalised(q.options[LETTERS.index(a)]) for a in q.answer))
    if q.type == "judge":
        return "正确" if q.answer and q.answer[0] is True else "错误"
    return normalised(str(q.answer[0])) if q.answer else ""


def duplicate_of(pool_q: QuestionData, quiz_q: QuestionData) -> str | None:
    """Why an exam question duplicates a lesson-quiz question, or None. The rule (simple on purpose):
    - the same stem, once normalised; or
    - the same correct answer text and stems at least SIMILAR alike (the same question reworded); or
    - a choice question with the same options and the same correct ones (a harvested key, matched by
      option text, answers it)."""
    a, b = normalised(pool_q.stem), normalised(quiz_q.stem)
    if a == b:
        return "题干相同"
    same_answer = answer_text(pool_q) == answer_text(quiz_q)
    if same_answer and difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILAR:
        return "答案相同且题干相近"
    choice = pool_q.type in ("single", "multiple") and quiz_q.type in ("single", "multiple")
    if choice and same_answer and {normalised(o) for o in pool_q.options} == {normalised(o) for o in quiz_q.options}:
        return "选项和答案都相同"
    return None


def _duplicate_in(course: CourseData, q: QuestionData) -> tuple[LessonData, QuestionData, str] | None:
    for lesson in course.lessons:
        for quiz_q in lesson.questions:
            if (why := duplicate_of(q, quiz_q)) is not None:
                return lesson, quiz_q, why
    return None
