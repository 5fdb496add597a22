"""What the hours slice adds to other slices' pages (dashboard, lesson page, member page):
Jinja filters for durations, and the panels it provides through template hooks (lms/hooks.py),
each loading its data in the view before the page renders."""

from __future__ import annotations

from flask import current_app

from lms import clock, units
from lms.db import get_session
from lms.hooks import panel
from lms.hours import bp, services, tickets, tracker


@bp.app_template_filter("credit_hours")
def credit_hours(seconds: int | None) -> str:
    """Seconds as 学时, e.g. 1.25 (lms.units' rounding rule)."""
    return units.hours_text(seconds)


@bp.app_template_filter("duration")
def duration(seconds: int | None) -> str:
    """Seconds as 小时/分钟 text (negative amounts keep their sign)."""
    return units.duration_text(seconds)


@bp.app_template_filter("clock_time")
def clock_time(seconds: int | None) -> str:
    """Seconds as m:ss (or h:mm:ss), for the lesson page's running time."""
    return units.clock_text(seconds)


@panel(bp, "dashboard.summary")
def hours_year_glance(*, user, **_):
    """The current member's progress this year, for 我的学习."""
    year = clock.today().year
    total = services.year_total_seconds(session=get_session(), user_id=user.id, year=year)
    required = units.required_seconds()
    return "hours/_dashboard_summary.html", {"glance": {
        "year": year,
        "total": total,
        "required": required,
        "pace": units.pace_for(total=total, required=required, year=year, today=clock.today()),
    }}


@panel(bp, "lesson.status")
def hours_lesson_panel(*, user, lesson, **_):
    """Credited time for this lesson this year against its 学时, the tracker's settings and the
    page view's study ticket (the lesson view records the visit before it collects panels)."""
    year = clock.today().year
    credited = services.lesson_year_seconds(
        session=get_session(), user_id=user.id, lesson_id=lesson.id, year=year
    )
    cfg = current_app.config
    return "hours/_lesson_status.html", {"lesson": lesson, "hp": {
        "credited": credited,
        "cap": units.lesson_cap_seconds(lesson.hours),
        "interval": int(cfg["BEAT_INTERVAL_SECONDS"]),
        "idle": int(cfg["IDLE_TIMEOUT_SECONDS"]),
        "check_timeout": int(cfg["PRESENCE_CHECK_TIMEOUT_SECONDS"]),
        # This view's study ticket: /hours/start opens a session only with it (no statement).
        "ticket": tickets.issue(str(cfg["SECRET_KEY"]), user_id=user.id, lesson_id=lesson.id,
                                view_ms=tracker.epoch_ms(clock.now())),
    }}


@panel(bp, "member.extra")
def hours_member_year(*, member, **_):
    year = clock.today().year
    total = services.year_total_seconds(session=get_session(), user_id=member.id, year=year)
    return "hours/_member_extra.html", {"member": member,
                                        "my": {"year": year, "total": total, "required": units.required_seconds()}}


def tracker_settings() -> tracker.TrackerSettings:
    return tracker.TrackerSettings.from_config(current_app.config)
