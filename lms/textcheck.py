"""Characters a person cannot see, refused in what people type and stripped from file names.

A name is printed in lists, certificates, exports and download file names. Bidi controls (an
RTL override turns "张三‮fdp.exe" into "张三exe.pdf" on screen), zero-width characters (two
accounts that look the same), line and paragraph separators and other control characters (a
broken CSV row or header; PostgreSQL refuses NUL outright) have no place there:

- single-line fields (names, topics, places, logins…) refuse all of them;
- multi-line fields (TextAreaField, 学习心得) keep their line breaks and tabs but refuse NUL and
  the bidi controls;
- `safe_filename` strips them from a download's or a ZIP entry's name (defence in depth: the
  names were written before these rules, or come from elsewhere).

Pure (no Flask): lms.web.CheckedForm, the base of every form of the app, applies the rules to each
text field; the roster import, the CLI and the question types call `problem` themselves.
"""

from __future__ import annotations

import re

BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
CONTROLS = "\x00-\x1f\x7f-\x9f"  # C0 (line breaks and tab included), DEL and C1
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

SINGLE_LINE = re.compile(f"[{CONTROLS}{BIDI}{ZERO_WIDTH}\u2028\u2029]")
MULTI_LINE = re.compile(f"[\x00{BIDI}]")


def bad_char(text: str, *, multiline: bool = False) -> str | None:
    """The first character the field may not hold, or None."""
    m = (MULTI_LINE if multiline else SINGLE_LINE).search(text)
    return m.group() if m else None


def problem(text: str | None, *, label: str, multiline: bool = False) -> str | None:
    """What is wrong with `text` as the value of the field `label`, in a sentence; None when fine."""
    ch = bad_char(text or "", multiline=multiline)
    if ch is None:
        return None
    code = f"U+{ord(ch):04X}"
    if ch in LINE_BREAKS:
        return f"{label}不能有换行（{code}），请改为一行后重试。"
    return f"{label}含有不可见的控制字符（{code}），请删除后重试。"


def safe_filename(name: str) -> str:
    """`name` without the characters a single-line field refuses (each becomes a space, runs of
    spaces one) and without path separators: safe in Content-Disposition and as a ZIP entry."""
    cleaned = SINGLE_LINE.sub(" ", name).replace("/", " ").replace("\\", " ")
    return re.sub(r" {2,}", " ", cleaned).strip() or "下载"
