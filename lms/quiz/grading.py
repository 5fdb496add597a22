"""Reading a submitted answer and grading it, by question type. Pure functions: no database, no request.

Each type's rules live in its class (lms.question_types); these functions pick the type by its
name and keep the answers' common shape: None (or []) is unanswered, and never right.
"""

from __future__ import annotations

from lms import question_types
from lms.question_types import BadAnswer
from lms.question_types.blank import normalise as normalise_blank

__all__ = ["BadAnswer", "display_values", "is_correct", "normalise_blank", "parse_answer", "score_of"]


def parse_answer(qtype: str, option_order: list[int], values: list[str]) -> list | None:
    """The canonical answer for what the form sent, None when nothing was given.

    Raises BadAnswer for values the page never offered (tampering or a stale page).
    """
    kind = question_types.get(qtype)
    if kind is None:
        raise BadAnswer("未知的题型")
    return kind.parse(option_order, [v for v in values if v is not None])


def is_correct(qtype: str, key: list, answer: list | None) -> bool:
    """Grade one canonical answer against the question's key (Question.answer)."""
    kind = question_types.get(qtype)
    if not answer or kind is None:
        return False
    return kind.is_correct(key, answer)


def score_of(correct: int, total: int) -> int:
    """Percent rounded down, so a score shown as 80 really is at least 80 %."""
    return (100 * correct) // total if total else 0


def display_values(qtype: str, option_order: list[int], answer: list | None) -> set[str]:
    """The form values that show a saved answer again (inverse of parse_answer)."""
    kind = question_types.get(qtype)
    if not answer or kind is None:
        return set()
    return kind.form_values(option_order, answer)
