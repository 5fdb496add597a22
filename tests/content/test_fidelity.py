"""Content fidelity: every figure a lesson or a question states as fact is a figure of the seeds.

Wrong options (distractors) may hold other numbers on purpose, so only the lesson bodies, the
question stems, the correct answers and the explanations are checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms.content.loader import load_tree
from lms.question_types import LETTERS

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def seed_text() -> str:
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if not files:
        pytest.skip(f"seed documents not found at {SEEDS}")
    return "".join(p.read_text(encoding="utf-8") for p in files).replace(",", "")


def _stated_texts():
    courses, problems = load_tree(ROOT / "content")
    assert problems == []
    for course in courses:
        for lesson in course.lessons:
            yield lesson.key, lesson.body_md
            # The lesson's quiz and its share of the course's exam pool (exam.yaml) alike.
            for where, questions in ((lesson.key, lesson.questions), (f"{course.slug}/exam.yaml", lesson.exam_questions)):
                for q in questions:
                    yield f"{where}#{q.qid}", _stated(q)


def _stated(q) -> str:
    correct = [q.options[LETTERS.index(a)] for a in q.answer] if q.type in ("single", "multiple") else []
    accepted = q.answer[:1] if q.type == "blank" else []  # the rest are alternative spellings
    return " ".join([q.stem, q.explanation, *correct, *map(str, accepted)])


def test_exam_pools_are_checked_too():
    """Guards the test above: every course's exam pool is among the texts it checks."""
    courses, _ = load_tree(ROOT / "content")
    checked = {where for where, _ in _stated_texts()}
    for course in courses:
        pool = [q for lesson in course.lessons for q in lesson.exam_questions]
        assert len(pool) >= 2 * course.exam["questions"]
        assert {f"{course.slug}/exam.yaml#{q.qid}" for q in pool} <= checked


def test_every_figure_comes_from_the_seeds(seed_text):
    unknown = [
        f"{where}: {num}"
        for where, text in _stated_texts()
        for num in sorted(set(NUMBER.findall(text.replace(",", ""))))
        if num not in seed_text
    ]
    assert unknown == []


def test_key_facts_are_taught(seed_text):
    """The facts members must retain are present, in the seeds' own terms."""
    corpus = " ".join(text for _, text in _stated_texts())
    for term in (
        "信念坚定、为民服务、勤政务实、敢于担当、清正廉洁",
        "不得越两级提拔",
        "5个工作日",
        "十不准",
        "进不来",
        "出不去",
        "干不动",
        "留不住",
        "32",
        "作风建设永远在路上",
    ):
        assert term in seed_text.replace(" ", ""), term
        assert term in corpus, term
