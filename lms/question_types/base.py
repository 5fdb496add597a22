"""The question type contract and its registry.

A question type is one class: it validates its YAML definition (content/), reads the answer a
form sent, grades it, shows an answer again (form values, review text), names itself in Chinese
and names the template partial that renders its input. The content loader, the grader, the quiz
pages and the statistics all ask the registry, so a new type is one new module in this package
(found automatically) plus its partial `quiz/types/<name>.html` and its tests.

Pure: no database, no Flask, nothing from the slices (lms.content imports this package).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

LETTERS = "ABCDEFGH"  # option letters by position; options are lettered A, B, C… in the YAML


class BadAnswer(ValueError):
    """An answer that cannot have come from the page: refused, nothing saved."""


Report = Callable[[str], None]  # adds one problem (a Chinese message) at the question's line


class QuestionType(ABC):
    """Base class: subclass it, set the attributes, implement the five abstract methods, decorate with
    @register (which instantiates it, so a type missing a method is refused at import)."""

    name: str = ""  # the YAML `type:` value, stored in Question.type
    label: str = ""  # 单选题: shown beside each question on the attempt and review pages
    short_label: str = ""  # 单选: the statistics table
    order: int = 100  # position when the types are listed (error messages, documentation)
    empty_message: str = "请先选择答案。"  # saving an empty answer (exam autosave)

    @property
    def input_template(self) -> str:
        """The partial that renders the input(s) of one question on the attempt page. It sees
        `item` (lms.quiz Item: question, options in the attempt's order), `q` (the Question) and
        `chosen` (the form values to show as given)."""
        return f"quiz/types/{self.name}.html"

    @abstractmethod
    def validate(self, item: dict, report: Report) -> tuple[list[str], list]:
        """(options, canonical answer) of one YAML question; each problem goes to `report`.
        `item` is the question's mapping as written (stem, options, answer …)."""

    @abstractmethod
    def parse(self, option_order: list[int], values: list[str]) -> list | None:
        """The canonical answer for the form values sent, None when nothing was given.
        Raises BadAnswer for values the page never offered (tampering or a stale page)."""

    @abstractmethod
    def is_correct(self, key: list, answer: list) -> bool:
        """Grade a (non-empty) canonical answer against the question's key (Question.answer)."""

    @abstractmethod
    def form_values(self, option_order: list[int], answer: list) -> set[str]:
        """The form values that show a (non-empty) saved answer again: the inverse of parse."""

    @abstractmethod
    def answer_text(self, options: list[str], option_order: list[int], answer: list) -> str:
        """A (non-empty) answer as the review page shows it (您的答案 / 正确答案)."""


_types: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: add the type to the registry (one instance per type)."""
    if not cls.name or not cls.label:
        raise ValueError(f"{cls.__name__}: a question type needs a name and a label")
    if cls.name in _types and type(_types[cls.name]) is not cls:
        raise ValueError(f"question type {cls.name!r} is registered twice")
    _types[cls.name] = cls()
    return cls


def unregister(name: str) -> None:
    """Remove a type (tests that register a type of their own clean up with this)."""
    _types.pop(name, None)


def get(name: object) -> QuestionType | None:
    return _types.get(name) if isinstance(name, str) else None


def all_types() -> list[QuestionType]:
    return sorted(_types.values(), key=lambda t: (t.order, t.name))


def names() -> list[str]:
    return [t.name for t in all_types()]
