"""单选题: one right option among 2–6, answered with one radio button."""

from __future__ import annotations

from lms.question_types.base import BadAnswer, Report, register
from lms.question_types.choice import ChoiceType


@register
class Single(ChoiceType):
    name = "single"
    label = "单选题"
    short_label = "单选"
    order = 10

    def check_key(self, letters: list[str], report: Report) -> None:
        if len(letters) != 1:
            report("单选题只能有一个正确答案")

    def check_given(self, values: list[str]) -> None:
        if len(values) != 1:
            raise BadAnswer("单选题只能选择一个选项")
