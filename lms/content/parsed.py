"""What the content loader returns: courses, lessons and questions as read from content/.

Each has a digest of its own fields, so sync can tell what changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


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
    questions: list[QuestionData] = field(default_factory=list)  # its lesson quiz
    exam_questions: list[QuestionData] = field(default_factory=list)  # its share of the course's exam pool

    def digest(self) -> str:
        d = {k: v for k, v in self.__dict__.items() if k not in ("questions", "exam_questions", "path")}
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
