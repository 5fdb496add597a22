"""Reading a submitted answer and grading it. Pure functions: no database, no request.

Options are shown shuffled with opaque values ("0", "1", … = displayed position); the attempt's
stored permutation maps them back to the question's own letters, so the browser never holds
anything that tells a right option from a wrong one. A value outside the permutation is refused.
"""

from __future__ import annotations

import unicodedata

from lms.content.loader import LETTERS

BLANK_MAX_LENGTH = 100
TYPE_LABELS = {"single": "单选题", "multiple": "多选题", "judge": "判断题", "blank": "填空题"}


class BadAnswer(ValueError):
    """An answer that cannot have come from the page: refused, nothing saved."""


def normalise_blank(text: str) -> str:
    """Fold full-width to half-width (NFKC), trim, collapse inner runs of spaces, ignore case."""
    folded = unicodedata.normalize("NFKC", text)
    return " ".join(folded.split()).casefold()


def parse_answer(qtype: str, option_order: list[int], values: list[str]) -> list | None:
    """The canonical answer for what the form sent, None when nothing was given.

    Raises BadAnswer for values the page never offered (tampering or a stale page).
    """
    values = [v for v in values if v is not None]
    if qtype in ("single", "multiple"):
        if not values:
            return None
        if qtype == "single" and len(values) != 1:
            raise BadAnswer("单选题只能选择一个选项")
        letters = set()
        for value in values:
            if not value.isdigit() or int(value) >= len(option_order):
                raise BadAnswer("提交的选项不在本题之中")
            letters.add(LETTERS[option_order[int(value)]])
        if len(letters) != len(values):
            raise BadAnswer("提交的选项重复")
        return sorted(letters)
    if qtype == "judge":
        if not values:
            return None
        if len(values) != 1 or values[0] not in ("true", "false"):
            raise BadAnswer("判断题只能选择“正确”或“错误”")
        return [values[0] == "true"]
    if qtype == "blank":
        if len(values) > 1:
            raise BadAnswer("填空题只能填写一个答案")
        text = (values[0] if values else "").strip()
        if not text:
            return None
        if len(text) > BLANK_MAX_LENGTH:
            raise BadAnswer(f"填空题答案不能超过 {BLANK_MAX_LENGTH} 个字")
        return [text]
    raise BadAnswer("未知的题型")


def is_correct(qtype: str, key: list, answer: list | None) -> bool:
    """Grade one canonical answer against the question's key (Question.answer)."""
    if not answer:
        return False
    if qtype in ("single", "multiple"):
        return sorted(answer) == sorted(key)
    if qtype == "judge":
        return answer == key
    if qtype == "blank":
        accepted = {normalise_blank(str(a)) for a in key}
        return normalise_blank(str(answer[0])) in accepted
    return False


def score_of(correct: int, total: int) -> int:
    """Percent rounded down, so a score shown as 80 really is at least 80 %."""
    return (100 * correct) // total if total else 0


def display_values(qtype: str, option_order: list[int], answer: list | None) -> set[str]:
    """The form values that show a saved answer again (inverse of parse_answer)."""
    if not answer:
        return set()
    if qtype in ("single", "multiple"):
        wanted = {LETTERS.index(a) for a in answer}
        return {str(pos) for pos, idx in enumerate(option_order) if idx in wanted}
    if qtype == "judge":
        return {"true" if answer[0] else "false"}
    return {str(answer[0])}

