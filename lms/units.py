"""学时 units: the one place that turns seconds into 学时 and back, and judges a year's progress.

Durations are integer seconds everywhere (the ledger, sessions, certificates). 学时 is a unit of
display, set by two settings: MINUTES_PER_CREDIT_HOUR (default 60) and ANNUAL_REQUIRED_HOURS
(default 32; fractions such as 32.5 are allowed).

**The rounding rule.** 学时 are shown rounded to the nearest hundredth (halves away from zero),
trailing zeros dropped: 2,400 s is 0.67 学时, −600 s is −0.17, 117,072 s is 32.52, 129,600 s is
36. Pages, reports, exports and certificates all use `hours_value` / `hours_text`, so the same
member sees the same number everywhere. Whether a requirement is met is decided in seconds, never
from a rounded figure.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from flask import current_app, has_app_context

DEFAULT_MINUTES_PER_CREDIT_HOUR = 60
DEFAULT_ANNUAL_REQUIRED_HOURS = 32
HUNDREDTHS = 100  # the display precision: 0.01 学时


def _setting(name: str, default: float) -> float:
    value = current_app.config.get(name, default) if has_app_context() else default
    return float(value)


# ---------------------------------------------------------------- seconds ↔ 学时

def seconds_per_credit_hour() -> int:
    """Seconds in one 学时 (3,600 by default)."""
    return int(round(_setting("MINUTES_PER_CREDIT_HOUR", DEFAULT_MINUTES_PER_CREDIT_HOUR) * 60))


def required_hours() -> float:
    """The annual requirement in 学时 (32 by default)."""
    return _setting("ANNUAL_REQUIRED_HOURS", DEFAULT_ANNUAL_REQUIRED_HOURS)


def required_seconds() -> int:
    """The annual requirement in seconds."""
    return hours_to_seconds(required_hours())


def hours_to_seconds(hours: float) -> int:
    return int(round(float(hours) * seconds_per_credit_hour()))


def lesson_cap_seconds(hours: float) -> int:
    """A lesson's 学时 in seconds: the most online time it can earn in one year, and the study time
    its completion needs."""
    return hours_to_seconds(hours)


def to_credit_hours(seconds: int | float) -> float:
    """Exact 学时, for arithmetic and charts (not for display: use `hours_value`)."""
    return seconds / seconds_per_credit_hour()


def hours_value(seconds: int | float) -> float:
    """学时 as displayed and printed: the nearest hundredth (the rounding rule above)."""
    seconds = int(seconds or 0)
    per_hour = seconds_per_credit_hour()
    hundredths = (2 * abs(seconds) * HUNDREDTHS + per_hour) // (2 * per_hour)
    return (-hundredths if seconds < 0 else hundredths) / HUNDREDTHS


def number_text(value: float | int | None) -> str:
    """A 学时 figure as text: the nearest hundredth, no trailing zeros (32.50 → 32.5, 32.0 → 32)."""
    if value is None:
        return "0"
    scaled = round(abs(float(value)) * HUNDREDTHS, 6)  # 0.29 * 100 = 28.999… is 29
    hundredths = int(scaled + 0.5)
    sign = "-" if float(value) < 0 and hundredths else ""
    whole, frac = divmod(hundredths, HUNDREDTHS)
    return f"{sign}{whole}" + (f".{frac:02d}".rstrip("0") if frac else "")


def hours_text(seconds: int | float | None) -> str:
    """Seconds as 学时 text, e.g. 1.25 (the rounding rule above)."""
    return number_text(hours_value(seconds or 0))


def required_hours_text() -> str:
    """The annual requirement as text: "32", "32.5"."""
    return number_text(required_hours())


RULE_SOURCE = "《中国共产党党员教育管理工作条例》"
RULE_HOURS = 32  # the 条例's figure: 党员每年集中学习培训时间一般不少于32学时


def requirement_text() -> str:
    """The annual requirement as a sentence, in the 条例's words when it is the 条例's figure."""
    if required_hours() == RULE_HOURS:
        return f"党员每年集中学习培训时间一般不少于 {required_hours_text()} 学时"
    return f"本单位要求党员每年学习培训时间不少于 {required_hours_text()} 学时"


def requirement_source_text() -> str:
    """requirement_text() with where the rule comes from (for the places that explain it)."""
    if required_hours() == RULE_HOURS:
        return f"{RULE_SOURCE}规定：{requirement_text()}"
    return requirement_text()


def minutes_per_credit_hour_text() -> str:
    return number_text(_setting("MINUTES_PER_CREDIT_HOUR", DEFAULT_MINUTES_PER_CREDIT_HOUR))


# ---------------------------------------------------------------- durations as words

def duration_text(seconds: int | None) -> str:
    """Seconds as 小时/分钟 text: "1 小时 30 分钟", "45 分钟", "2 小时"; negative amounts keep their sign."""
    seconds = int(seconds or 0)
    sign = "−" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    if minutes == 0:
        return f"{sign}{abs(seconds)} 秒" if seconds else "0 分钟"
    h, m = divmod(minutes, 60)
    if h and m:
        return f"{sign}{h} 小时 {m} 分钟"
    return f"{sign}{h} 小时" if h else f"{sign}{m} 分钟"


def minutes_up_text(seconds: int | float) -> str:
    """A wait as whole minutes, rounded up, at least one: "5 分钟" (the login lock)."""
    return f"{max(1, -(-int(seconds) // 60))} 分钟"


def clock_text(seconds: int | None) -> str:
    """Seconds as m:ss (or h:mm:ss), for the lesson page's running time."""
    seconds = max(0, int(seconds or 0))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# ---------------------------------------------------------------- progress toward the requirement

def percent_of(total: int, required: int) -> int:
    """Whole percent of the requirement, 0–100 (cut, so 99.9% is 99%)."""
    return min(100, int(100 * max(total, 0) / required)) if required else 100


def expected_seconds(*, required: int, year: int, today: date) -> float:
    """What a member should have by `today` to be on pace: the requirement spread evenly over the
    days of the year (all of it once the year is over, nothing before it starts)."""
    if year < today.year:
        return float(required)
    if year > today.year:
        return 0.0
    days = 366 if calendar.isleap(year) else 365
    elapsed = (today - date(year, 1, 1)).days + 1
    return required * elapsed / days


@dataclass(frozen=True)
class Pace:
    state: str  # done | on_track | behind | ended_short
    months_left: int
    per_month_seconds: int  # still needed per month (rounded up), 0 when done
    missing_seconds: int


def pace_for(*, total: int, required: int, year: int, today: date) -> Pace:
    """A member's pace in a year: done, on track (at least the even share of the year so far),
    behind, or a past year that ended short."""
    missing = max(0, required - total)
    if missing == 0:
        return Pace("done", 0, 0, 0)
    if year < today.year:
        return Pace("ended_short", 0, 0, missing)
    months_left = 12 - today.month + 1 if year == today.year else 12
    per_month = -(-missing // months_left)
    expected = expected_seconds(required=required, year=year, today=today) if year == today.year else 0.0
    return Pace("on_track" if total >= expected else "behind", months_left, per_month, missing)
