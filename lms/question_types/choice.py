"""What single and multiple choice share: options shown shuffled, answers as option letters.

Options are shown in the attempt's stored order with opaque values ("0", "1", … = displayed
position); the order maps them back to the question's own letters, so the page holds nothing
that tells a right option from a wrong one. A value outside the order is refused.
"""

from __future__ import annotations

from lms.question_types.base import LETTERS, BadAnswer, QuestionType, Report


class ChoiceType(QuestionType):
    """Not registered itself: Single and Multiple subclass it."""

    def check_key(self, letters: list[str], report: Report) -> None:
        """Type-specific rule on the number of right options in the YAML."""

    def check_given(self, values: list[str]) -> None:
        """Type-specific rule on the number of options a form sent."""

    def validate(self, item: dict, report: Report) -> tuple[list[str], list]:
        options = self._options(item.get("options"), report)
        return options, self._key(item.get("answer"), LETTERS[: len(options)], report)

    def _options(self, options: object, report: Report) -> list[str]:
        if (
            not isinstance(options, list)
            or not 2 <= len(options) <= 6
            or not all(isinstance(o, str | int | float) and str(o).strip() for o in options)
        ):
            report("选择题需要 2 到 6 个非空选项（options）")
            return []
        options = [str(o).strip() for o in options]
        if len(set(options)) != len(options):
            report("选项（options）有重复")
        return options

    def _key(self, answer: object, letters: str, report: Report) -> list[str]:
        """The right options' letters, sorted: written as "B", "AC", [A, C] or "A,C"."""
        raw = answer if isinstance(answer, list) else list(answer) if isinstance(answer, str) else None
        if raw is None or not all(isinstance(a, str) for a in raw):
            report("答案（answer）应为选项字母")
            return []
        key = sorted({a.strip().upper() for a in raw if a.strip() and a.strip() not in ",，"})
        bad = [a for a in key if a not in letters]
        if bad:
            report(f"答案 {''.join(bad)} 不在选项 {letters or '（无）'} 之中")
        self.check_key(key, report)
        return key

    def parse(self, option_order: list[int], values: list[str]) -> list | None:
        if not values:
            return None
        self.check_given(values)
        letters = set()
        for value in values:
            if not value.isdigit() or int(value) >= len(option_order):
                raise BadAnswer("提交的选项不在本题之中")
            letters.add(LETTERS[option_order[int(value)]])
        if len(letters) != len(values):
            raise BadAnswer("提交的选项重复")
        return sorted(letters)

    def is_correct(self, key: list, answer: list) -> bool:
        return sorted(answer) == sorted(key)

    def form_values(self, option_order: list[int], answer: list) -> set[str]:
        wanted = {LETTERS.index(a) for a in answer}
        return {str(pos) for pos, idx in enumerate(option_order) if idx in wanted}

    def answer_text(self, options: list[str], option_order: list[int], answer: list) -> str:
        wanted = {LETTERS.index(a) for a in answer}
        shown = [(LETTERS[pos], options[idx]) for pos, idx in enumerate(option_order) if idx in wanted]
        return "；".join(f"{letter}. {text}" for letter, text in shown)
