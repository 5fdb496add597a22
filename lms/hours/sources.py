"""The sources of 学时 ledger rows: one list that the model's check constraint, 我的学时, the
reports and their exports, and the CSS classes of charts and legends all iterate.

Adding a source: a `LedgerSource` here (its place in the list is its order everywhere), a
migration that rewrites the `ck_ledger_entry_source` check constraint (tests/hours/test_sources.py
fails until it matches), `.bar-<key>` / `.swatch-<key>` colours in the stylesheet (the same test
checks they exist), and the service that writes the rows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerSource:
    key: str  # stored in ledger_entry.source (at most 16 characters)
    label: str  # 我的学时, the entry list, the month chart
    column: str  # the branch report's column header (screen, CSV and XLSX)
    by_tracker: bool = False  # credited by the study tracker, rolled up per member, lesson and day

    @property
    def bar_class(self) -> str:
        """CSS class of its bars in the month chart."""
        return f"bar-{self.key}"

    @property
    def swatch_class(self) -> str:
        """CSS class of its colour swatch in legends and entry lists."""
        return f"swatch-{self.key}"


LEDGER_SOURCES: tuple[LedgerSource, ...] = (
    LedgerSource("online", "线上自学", "线上学时", by_tracker=True),
    LedgerSource("offline", "集中学习", "集中学时"),
    LedgerSource("self_report", "个人自学申报", "自学学时"),
    LedgerSource("adjustment", "调整", "调整学时"),
)

BY_KEY: dict[str, LedgerSource] = {s.key: s for s in LEDGER_SOURCES}
SOURCES: tuple[str, ...] = tuple(BY_KEY)


def check_sql(column: str = "source") -> str:
    """The body of the ledger's check constraint on `source`."""
    return f"{column} IN ({', '.join(repr(key) for key in SOURCES)})"
