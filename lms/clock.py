"""The only place that reads the wall clock. Tests move it with `freeze()`/`advance()`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_frozen: datetime | None = None
_zone_name = "Asia/Shanghai"


def set_zone(name: str) -> None:
    global _zone_name
    ZoneInfo(name)  # validate
    _zone_name = name


def zone() -> ZoneInfo:
    return ZoneInfo(_zone_name)


def now() -> datetime:
    """Aware UTC now."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def local_now() -> datetime:
    return now().astimezone(zone())


def today() -> date:
    """Today in the configured zone."""
    return local_now().date()


def local_date(at: datetime) -> date:
    return at.astimezone(zone()).date()


def day_start(day: date) -> datetime:
    """The local midnight that begins `day` in the configured zone, as an aware UTC datetime."""
    return datetime.combine(day, datetime.min.time(), zone()).astimezone(UTC)


def freeze(at: datetime) -> None:
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC)


def advance(**delta: float) -> datetime:
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    freeze(_frozen + timedelta(**delta))
    return _frozen


def unfreeze() -> None:
    global _frozen
    _frozen = None
