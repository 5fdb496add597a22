"""填空题: one blank (written ____ in the stem), any of the accepted strings is right.

Answers are compared after folding full-width to half-width (NFKC), trimming, collapsing inner
spaces, ignoring case and dropping trailing punctuation, so “３２”, “ 32 ” and “32。” all match “32”.
"""

from __future__ import annotations

import re
import unicodedata

from lms import textcheck
from lms.question_types.base import BadAnswer, QuestionType, Report, register

MAX_LENGTH = 100
# Punctuation a member may type after the answer (after NFKC folding: 。、 stay, ，；！？：. become ,;!?:).
_TRAILING_RE = re.compile(r"[\s.,;:!?。、，；：！？…·~\-—]+$")


def normalise(text: str) -> str:
    """Fold full-width to half-width (NFKC), trim, drop trailing punctuation, collapse inner runs of
    spaces, ignore case. The full-width space (U+3000) folds to a space, so it is trimmed too."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _TRAILING_RE.sub("", folded.strip())
    return " ".join(folded.split()).casefold()


@register
class Blank(QuestionType):
    name = "blank"
    label = "填空题"
    short_label = "填空"
    order = 40
    empty_message = "填空题答案不能为空。"
    max_length = MAX_LENGTH

    def validate(self, item: dict, report: Report) -> tuple[list[str], list]:
        answer, stem = item.get("answer"), item.get("stem")
        if item.get("options"):
            report("填空题不需要选项（options）")
        accepted = answer if isinstance(answer, list) else [answer]
        accepted = [str(a).strip() for a in accepted if a is not None and not isinstance(a, bool) and str(a).strip()]
        if not accepted:
            report("填空题至少要有一个可接受的答案（answer）")
        if isinstance(stem, str) and "____" not in stem:
            report("填空题的题干需用 ____ 标出空格")
        return [], accepted

    def parse(self, option_order: list[int], values: list[str]) -> list | None:
        if len(values) > 1:
            raise BadAnswer("填空题只能填写一个答案")
        text = (values[0] if values else "").strip()
        if not text:
            return None
        if len(text) > MAX_LENGTH:
            raise BadAnswer(f"填空题答案不能超过 {MAX_LENGTH} 个字")
        if (ch := textcheck.bad_char(text)) is not None:  # a one-line field (lms.textcheck)
            raise BadAnswer(f"填空题答案含有不可见的控制字符（U+{ord(ch):04X}）")
        return [text]

    def is_correct(self, key: list, answer: list) -> bool:
        return normalise(str(answer[0])) in {normalise(str(a)) for a in key}

    def form_values(self, option_order: list[int], answer: list) -> set[str]:
        return {str(answer[0])}

    def answer_text(self, options: list[str], option_order: list[int], answer: list) -> str:
        return " / ".join(str(a) for a in answer)
