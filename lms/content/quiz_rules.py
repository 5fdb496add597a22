"""Rules on a question's wording that hold because options are shuffled and questions are drawn
into exams (issue 12, 2.1 and 2.10; content/README.md "题目的写法").

- A 解析 must not point at an option by letter ("A项", "选项B", "A至D", "B正确") or by position
  ("前四项", "第三项", "后两项", "最后一项"): the member sees the options in another order. It names
  the option's text instead. "其余各项" and "其他选项" are fine: they mean the same whatever the order.
- A stem must not say "文中" (本文中、原文中…): drawn into an exam it has no text to refer to.

A capital letter inside an English word or a term (GDP, PPT, B超, A股) is not an option letter:
a letter only counts when no other ASCII letter or digit touches it.
"""

from __future__ import annotations

import re

_L = r"(?<![A-Za-z0-9])[A-F](?![A-Za-z0-9])"  # a standalone option letter
_N = r"[一二两三四五六1-6]"

_LETTER_PATTERNS = (
    # "A项", "D 项说反了", "A选项"
    re.compile(_L + r"\s*(?:选?项)"),
    # "选项B", "选项 B", "答案为C", "故选D", "应选A"
    re.compile(r"(?:选项|答案[为是]|故选|应选|选择)\s*" + _L),
    # "A至D", "A-D", "A到C", "A～D"
    re.compile(_L + r"\s*[至到~～\-－—]\s*" + _L),
    # "A、B、C", "A和D", "B与C", "A, C"
    re.compile(_L + r"(?:\s*[、，,和与及或/]\s*" + _L + r")+"),
    # "B正确", "C错误", "D说反了", "A的说法"
    re.compile(_L + r"\s*的?(?:正确|错误|不正确|说反|说法|表述|描述|所述|是对的|是错的|对|错)"),
)
_POSITION_PATTERNS = (
    # "第三项", "第3个选项"
    re.compile(r"第" + _N + r"\s*(?:项|个选项)"),
    # "前四项", "后两项", "前三个选项"
    re.compile(r"(?<![当目此之以今然往])[前后]" + _N + r"\s*(?:项|个选项)"),
    # "最后一项", "最后一个选项"
    re.compile(r"最后一\s*(?:项|个选项)"),
    # "以上四项", "上述三项" (a count of the options above; "以上各项" is order-free)
    re.compile(r"(?:以上|上述|上面)" + _N + r"\s*(?:项|个选项)"),
    # "上一项", "下一项"
    re.compile(r"[上下]一\s*(?:项|个选项)"),
)
_STEM_RE = re.compile(r"(?<![条公])文中")


def explanation_problem(text: str) -> str | None:
    """Why this 解析 points at an option by letter or position, or None."""
    for pattern in _LETTER_PATTERNS:
        m = pattern.search(text)
        if m:
            return f"解析用字母指代选项（“{m.group(0)}”）：选项每次乱序，请直接写出选项内容"
    for pattern in _POSITION_PATTERNS:
        m = pattern.search(text)
        if m:
            return f"解析按位置指代选项（“{m.group(0)}”）：选项每次乱序，请直接写出选项内容"
    return None


def stem_problem(text: str) -> str | None:
    """Why this stem has no referent once drawn into an exam, or None."""
    m = _STEM_RE.search(text)
    if m:
        return "题干不要写“文中”：抽入结业考试后没有可指的“文”，请写明出处（如“《条例》规定”）"
    return None
