"""判断题: a statement that is right or wrong; answer true | false."""

from __future__ import annotations

from lms.question_types.base import BadAnswer, QuestionType, Report, register


@register
class Judge(QuestionType):
    name = "judge"
    label = "判断题"
    short_label = "判断"
    order = 30

    def validate(self, item: dict, report: Report) -> tuple[list[str], list]:
        answer = item.get("answer")
        if item.get("options"):
            report("判断题不需要选项（options）")
        if not isinstance(answer, bool):
            report("判断题答案（answer）应为 true 或 false")
            return [], []
        return [], [answer]

    def parse(self, option_order: list[int], values: list[str]) -> list | None:
        if not values:
            return None
        if len(values) != 1 or values[0] not in ("true", "false"):
            raise BadAnswer("判断题只能选择“正确”或“错误”")
        return [values[0] == "true"]

    def is_correct(self, key: list, answer: list) -> bool:
        return answer == key

    def form_values(self, option_order: list[int], answer: list) -> set[str]:
        return {"true" if answer[0] else "false"}

    def answer_text(self, options: list[str], option_order: list[int], answer: list) -> str:
        return "正确" if answer[0] else "错误"
