"""Jinja filters and globals: Chinese dates and 学时 (the rounding rule is lms.units')."""

from __future__ import annotations

from datetime import date, datetime

from lms import clock, units


def hours(value: float | int | None) -> str:
    """A figure already in 学时 (a lesson's 0.5, a certificate's 32.5) as text."""
    return units.number_text(value)


def local_dt(value: datetime | None, fmt: str | None = None) -> str:
    """An instant in the configured zone: "2026年12月2日 09:05" (cn_date's date, so a page shows one
    date format), or `fmt` (strftime) when given, e.g. "%H:%M"."""
    if value is None:
        return ""
    local = value.astimezone(clock.zone())
    if fmt is not None:
        return local.strftime(fmt)
    return f"{cn_date(local)} {local:%H:%M}"


def cn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(clock.zone()).date()
    return f"{value.year}年{value.month}月{value.day}日"


FILTERS = {"hours": hours, "local_dt": local_dt, "cn_date": cn_date}
GLOBALS = {
    "required_hours_text": units.required_hours_text,
    "requirement_text": units.requirement_text,
    "requirement_source_text": units.requirement_source_text,
    "minutes_per_credit_hour_text": units.minutes_per_credit_hour_text,
}
