"""A lesson's estimated workload: what honestly reading it, taking its quiz and answering its
思考题 in writing takes (issue 12, point 1).

minutes = body characters / 400 + 40 s × quiz questions / 60 + 5 × 思考题 items

Body characters are counted without Markdown markup and whitespace. Pure: no database, no Flask;
`flask lms content check` warns from it and the course page shows it (cached by body, so a course
page does not re-read its lessons' text on every view).
"""

from __future__ import annotations

import re
from functools import lru_cache

from lms.content.reflection import reflection_prompts

CHARS_PER_MINUTE = 400
SECONDS_PER_QUESTION = 40
MINUTES_PER_REFLECTION = 5
LOW, HIGH = 0.6, 1.5  # the estimate should lie within this band of the lesson's 学时

_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINE_MARKUP_RE = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)+")
_RULE_RE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_INLINE_MARKUP_RE = re.compile(r"[*_`|]|<[^>]+>")


def body_characters(body_md: str) -> int:
    """Characters a reader reads: Markdown markup and whitespace are not counted."""
    count = 0
    for line in body_md.splitlines():
        if _FENCE_RE.match(line) or _TABLE_RULE_RE.match(line) or _RULE_RE.match(line):
            continue
        text = _LINE_MARKUP_RE.sub("", line)
        text = _LINK_RE.sub(r"\1", text)
        text = _INLINE_MARKUP_RE.sub("", text)
        count += sum(1 for ch in text if not ch.isspace())
    return count


def reflection_items(body_md: str) -> int:
    """The 思考题 items (top-level items of the lesson's "## 思考题" list)."""
    return len(reflection_prompts(body_md))


@lru_cache(maxsize=512)
def estimated_seconds(body_md: str, questions: int) -> int:
    """The estimate in whole seconds."""
    seconds = (body_characters(body_md) * 60 / CHARS_PER_MINUTE + SECONDS_PER_QUESTION * questions
               + MINUTES_PER_REFLECTION * 60 * reflection_items(body_md))
    return round(seconds)


def estimated_minutes(body_md: str, questions: int) -> int:
    """The estimate in whole minutes, halves rounded up (at least 1)."""
    return max(1, int(estimated_seconds(body_md, questions) / 60 + 0.5))


def out_of_band(estimate_seconds: int, lesson_seconds: int) -> bool:
    """True when the estimate lies outside 0.6–1.5 × the time the lesson credits."""
    return not LOW * lesson_seconds <= estimate_seconds <= HIGH * lesson_seconds
