"""The ledger sources are one list (lms/hours/sources.py): the database, the reports, the exports
and the stylesheet follow it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import lms
from lms.hours.models import LedgerEntry
from lms.hours.sources import BY_KEY, LEDGER_SOURCES, SOURCES, check_sql
from lms.reports import exports
from lms.reports.services import SORT_KEYS, BranchReport

LMS = Path(lms.__file__).resolve().parent


def _keys_in(sql: str) -> list[str]:
    return re.findall(r"'([^']*)'", sql)


def test_the_registry_is_well_formed():
    assert SOURCES == ("online", "offline", "self_report", "adjustment")  # the order everywhere
    assert len(BY_KEY) == len(LEDGER_SOURCES)
    assert all(re.fullmatch(r"[a-z_]{1,16}", s.key) for s in LEDGER_SOURCES)  # fits ledger_entry.source
    assert [s.key for s in LEDGER_SOURCES if s.by_tracker] == ["online"]  # the partial unique index's source
    assert _keys_in(check_sql()) == list(SOURCES)


def test_the_models_check_constraint_is_the_registry():
    (check,) = [c for c in LedgerEntry.__table__.constraints
                if isinstance(c, sa.CheckConstraint) and c.name == "ck_ledger_entry_source"]
    assert _keys_in(str(check.sqltext)) == list(SOURCES)


def test_the_migrated_databases_check_constraint_is_the_registry(app):
    """The schema the migrations built (SQLite or PostgreSQL) allows exactly the registry's sources."""
    engine = app.extensions["lms_engine"]
    checks = {c["name"]: c["sqltext"] for c in sa.inspect(engine).get_check_constraints("ledger_entry")}
    assert sorted(_keys_in(checks["ck_ledger_entry_source"])) == sorted(SOURCES)


def test_the_database_refuses_a_source_outside_the_registry(app, db, make_user):
    user = make_user()
    with pytest.raises(IntegrityError), db() as s:
        s.add(LedgerEntry(user_id=user.id, source="bonus", seconds=60, local_date=date(2026, 3, 1), year=2026))


def test_reports_and_exports_have_a_column_per_source():
    report = BranchReport(org=None, year=2026, today=date(2026, 3, 1), required=1, rows=[])
    cols = exports.columns(report)
    assert [k for k, _ in cols if k in BY_KEY] == list(SOURCES)
    assert dict(cols)["offline"] == BY_KEY["offline"].column == "集中学时"
    assert all(s.key in SORT_KEYS for s in LEDGER_SOURCES)


def test_every_source_has_its_colours_in_a_stylesheet():
    css = "\n".join(p.read_text(encoding="utf-8") for p in LMS.rglob("*.css"))
    for source in LEDGER_SOURCES:
        for cls in (source.bar_class, source.swatch_class):
            assert re.search(rf"\.{cls}\b[^{{]*\{{", css), f"no CSS rule for .{cls}"
