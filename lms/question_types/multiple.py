"""多选题: two or more right options among 2–6, answered with checkboxes; only the exact set is right."""

from __future__ import annotations

from lms.question_types.base import Report, register
from lms.question_types.choice import ChoiceType


@register
class Multiple(ChoiceType):
    name = "multiple"
    label = "多选题"
    short_label = "多选"
    order = 20

    def check_key(self, letters: list[str], report: Report) -> None:
        if len(letters) < 2:
            report("多选题至少要有两个正确选项")
