"""The password policy: every place that sets a password a person chose asks `check` first.

Refused, each with a Chinese message saying why: spaces at either end; fewer than 8 characters
(spaces not counted); no letter or no digit; the bundled list of common (mostly Chinese)
passwords (`common_passwords.txt`, compared without spaces and case) with the demo password among
them; the login names (党员编号, phone); the holder's name in pinyin, alone or plus digits; and
whatever zxcvbn scores below `PASSWORD_MIN_SCORE`. zxcvbn's English feedback is never shown: its
warning is mapped to one of our own messages.

Random initial passwords (roster, import) are not checked: they are generated, not chosen. The
demo accounts' published password is set by `flask lms demo` directly (lms/demo.py), bypassing
this check, and the list refuses it everywhere else.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from flask import has_app_context

from lms.config import DEFAULTS, settings

MIN_LENGTH = 8
_ZXCVBN_MAX = 64  # zxcvbn's time grows with length; a longer password is judged by its start


class PasswordError(ValueError):
    pass


@functools.cache
def common_passwords() -> frozenset[str]:
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _squeezed(password: str) -> str:
    """The password as a guesser would try it: full-width folded, spaces removed, lower case."""
    return "".join(unicodedata.normalize("NFKC", password).split()).lower()


def name_pinyin(name: str) -> set[str]:
    """Ways a name is written in pinyin: 张三丰 → zhangsanfeng, zsf, sanfeng, sanfengzhang, fengsanzhang …"""
    from pypinyin import lazy_pinyin

    syllables = [s.lower() for s in lazy_pinyin((name or "").strip()) if s.isascii() and s.isalpha()]
    if not syllables:
        return set()
    surname, given = syllables[:1], syllables[1:]
    variants = {
        "".join(syllables),
        "".join(s[0] for s in syllables),
        "".join(given + surname),
        "".join(surname) + "".join(s[0] for s in given),
        "".join(s[0] for s in surname) + "".join(given),
    }
    if given:
        variants.add("".join(given))
    return {v for v in variants if len(v) >= 2}


# zxcvbn's warning (English) → our message. The first key found in the warning decides.
_ZXCVBN_WARNINGS = (
    ("common password", "这是常见密码，很容易被猜到。"),
    ("commonly used", "与常见密码太相似，很容易被猜到。"),
    ("keyboard", "含有键盘上相邻的按键（如 qwer、1qaz），很容易被猜到。"),
    ("rows of keys", "含有键盘上相邻的按键（如 qwer、1qaz），很容易被猜到。"),
    ("repeat", "含有重复的字符或词（如 aaa、abcabc），很容易被猜到。"),
    ("sequences", "含有连续的字母或数字（如 abc、6543），很容易被猜到。"),
    ("years", "含有年份，很容易被猜到。"),
    ("dates", "含有日期，很容易被猜到。"),
    ("names", "含有常见的人名，很容易被猜到。"),
    ("word by itself", "只是一个常见单词加少量字符，很容易被猜到。"),
    ("substitutions", "用 @ 代替 a 这样的替换很容易被猜到。"),
)
_TOO_WEAK = "密码太容易被猜到。"
_ADVICE = "请加长密码，或混合几个不相关的词和数字。"


def _min_score() -> int:
    return settings().password_min_score if has_app_context() else DEFAULTS["PASSWORD_MIN_SCORE"]


def check(password: str, *, login_names: Iterable[str | None] = (), name: str | None = None) -> None:
    """Raises PasswordError with the reason when `password` may not be used by this person."""
    password = password or ""
    if password != password.strip():
        raise PasswordError("密码开头和结尾不能有空格。")
    squeezed = _squeezed(password)
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"密码至少需要 {MIN_LENGTH} 位。")
    if len(squeezed) < MIN_LENGTH:
        raise PasswordError(f"密码去掉空格后至少需要 {MIN_LENGTH} 位。")
    if not (re.search(r"[a-z]", squeezed) and re.search(r"\d", squeezed)):
        raise PasswordError("密码需同时包含字母和数字。")
    if squeezed in common_passwords():
        raise PasswordError("这是常见密码，很容易被猜到，请换一个。")
    logins = [_squeezed(n) for n in login_names if n and len(_squeezed(n)) >= 3]
    if any(n in squeezed for n in logins):
        raise PasswordError("密码不能包含您的党员编号或手机号。")
    pinyin = name_pinyin(name or "")
    letters = re.sub(r"[^a-z]", "", squeezed)
    if letters in pinyin or any(len(p) >= 4 and p in squeezed for p in pinyin):
        raise PasswordError("密码不能是姓名拼音（或拼音加数字）。")
    _check_guessability(squeezed, [*logins, *pinyin])


def _check_guessability(squeezed: str, user_inputs: list[str]) -> None:
    from zxcvbn import zxcvbn

    result = zxcvbn(squeezed[:_ZXCVBN_MAX], user_inputs=user_inputs)
    if result["score"] >= _min_score():
        return
    warning = (result.get("feedback") or {}).get("warning") or ""
    reason = next((text for key, text in _ZXCVBN_WARNINGS if key in warning.lower()), _TOO_WEAK)
    raise PasswordError(reason + _ADVICE)
