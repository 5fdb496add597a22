"""The detection rules of 学时异常, pure: study stretches and refused starts in, reasons out.

A stretch is one study session (lms.hours.models.StudyStretch, or the member's live session):
when and from where it ran, what it credited, the spread of its beats and its presence answers.
Each rule names what it saw, with the stretches behind it, against a configurable threshold
(lms/config.py, ANOMALY_*). Nothing here reads the database or the request.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

CHAIN_BREAK = timedelta(minutes=10)  # a pause this long ends a continuous stretch of study
REFUSED_KINDS = ("no_ticket", "bad_ticket", "stale_ticket", "used_ticket")
EVENT_LABELS = {
    "no_ticket": "没有课程页凭证",
    "bad_ticket": "凭证无效或不属于本人本课",
    "stale_ticket": "凭证已过期",
    "used_ticket": "凭证已用过",
    "no_visit": "凭证无对应的课程页访问记录",
}


@dataclass(frozen=True)
class Thresholds:
    fast_answers: int = 1
    min_response_ms: int = 800
    refused_starts: int = 3
    min_beats: int = 10
    beat_spread_percent: float = 2
    back_to_back_lessons: int = 3
    back_to_back_gap_seconds: int = 60
    day_hours: int = 16
    stretch_hours: float = 8
    same_ip_accounts: int = 8

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        return cls(
            fast_answers=int(config["ANOMALY_FAST_ANSWERS"]),
            min_response_ms=int(config["PRESENCE_MIN_RESPONSE_MS"]),
            refused_starts=int(config["ANOMALY_REFUSED_STARTS"]),
            min_beats=int(config["ANOMALY_MIN_BEATS"]),
            beat_spread_percent=float(config["ANOMALY_BEAT_SPREAD_PERCENT"]),
            back_to_back_lessons=int(config["ANOMALY_BACK_TO_BACK_LESSONS"]),
            back_to_back_gap_seconds=int(config["ANOMALY_BACK_TO_BACK_GAP_SECONDS"]),
            day_hours=int(config["ANOMALY_DAY_HOURS"]),
            stretch_hours=float(config["ANOMALY_STRETCH_HOURS"]),
            same_ip_accounts=int(config["ANOMALY_SAME_IP_ACCOUNTS"]),
        )


@dataclass(frozen=True)
class Stretch:
    key: str  # "s<id>" for a kept stretch, "live" for the member's current session
    user_id: int
    started_at: datetime
    ended_at: datetime
    ip: str
    credited: int
    capped: bool
    no_visit: bool
    beat_n: int
    gap_sum_ms: int
    gap_sq_ms: int
    presence_n: int
    presence_ms_sum: int
    presence_ms_min: int | None
    presence_fast: int
    presence_wrong: int

    @property
    def gap_mean_ms(self) -> float | None:
        return self.gap_sum_ms / self.beat_n if self.beat_n else None

    @property
    def gap_spread_ms(self) -> float | None:
        """The standard deviation of the counted beats' gaps."""
        if self.beat_n < 2:
            return None
        mean = self.gap_sum_ms / self.beat_n
        return math.sqrt(max(self.gap_sq_ms / self.beat_n - mean * mean, 0.0))

    @property
    def presence_mean_ms(self) -> float | None:
        return self.presence_ms_sum / self.presence_n if self.presence_n else None


@dataclass(frozen=True)
class Event:
    user_id: int
    kind: str
    at: datetime


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    detail: str
    stretch_keys: tuple[str, ...] = ()


@dataclass
class Finding:
    user_id: int
    reasons: list[Reason] = field(default_factory=list)

    @property
    def stretch_keys(self) -> set[str]:
        return {k for r in self.reasons for k in r.stretch_keys}


def _fast_answers(stretches: list[Stretch], t: Thresholds) -> Reason | None:
    hit = [s for s in stretches if s.presence_fast]
    n = sum(s.presence_fast for s in hit)
    if n < t.fast_answers:
        return None
    return Reason("fast_answers", "防挂机确认点击过快",
                  f"{n} 次在确认出现后不到 {t.min_response_ms} 毫秒即点击（人来不及反应）",
                  tuple(s.key for s in hit))


def _refused_starts(events: list[Event], t: Thresholds) -> Reason | None:
    refused = [e for e in events if e.kind in REFUSED_KINDS]
    if len(refused) < t.refused_starts:
        return None
    counts = defaultdict(int)
    for e in refused:
        counts[e.kind] += 1
    parts = "、".join(f"{EVENT_LABELS[k]} {n} 次" for k, n in counts.items())
    return Reason("no_page_view", "未打开课程页即开始计时", f"共 {len(refused)} 次被拒绝：{parts}")


def _no_visit(stretches: list[Stretch], events: list[Event]) -> Reason | None:
    hit = [s for s in stretches if s.no_visit]
    n = max(len(hit), sum(1 for e in events if e.kind == "no_visit"))
    if not n:
        return None
    return Reason("no_visit", "计时凭证没有对应的课程页访问", f"{n} 段学习的凭证找不到课程页访问记录",
                  tuple(s.key for s in hit))


def _regular_beats(stretches: list[Stretch], t: Thresholds) -> Reason | None:
    hit = [s for s in stretches if s.beat_n >= t.min_beats and s.gap_mean_ms
           and s.gap_spread_ms * 100 < t.beat_spread_percent * s.gap_mean_ms]
    if not hit:
        return None
    worst = min(hit, key=lambda s: s.gap_spread_ms)
    return Reason("regular_beats", "计时心跳机械般整齐",
                  f"{len(hit)} 段学习的心跳间隔几乎没有变化（如平均 {worst.gap_mean_ms / 1000:.1f} 秒，"
                  f"标准差 {worst.gap_spread_ms:.0f} 毫秒；页面的心跳带随机间隔）",
                  tuple(s.key for s in hit))


def _back_to_back(stretches: list[Stretch], t: Thresholds) -> Reason | None:
    ordered = sorted(stretches, key=lambda s: s.started_at)
    best: list[Stretch] = []
    run: list[Stretch] = []
    for s in ordered:
        if not s.capped:
            run = []
            continue
        if run and (s.started_at - run[-1].ended_at).total_seconds() <= t.back_to_back_gap_seconds:
            run.append(s)
        else:
            run = [s]
        if len(run) > len(best):
            best = list(run)
    if len(best) < t.back_to_back_lessons:
        return None
    return Reason("back_to_back", "连续计满多课、课间没有停顿",
                  f"连续 {len(best)} 课各自一次计满学时，课与课之间不超过 {t.back_to_back_gap_seconds} 秒",
                  tuple(s.key for s in best))


def _around_the_clock(stretches: list[Stretch], t: Thresholds, zone: ZoneInfo) -> list[Reason]:
    out = []
    studied = [s for s in stretches if s.credited > 0]
    hours: dict[date, set[int]] = defaultdict(set)
    keys: dict[date, set[str]] = defaultdict(set)
    for s in studied:
        at = s.started_at.astimezone(zone).replace(minute=0, second=0, microsecond=0)
        end = s.ended_at.astimezone(zone)
        while at <= end:
            hours[at.date()].add(at.hour)
            keys[at.date()].add(s.key)
            at += timedelta(hours=1)
    days = sorted(d for d, h in hours.items() if len(h) > t.day_hours)
    if days:
        most = max(days, key=lambda d: len(hours[d]))
        out.append(Reason("around_the_clock", "昼夜不停地学习",
                          f"{len(days)} 天在超过 {t.day_hours} 个不同钟点学习（如 {most:%Y-%m-%d} 共 {len(hours[most])} 个钟点）",
                          tuple(sorted(set().union(*(keys[d] for d in days))))))
    chain: list[Stretch] = []
    longest: list[Stretch] = []
    for s in sorted(studied, key=lambda s: s.started_at):
        if chain and s.started_at - max(c.ended_at for c in chain) <= CHAIN_BREAK:
            chain.append(s)
        else:
            chain = [s]
        span = max(c.ended_at for c in chain) - chain[0].started_at
        if not longest or span > max(c.ended_at for c in longest) - longest[0].started_at:
            longest = list(chain)
    if longest:
        span_h = (max(c.ended_at for c in longest) - longest[0].started_at).total_seconds() / 3600
        if span_h > t.stretch_hours:
            out.append(Reason("long_stretch", "长时间不间断学习",
                              f"从 {longest[0].started_at.astimezone(zone):%m-%d %H:%M} 起连续学习 {span_h:.1f} 小时，"
                              f"中间没有超过 10 分钟的停顿",
                              tuple(s.key for s in longest)))
    return out


def same_address(stretches: Iterable[Stretch], t: Thresholds) -> dict[int, Reason]:
    """Members whose study overlapped in time with at least `same_ip_accounts` accounts (them
    included) from one address. `stretches` are everyone's in the window, not only the scope's."""
    by_ip: dict[str, list[Stretch]] = defaultdict(list)
    for s in stretches:
        if s.ip:
            by_ip[s.ip].append(s)
    seen: dict[int, tuple[int, str, set[str]]] = {}  # user → (most accounts at once, address, stretches)
    for ip, group in by_ip.items():
        if len({s.user_id for s in group}) < t.same_ip_accounts:
            continue
        for s in group:
            users = {o.user_id for o in group if o.started_at <= s.ended_at and s.started_at <= o.ended_at}
            if len(users) >= t.same_ip_accounts:
                most, where, keys = seen.get(s.user_id, (0, ip, set()))
                seen[s.user_id] = (len(users), ip, keys | {s.key}) if len(users) > most else (most, where,
                                                                                            keys | {s.key})
    return {user: Reason("same_address", "多个账号同时从同一地址学习",
                         f"同一时段共 {most} 个账号从地址 {ip} 学习", tuple(sorted(keys)))
            for user, (most, ip, keys) in seen.items()}


def findings(stretches: list[Stretch], events: list[Event], t: Thresholds, zone: ZoneInfo,
             same_ip: Mapping[int, Reason] | None = None) -> dict[int, Finding]:
    """What each member's open evidence shows: only members with at least one reason."""
    by_user: dict[int, list[Stretch]] = defaultdict(list)
    for s in stretches:
        by_user[s.user_id].append(s)
    ev_by_user: dict[int, list[Event]] = defaultdict(list)
    for e in events:
        ev_by_user[e.user_id].append(e)
    out: dict[int, Finding] = {}
    for user_id in {*by_user, *ev_by_user, *(same_ip or {})}:
        mine, evs = by_user.get(user_id, []), ev_by_user.get(user_id, [])
        reasons = [r for r in (
            _fast_answers(mine, t), _refused_starts(evs, t), _no_visit(mine, evs), _regular_beats(mine, t),
            _back_to_back(mine, t), *_around_the_clock(mine, t, zone), (same_ip or {}).get(user_id),
        ) if r is not None]
        if reasons:
            out[user_id] = Finding(user_id, reasons)
    return out
