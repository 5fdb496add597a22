"""Jinja filters: Chinese dates and 学时."""

from __future__ import annotations

from datetime import date, datetime

from lms import clock


def hours(value: float | int | None) -> str:
    if value is None:
        return "0"
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def local_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(clock.zone()).strftime(fmt)


def cn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(clock.zone()).date()
    return f"{value.year}年{value.month}月{value.day}日"


FILTERS = {"hours": hours, "local_dt": local_dt, "cn_date": cn_date}
