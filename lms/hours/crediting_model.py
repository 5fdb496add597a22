"""The online crediting rules in plain Python: the reference that the beat's one SQL statement
(`_BEAT_SQL` in lms/hours/beat_sql.py) is checked against, beat by beat, on random sequences
(tests/hours/test_crediting_model.py). Nothing calls this at run time; change a rule here and in
the SQL together.

One member studies one lesson; instants are aware datetimes, measured in whole milliseconds.

- **start** (opening the lesson page) issues a new token and anchors the session at that moment;
  the lesson's credit for the current local year is what the ledger already holds. A pending
  presence check and the time studied since the last one carry over.
- **beat**: the span since the anchor counts when it is at least 1 s and at most 2 × interval,
  in whole seconds (the anchor moves by those seconds, so the fraction counts with the next
  beat). Less than 1 s changes nothing; more than 2 × interval starts a new segment (the anchor
  moves to now, nothing counts). A beat more than `check_timeout` after a presence check was
  issued counts nothing and leaves the anchor.
- The counted span is split at the local midnight before the beat: the part before it belongs to
  yesterday, rounded up to whole seconds. Each part is credited up to the lesson's cap for its
  year (a later year starts again from zero, an earlier one than the session's takes nothing).
  When the cap cut the span short, the anchor moves to now.
- After `check_after` seconds of credited study a presence check is due; it is issued at the
  first beat that reaches it and may deliver it (`deliver`: the app draws it per beat). **answer**
  clears it; an answer after the check went overdue resumes from now; an answer sooner than
  `min_response_ms` after the issuing beat is refused ("check_too_fast") and changes nothing.
- A beat less than 1 s after the previous beat is early; past BURST early beats in a row a beat
  is refused ("too_many": nothing counts, the anchor stays) until one is not early.
- A beat with an older token (another tab, superseded) changes nothing.
- No day takes more than `daily_max` seconds across all sources: start sets the day's budget to
  daily_max less everything the day already holds (`days` of this lesson and `other`: every other
  ledger row of the member); each part of a span takes at most its day's allowance (the budget on
  the budget's day, the whole daily_max on a later day), and a counted beat leaves today's rest.
  A spent budget for today reads "day_capped" (after the lesson cap).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MIN_GAP_MS = 1000
BURST = 10


def _ms(at: datetime) -> int:
    return int(round(at.timestamp() * 1000))


@dataclass(frozen=True)
class Rules:
    interval: int = 30  # BEAT_INTERVAL_SECONDS
    check_timeout: int = 60  # PRESENCE_CHECK_TIMEOUT_SECONDS
    check_after: int = 900  # credited seconds before a presence check (the app draws it from MIN..MAX)
    min_response_ms: int = 800  # PRESENCE_MIN_RESPONSE_MS
    daily_max: int = 12 * 3600  # DAILY_MAX_HOURS in seconds
    cap: int = 1800  # the lesson's 学时 in seconds: the most it earns in one year
    zone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class Outcome:
    state: str  # studying | new_segment | capped | day_capped | check_due | paused_presence | superseded | too_many
    credited: int = 0
    lesson_seconds: int = 0


@dataclass
class Study:
    """One member on one lesson. `days` is the ledger's online seconds per local date."""

    rules: Rules
    days: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    other: dict[date, int] = field(default_factory=dict)  # the member's other ledger seconds per day
    token: int = 0  # the current token's number; 0 = no session yet
    anchor: int = 0
    credit_year: int = 0
    year_credited: int = 0
    since_check: int = 0
    next_check: int = 0
    issued: int | None = None
    early: int = 0  # early beats in a row
    last_beat: int = 0  # the previous beat's instant (ms)
    budget_day: date | None = None
    budget: int = 0

    def __post_init__(self) -> None:
        self.days = defaultdict(int, self.days)

    def _local(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.rules.zone)).date()

    def _lesson_seconds(self, at: datetime) -> int:
        return self.year_credited if self._local(at).year == self.credit_year else 0

    def _state(self, at: datetime, new_segment: bool = False) -> str:
        if self.issued is not None:
            return "check_due"
        if self._lesson_seconds(at) >= self.rules.cap:
            return "capped"
        if self.budget_day is not None and self.budget_day >= self._local(at) and self.budget <= 0:
            return "day_capped"
        return "new_segment" if new_segment else "studying"

    def _allowance(self, day: date) -> int:
        if self.budget_day is None or day > self.budget_day:
            return self.rules.daily_max
        return max(self.budget, 0) if day == self.budget_day else 0

    def start(self, at: datetime) -> int:
        """Open the lesson (a new page view): returns the new token's number."""
        self.early, self.last_beat = 0, _ms(at)
        if not self.token:
            self.since_check, self.next_check, self.issued = 0, self.rules.check_after, None
        today = self._local(at)
        year = today.year
        self.budget_day = today
        self.budget = max(self.rules.daily_max - self.days.get(today, 0) - self.other.get(today, 0), 0)
        self.token += 1
        self.anchor = _ms(at)
        self.credit_year = year
        self.year_credited = sum(s for d, s in self.days.items() if d.year == year)
        return self.token

    def beat(self, at: datetime, token: int | None = None, deliver: bool = True) -> Outcome:
        if not self.token or (token is not None and token != self.token):
            return Outcome("superseded")
        now, timeout = _ms(at), self.rules.check_timeout * 1000
        gap = now - self.anchor
        overdue = self.issued is not None and now - self.issued > timeout
        early = now - self.last_beat < MIN_GAP_MS
        refused = early and self.early >= BURST
        self.early = self.early + 1 if early else 0
        self.last_beat = now
        credited = 0
        if overdue or gap < MIN_GAP_MS or refused:
            pass  # the anchor stays
        elif gap > 2 * self.rules.interval * 1000:
            self.anchor = now  # a new segment
        else:
            whole = gap // 1000
            today = self._local(at)
            midnight = _ms(datetime.combine(today, datetime.min.time(), ZoneInfo(self.rules.zone)))
            before = min(whole, -(-max(midnight - self.anchor, 0) // 1000))
            yesterday = today - timedelta(days=1)
            allow_prev, allow_today = self._allowance(yesterday), self._allowance(today)
            take_prev = self._credit(yesterday, min(before, allow_prev))
            take_today = self._credit(today, min(whole - before, allow_today))
            for day, taken in ((yesterday, take_prev), (today, take_today)):
                if taken:
                    self.days[day] += taken
            credited = take_prev + take_today
            self.budget_day, self.budget = today, allow_today - take_today
            self.anchor = self.anchor + whole * 1000 if credited == whole else now
        self.since_check += credited
        if self.issued is None and self.since_check >= self.next_check and deliver:
            self.issued = now
        lesson_seconds = self._lesson_seconds(at)
        if self.early > BURST:
            return Outcome("too_many", 0, lesson_seconds)
        if self.issued is not None and now - self.issued > timeout:
            return Outcome("paused_presence", 0, lesson_seconds)
        return Outcome(self._state(at, new_segment=gap > 2 * self.rules.interval * 1000), credited, lesson_seconds)

    def _credit(self, day: date, seconds: int) -> int:
        """Up to `seconds` for `day`, within the lesson's cap for its year."""
        if seconds <= 0 or day.year < self.credit_year:
            return 0
        if day.year > self.credit_year:
            self.credit_year, self.year_credited = day.year, 0
        taken = min(seconds, max(self.rules.cap - self.year_credited, 0))
        self.year_credited += taken
        return taken

    def answer(self, at: datetime, token: int | None = None) -> Outcome:
        """The member clicked the presence check."""
        if not self.token or (token is not None and token != self.token):
            return Outcome("superseded")
        now = _ms(at)
        if self.issued is not None and now - self.issued < self.rules.min_response_ms:
            return Outcome("check_too_fast", 0, self._lesson_seconds(at))
        if self.issued is not None:
            if now - self.issued > self.rules.check_timeout * 1000:
                self.anchor = now
            self.since_check, self.next_check, self.issued = 0, self.rules.check_after, None
        return Outcome(self._state(at), 0, self._lesson_seconds(at))
