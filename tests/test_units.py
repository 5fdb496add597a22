"""学时 units are defined once (lms.units): one requirement, one rounding rule, the same number on
every page, report, export and certificate for the same member."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from lms import clock, units
from lms.certificates import eligibility
from lms.hours.services import add_entry
from tests.conftest import csrf_token


def test_seconds_and_hours_without_an_app_use_the_defaults():
    assert units.seconds_per_credit_hour() == 3600
    assert units.required_seconds() == 32 * 3600
    assert units.lesson_cap_seconds(0.5) == 1800


@pytest.mark.parametrize(("seconds", "value", "text"), [
    (0, 0.0, "0"),
    (1800, 0.5, "0.5"),
    (2400, 0.67, "0.67"),  # 0.666… rounds to the nearest hundredth
    (-600, -0.17, "-0.17"),  # halves and negatives: away from zero
    (117_072, 32.52, "32.52"),
    (129_600, 36.0, "36"),
    (18, 0.01, "0.01"),  # 0.005 学时 is a half: up
    (17, 0.0, "0"),
])
def test_the_one_rounding_rule(seconds, value, text):
    assert units.hours_value(seconds) == value
    assert units.hours_text(seconds) == text


@pytest.mark.parametrize(("value", "text"), [(32, "32"), (32.0, "32"), (32.5, "32.5"), (0.29, "0.29"),
                                             (1.005, "1.01"), (None, "0"), (-0.5, "-0.5")])
def test_figures_in_hours_as_text(value, text):
    assert units.number_text(value) == text


def test_percent_and_pace():
    assert units.percent_of(0, 100) == 0 and units.percent_of(99, 100) == 99 and units.percent_of(500, 100) == 100
    assert units.percent_of(-5, 100) == 0 and units.percent_of(5, 0) == 100
    today = date(2025, 7, 2)  # day 183 of 365
    required = 365 * 100
    assert units.expected_seconds(required=required, year=2025, today=today) == 183 * 100
    assert units.pace_for(total=183 * 100, required=required, year=2025, today=today).state == "on_track"
    assert units.pace_for(total=183 * 100 - 1, required=required, year=2025, today=today).state == "behind"
    assert units.pace_for(total=1, required=required, year=2024, today=today).state == "ended_short"
    assert units.pace_for(total=required, required=required, year=2024, today=today).state == "done"
    pace = units.pace_for(total=0, required=required, year=2025, today=today)
    assert pace.months_left == 6 and pace.per_month_seconds == -(-required // 6)


def test_duration_and_clock_text():
    assert units.duration_text(5400) == "1 小时 30 分钟"
    assert units.duration_text(7200) == "2 小时"
    assert units.duration_text(-600) == "−10 分钟"
    assert units.duration_text(0) == "0 分钟"
    assert units.clock_text(1805) == "30:05" and units.clock_text(3725) == "1:02:05"


def test_a_fractional_requirement_and_credit_hour(app):
    app.config["ANNUAL_REQUIRED_HOURS"] = 32.5
    app.config["MINUTES_PER_CREDIT_HOUR"] = 45
    with app.app_context():
        assert units.seconds_per_credit_hour() == 2700
        assert units.required_seconds() == int(32.5 * 2700)
        assert units.required_hours_text() == "32.5"
        assert units.minutes_per_credit_hour_text() == "45"
        assert units.lesson_cap_seconds(0.5) == 1350


@pytest.fixture
def member_with(app, db, tree):
    """tree['m1'] with `seconds` of 集中学习 in 2025 (seen from 2026)."""
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))

    def _give(seconds: int):
        with db() as s:
            add_entry(session=s, user_id=tree["m1"].id, source="offline", seconds=seconds,
                      local_date=date(2025, 5, 6), recorded_by_id=tree["sec1"].id, reason="党课")
        return tree["m1"]

    yield _give
    clock.unfreeze()


def test_my_hours_and_certificates_agree_on_a_fractional_requirement(app, db, member_with):
    """The review found 我的学时 requiring 117,000 s and certificates 115,200 s with 32.5."""
    app.config["ANNUAL_REQUIRED_HOURS"] = 32.5
    member = member_with(117_000 - 1)
    with app.app_context(), db() as s:
        from lms.hours import services as hours

        summary = hours.year_summary(session=s, user_id=member.id, year=2025, today=clock.today())
        assert summary.required == 117_000 and summary.pace.state == "ended_short"
        assert eligibility.annual_entitlement(session=s, user_id=member.id, year=2025) is None
    member_with(1)
    with app.app_context(), db() as s:
        summary = hours.year_summary(session=s, user_id=member.id, year=2025, today=clock.today())
        assert summary.pace.state == "done"
        assert eligibility.annual_entitlement(session=s, user_id=member.id, year=2025) is not None


def test_the_same_member_shows_the_same_hours_everywhere(app, client, db, login, tree, member_with, tmp_path):
    """32.52 学时 on 我的学时, the branch report, the CSV export, the certificate and its PDF."""
    from lms.certificates.models import Certificate

    app.config["ANNUAL_REQUIRED_HOURS"] = 32.5
    app.config["CERT_FONT_DIR"] = str(tmp_path / "fonts")
    member = member_with(117_072)  # 32.52 学时
    login(member)
    mine = client.get("/hours/?year=2025").get_data(as_text=True)
    assert re.search(r"<strong>32\.52</strong> / 32\.5 学时", mine)
    token = csrf_token(client, "/certificates/")
    resp = client.post("/certificates/claim", data={"kind": "annual", "year": "2025", "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with db() as s:
        cert = s.exec(select(Certificate)).one()
    assert cert.hours == 32.52 and cert.seconds == 117_072
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(cert.pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "32.52 学时" in text and "32.5 学时" in text  # earned, and the requirement

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(tree["sec1"])
    page = client.get(f"/reports/org/{tree['b1'].id}?year=2025").get_data(as_text=True)
    assert re.search(r'<td data-label="合计学时" class="num">32\.52</td>', page)
    export = client.get(f"/reports/org/{tree['b1'].id}/export.csv?year=2025").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    member_row = next(r for r in rows if member.name in r)
    assert "32.52" in member_row
